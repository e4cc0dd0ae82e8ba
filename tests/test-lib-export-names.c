/* nbdcached tests: export names that need escaping, or that the
 * daemon does not have, against a real daemon (see
 * test-lib-export-names.sh) with two exports: "disk", and one whose
 * name is given as argv[2] and holds quotes, a backslash, a slash and
 * non-ASCII UTF-8.
 *
 * Usage: test-lib-export-names SOCKET ODD-NAME
 *
 * Any name nbdcache_set_export_name accepts is either found, or
 * refused with ENOENT/EINVAL for that one call: it never breaks the
 * connection for the handle's other commands.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbdcache.h"
#include "test-lib.h"

#define EXPORT_SIZE (1024 * 1024 * 1024LL)

/* The handle still works: a command on "disk" succeeds. */
static void
check_alive (struct nbdcache_handle *h, const char *after)
{
  char *saved = nbdcache_get_export_name (h);

  CHECK (saved != NULL);
  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  if (nbdcache_cache (h, 4096, 0, 0) == -1)
    TEST_FAIL ("after %s, the handle no longer works: %s", after,
               nbdcache_get_error ());
  CHECK_OK (nbdcache_set_export_name (h, saved));
  free (saved);
}

/* NAME is not an export: get_size and the cache calls fail with
 * ENOENT (or EINVAL for a name the protocol cannot carry), and the
 * handle carries on.
 */
static void
check_unknown_name (struct nbdcache_handle *h, const char *name,
                    const char *what)
{
  struct cmd c = { .retire = 1 };
  int e;

  if (nbdcache_set_export_name (h, name) == -1) {
    CHECK_ERROR ("nbdcache_set_export_name", EINVAL);
    return;
  }
  CHECK_INT (nbdcache_get_size (h), ==, -1);
  CHECK_ERROR ("nbdcache_get_size", ENOENT);

  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  e = nbdcache_get_errno ();
  if (e != ENOENT && e != EINVAL)
    TEST_FAIL ("nbdcache_cache on %s: expected ENOENT or EINVAL: %s",
               what, nbdcache_get_error ());
  check_alive (h, what);

  CHECK_OK (nbdcache_aio_cache (h, 512, 0, cmd_completion (&c), 0));
  while (nbdcache_aio_in_flight (h) > 0) {
    if (nbdcache_poll (h, -1) == -1)
      TEST_FAIL ("nbdcache_poll after an aio_cache on %s: %s", what,
                 nbdcache_get_error ());
  }
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.frees, ==, 1);
  if (c.error != ENOENT && c.error != EINVAL)
    TEST_FAIL ("aio_cache on %s completed with %s, expected ENOENT or "
               "EINVAL", what, strerror (c.error));
  check_alive (h, what);
}

int
main (int argc, char *argv[])
{
  struct nbdcache_handle *h;
  const char *odd;
  char *s, name[256];
  struct cmd c = { .retire = 1 };

  check_usage (argc, argv, 2, "SOCKET ODD-NAME");
  odd = argv[2];
  h = nbdcache_create ();
  CHECK (h != NULL);
  CHECK_OK (nbdcache_connect (h, argv[1]));

  /* The odd name round trips through the protocol both ways. */
  CHECK_OK (nbdcache_set_export_name (h, odd));
  s = nbdcache_get_export_name (h);
  CHECK_STR (s, odd);
  free (s);
  CHECK_INT (nbdcache_get_size (h), ==, EXPORT_SIZE);
  CHECK_OK (nbdcache_cache (h, 65536, 0, 0));
  CHECK_OK (nbdcache_aio_cache (h, 65536, 65536, cmd_completion (&c), 0));
  while (nbdcache_aio_in_flight (h) > 0)
    CHECK_OK (nbdcache_poll (h, -1));
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.error, ==, 0);
  CHECK_INT (c.frees, ==, 1);

  /* Names the daemon does not have. */
  memset (name, 'n', 255);
  name[255] = '\0';
  check_unknown_name (h, name, "a 255-byte name");
  check_unknown_name (h, "disk\n", "a name with a newline");
  check_unknown_name (h, "\"disk\"", "a name in quotes");
  check_unknown_name (h, "disk\\", "a name with a backslash");
  check_unknown_name (h, "d\xc3\xafsk", "a UTF-8 name");
  /* Not UTF-8: the daemon cannot decode a request carrying it. */
  check_unknown_name (h, "disk\xff", "a name that is not UTF-8");

  nbdcache_close (h);
  printf ("test-lib-export-names: ok\n");
  return 0;
}
