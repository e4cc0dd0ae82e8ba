/* nbdcached tests: libnbdcache against odd answers of a daemon, and
 * when its own poll(2) fails (see test-lib-bad-replies.sh, which runs
 * it against bad-daemon.py in MODE).
 *
 * Usage: test-lib-bad-replies SOCKET MODE
 *
 * Each mode is one case where the library once did harm: read freed
 * memory, crashed, leaked, or lost its connection for no reason.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nbdcache.h"
#include "test-lib.h"

static const char *sock;

/* The daemon closed the connection after hello, unknown to the
 * library: the first command's send fails, so the command completes
 * with ENOTCONN inside nbdcache_aio_cache, and its callback retires
 * it.  The call still returns the command's cookie (the handshake had
 * id 1), without touching the retired command.
 */
static void
test_closeafterhello (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  struct pollfd pfd = { .fd = nbdcache_aio_get_fd (h), .events = POLLIN };
  struct cmd c = { .retire = 1 };

  CHECK_INT (poll (&pfd, 1, 5000), ==, 1);    /* the close is there */
  CHECK_INT (nbdcache_aio_cache (h, 512, 0, cmd_completion (&c), 0), ==, 2);
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.error, ==, ENOTCONN);
  CHECK_INT (c.frees, ==, 1);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  nbdcache_close (h);
  CHECK_INT (c.frees, ==, 1);
}

/* Two replies to one request, in one read: the first answers the
 * call; the second breaks the protocol, so the connection is lost
 * with EPROTO (the first reply is not leaked under the second).
 */
static void
test_dupreply (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  char *json = nbdcache_get_exports_json (h);

  CHECK (json != NULL);
  CHECK_STR (json, "[]");
  free (json);
  CHECK_INT (nbdcache_poll (h, 0), ==, -1);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);
  CHECK_CONTAINS (nbdcache_get_error (),
                  "daemon sent a message for an unknown or already "
                  "answered id");
  nbdcache_close (h);
}

/* A reply with no members but "id", "cookie" and "ok" to a request
 * whose reply the library hands out whole: EPROTO, not a crash.
 */
static void
test_flatreply (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");

  CHECK (nbdcache_get_stats_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", EPROTO);
  CHECK_CONTAINS (nbdcache_get_error (), "the daemon's reply has no members");
  CHECK (nbdcache_get_exports_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_exports_json", EPROTO);
  CHECK_CONTAINS (nbdcache_get_error (), "lacks \"exports\"");
  CHECK (nbdcache_get_exports_reply_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_exports_reply_json", EPROTO);
  CHECK_CONTAINS (nbdcache_get_error (), "lacks \"exports\"");
  nbdcache_close (h);
}

/* An export whose name is null is no export of that name. */
static void
test_nullname (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");

  CHECK_INT (nbdcache_get_size (h), ==, 4096);
  nbdcache_close (h);
}

/* A daemon from before "exports" could name an export refuses that
 * with EINVAL: nbdcache_get_size asks for the whole list instead.
 */
static void
test_oldexports (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");

  CHECK_INT (nbdcache_get_size (h), ==, 4096);
  nbdcache_close (h);
}

/* Make the library's next poll(2) fail with EINVAL: it waits on two
 * descriptors, more than this limit allows.  Or lift the limit again.
 */
static struct rlimit saved;

static void
break_poll (void)
{
  struct rlimit one;

  CHECK_INT (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  one = saved;
  one.rlim_cur = 1;
  CHECK_INT (setrlimit (RLIMIT_NOFILE, &one), ==, 0);
}

static void
mend_poll (void)
{
  CHECK_INT (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
}

/* A synchronous call whose poll fails gives up with that error; the
 * daemon's late answer must then be taken quietly, not as a reply to
 * nothing (which would drop the connection), and a cache command
 * given up on is retired when it completes.
 */
static void
test_slow (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  struct pollfd two[2] = { { .fd = -1 }, { .fd = -1 } };
  char *json;
  int polls;

  break_poll ();
  /* valgrind keeps the limit to itself: poll(2) does not fail then. */
  if (poll (two, 2, 0) != -1) {
    mend_poll ();
    printf ("test_slow skipped: poll(2) ignores RLIMIT_NOFILE here\n");
    nbdcache_close (h);
    return;
  }
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  mend_poll ();
  /* The daemon still works on it. */
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 1);
  for (polls = 0; nbdcache_aio_in_flight (h) > 0; polls++) {
    CHECK_INT (polls, <, 100);
    CHECK_OK (nbdcache_poll (h, 1000));
  }

  break_poll ();
  CHECK (nbdcache_get_stats_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", EINVAL);
  mend_poll ();
  /* Its reply comes within a second, and is dropped. */
  CHECK_OK (nbdcache_poll (h, 1000));
  CHECK_OK (nbdcache_poll (h, 500));

  /* The connection is as good as ever. */
  json = nbdcache_get_stats_json (h);
  CHECK (json != NULL);
  free (json);
  CHECK_OK (nbdcache_cache (h, 512, 0, 0));
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  nbdcache_close (h);
}

/* Run with send call 2 (the first after hello) failing with ENOBUFS
 * (fail-calls.so): a thread sleeping in nbdcache_poll learns at once
 * that another thread's send lost the connection.
 */
static void *
poll_forever (void *hv)
{
  struct nbdcache_handle *h = hv;

  CHECK_INT (nbdcache_poll (h, -1), ==, -1);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);
  CHECK_CONTAINS (nbdcache_get_error (), "No buffer space available");
  return NULL;
}

static void
test_sendfails (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  struct cmd c = { .retire = 0 };
  struct timespec deadline;
  pthread_t reader;

  CHECK_INT (pthread_create (&reader, NULL, poll_forever, h), ==, 0);
  usleep (200000);              /* until it sleeps in poll(2) */
  CHECK_OK (nbdcache_aio_cache (h, 512, 0, cmd_completion (&c), 0));
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.error, ==, ENOTCONN);
  clock_gettime (CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  CHECK_INT (pthread_timedjoin_np (reader, NULL, &deadline), ==, 0);
  nbdcache_close (h);
  CHECK_INT (c.frees, ==, 1);
}

/* A newer daemon (PROTOCOL.md section 1: clients ignore members and
 * event kinds they do not know): an extra member in the cookie reply,
 * an event of an unknown kind for the cookie before its completion,
 * and extra members in the completion and in "exports".  Each command
 * completes once, without error, and the connection stays usable.
 */
static void
test_newer (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");

  for (int i = 0; i < 2; i++) {
    struct cmd c = { .retire = 1 };
    int polls;

    CHECK (nbdcache_aio_cache (h, 512, 0, cmd_completion (&c), 0) > 0);
    for (polls = 0; c.calls == 0; polls++) {
      CHECK_INT (polls, <, 100);
      CHECK_OK (nbdcache_poll (h, 1000));
    }
    CHECK_INT (c.calls, ==, 1);
    CHECK_INT (c.error, ==, 0);
    CHECK_INT (c.frees, ==, 1);
    CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  }
  CHECK_OK (nbdcache_cache (h, 512, 0, 0));
  CHECK_INT (nbdcache_get_size (h), ==, 4096);
  nbdcache_close (h);
}

/* The modes, as test-lib-bad-replies.sh names them. */
static const struct {
  const char *name;
  void (*run) (void);
} modes[] = {
  { "closeafterhello", test_closeafterhello },
  { "dupreply", test_dupreply },
  { "flatreply", test_flatreply },
  { "nullname", test_nullname },
  { "oldexports", test_oldexports },
  { "slow", test_slow },
  { "sendfails", test_sendfails },
  { "newer", test_newer },
};

int
main (int argc, char *argv[])
{
  check_usage (argc, argv, 2, "SOCKET MODE");
  sock = argv[1];
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp (argv[2], modes[i].name) == 0) {
      modes[i].run ();
      return EXIT_SUCCESS;
    }
  TEST_FAIL ("unknown mode %s", argv[2]);
  return EXIT_FAILURE;
}
