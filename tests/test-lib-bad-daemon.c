/* nbdcached tests: libnbdcache when the daemon breaks the protocol
 * (see test-lib-bad-daemon.sh, which runs it against a stand-in that
 * answers every request but "hello" with a violation).
 *
 * Usage: test-lib-bad-daemon SOCKET REASON
 *
 * The call during which the library notices fails with EPROTO and a
 * message containing REASON, and so do the commands outstanding then;
 * every later call fails with ENOTCONN, and its message still says
 * why the connection was lost (nbdcache(3) HANDLES).
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbdcache.h"
#include "test-lib.h"

static const char *sock;
static const char *reason;

/* The last error is ERRNUM from CALL, with the lost connection's
 * message and REASON in it.
 */
static void
check_lost (const char *call, int errnum)
{
  char prefix[128];

  snprintf (prefix, sizeof prefix,
            "%s: the connection to the daemon was lost: ", call);
  if (nbdcache_get_errno () != errnum)
    TEST_FAIL ("%s: expected errno %s, got %s: %s", call,
               strerror (errnum), strerror (nbdcache_get_errno ()),
               nbdcache_get_error ());
  CHECK_CONTAINS (nbdcache_get_error (), prefix);
  CHECK_CONTAINS (nbdcache_get_error (), reason);
}

/* After the loss, every call that needs the connection says so. */
static void
check_stays_lost (struct nbdcache_handle *h)
{
  CHECK_INT (nbdcache_poll (h, 0), ==, -1);
  check_lost ("nbdcache_poll", ENOTCONN);
  CHECK_AIO_FAILS (h, 512, 0, 0, ENOTCONN);
  check_lost ("nbdcache_aio_cache", ENOTCONN);
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  check_lost ("nbdcache_cache", ENOTCONN);
  CHECK (nbdcache_get_stats_json (h) == NULL);
  check_lost ("nbdcache_get_stats_json", ENOTCONN);
  CHECK_INT (nbdcache_reload (h), ==, -1);
  check_lost ("nbdcache_reload", ENOTCONN);
  CHECK_INT (nbdcache_aio_get_fd (h), ==, -1);
  check_lost ("nbdcache_aio_get_fd", ENOTCONN);
}

/* An aio command is outstanding when the violation arrives. */
static void
test_aio (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  struct cmd c = { .retire = 0 };
  int64_t cookie;
  int r, polls;

  cookie = nbdcache_aio_cache (h, 512, 0, cmd_completion (&c), 0);
  CHECK_OK (cookie);
  for (polls = 0; (r = nbdcache_poll (h, -1)) != -1; polls++)
    CHECK_INT (polls, <, 1000);
  check_lost ("nbdcache_poll", EPROTO);
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.error, ==, EPROTO);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);

  /* The command's error carries the reason too. */
  CHECK_INT (nbdcache_aio_command_completed (h, (uint64_t) cookie), ==, -1);
  CHECK_ERROR ("nbdcache_aio_command_completed", EPROTO);
  CHECK_CONTAINS (nbdcache_get_error (), reason);

  check_stays_lost (h);
  nbdcache_close (h);
  CHECK_INT (c.frees, ==, 1);
}

/* A synchronous request waits for its reply when the violation
 * arrives.
 */
static void
test_sync (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");

  CHECK (nbdcache_get_stats_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", EPROTO);
  CHECK_CONTAINS (nbdcache_get_error (), reason);
  check_stays_lost (h);
  nbdcache_close (h);
}

int
main (int argc, char *argv[])
{
  check_usage (argc, argv, 2, "SOCKET REASON");
  sock = argv[1];
  reason = argv[2];
  test_aio ();
  test_sync ();
  return EXIT_SUCCESS;
}
