/* libnbdcache: the per-thread last error, as in libnbd. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The public call this thread is in, used as the message prefix. */
static __thread const char *current_call;
static __thread char last_error[512];
static __thread bool have_error;
static __thread int last_errno;

/* Called at the top of every public function, by ENTER_CALL: NAME
 * prefixes the errors from now on.  Returns the call this one runs
 * inside (from a completion callback), for leave_call.
 */
const char *
enter_call (const char *name)
{
  const char *outer = current_call;

  current_call = name;
  return outer;
}

/* Called when a public function returns (ENTER_CALL's cleanup): a
 * completion callback may call into another handle, and the call that
 * ran the callback must not go on to report its errors under that
 * call's name.
 */
void
leave_call (const char **outer)
{
  current_call = *outer;
}

/* Record an error for the calling thread: "CALL: message". */
void
set_error (int errnum, const char *fmt, ...)
{
  char msg[400];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  snprintf (last_error, sizeof last_error, "%s: %s",
            current_call ? current_call : "libnbdcache", msg);
  have_error = true;
  last_errno = errnum;
  errno = errnum;
}

const char *
nbdcache_get_error (void)
{
  return have_error ? last_error : NULL;
}

int
nbdcache_get_errno (void)
{
  return have_error ? last_errno : 0;
}
