/* nbdcached: the errno names the protocol carries. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "codec.h"

static const struct {
  int errnum;
  const char *name;
} errnames[] = {
  { EPERM, "EPERM" },
  { ENOENT, "ENOENT" },
  { EIO, "EIO" },
  { E2BIG, "E2BIG" },
  { EBADF, "EBADF" },
  { EAGAIN, "EAGAIN" },
  { ENOMEM, "ENOMEM" },
  { EACCES, "EACCES" },
  { EBUSY, "EBUSY" },
  { EINVAL, "EINVAL" },
  { ENOSPC, "ENOSPC" },
  { ERANGE, "ERANGE" },
  { ENAMETOOLONG, "ENAMETOOLONG" },
  { ENOSYS, "ENOSYS" },
  { EPROTO, "EPROTO" },
  { EBADMSG, "EBADMSG" },
  { EOVERFLOW, "EOVERFLOW" },
  { EMSGSIZE, "EMSGSIZE" },
  { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
  { ENOTSUP, "ENOTSUP" },
  { ECONNRESET, "ECONNRESET" },
  { ENOBUFS, "ENOBUFS" },
  { ENOTCONN, "ENOTCONN" },
  { ESHUTDOWN, "ESHUTDOWN" },
  { ETIMEDOUT, "ETIMEDOUT" },
  { ECONNREFUSED, "ECONNREFUSED" },
  { EHOSTUNREACH, "EHOSTUNREACH" },
  { ECANCELED, "ECANCELED" },
  { EUSERS, "EUSERS" },
};

const char *
nbdc_errno_name (int errnum)
{
  for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
    if (errnames[i].errnum == errnum)
      return errnames[i].name;
  return "EIO";
}

int
nbdc_errno_from_name (const char *name)
{
  for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
    if (strcmp (errnames[i].name, name) == 0)
      return errnames[i].errnum;
  return EINVAL;
}
