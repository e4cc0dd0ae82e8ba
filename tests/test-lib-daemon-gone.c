/* nbdcached tests: commands in flight when the connection to the
 * daemon ends, against a real daemon (see test-lib-daemon-gone.sh)
 * with two exports of nbdkit's memory plugin: "slow", whose Cache
 * requests take 2 seconds (delay filter), and "fast".
 *
 * Usage: test-lib-daemon-gone SOCKET DAEMON-PID
 *
 * 1. nbdcache_close with commands in flight: each callback runs once
 *    with ENOTCONN, and .free once, also for completed commands that
 *    were never retired.
 * 2. The daemon is killed (SIGKILL) with 300 commands in flight:
 *    nbdcache_poll fails with ENOTCONN, every callback runs once with
 *    ENOTCONN, .free once; the completed commands can still be
 *    retired; new submissions fail with ENOTCONN and call .free.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "nbdcache.h"
#include "test-lib.h"

#define NR_FAST 10
#define NR_SLOW 50
#define NR_GONE 300

static const char *sock;

/* Drive H until everything queued in it was written to the socket. */
static void
flush_requests (struct nbdcache_handle *h)
{
  while (nbdcache_aio_get_direction (h) & NBDCACHE_AIO_DIRECTION_WRITE)
    CHECK_OK (nbdcache_poll (h, 1000));
}

static void
submit (struct nbdcache_handle *h, struct cmd *cmds, int n, int retire_mod)
{
  for (int i = 0; i < n; i++) {
    cmds[i].offset = (uint64_t) i * 65536;
    cmds[i].count = 65536;
    cmds[i].retire = retire_mod ? i % retire_mod : 0;
    cmds[i].cookie = nbdcache_aio_cache (h, cmds[i].count, cmds[i].offset,
                                         cmd_completion (&cmds[i]), 0);
    CHECK_OK (cmds[i].cookie);
  }
}

static void
test_close_in_flight (void)
{
  static struct cmd fast[NR_FAST], slow[NR_SLOW];
  struct nbdcache_handle *h = connect_to (sock, "fast");
  int i, done;

  /* Completed, but never retired. */
  submit (h, fast, NR_FAST, 0);
  do {
    CHECK_OK (nbdcache_poll (h, -1));
    for (done = 0, i = 0; i < NR_FAST; i++)
      done += fast[i].calls;
  } while (done < NR_FAST);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);

  /* In flight: these take 2 seconds in nbdkit. */
  CHECK_OK (nbdcache_set_export_name (h, "slow"));
  submit (h, slow, NR_SLOW, 2);
  flush_requests (h);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, NR_SLOW);

  nbdcache_close (h);
  for (i = 0; i < NR_FAST; i++) {
    CHECK_INT (fast[i].calls, ==, 1);
    CHECK_INT (fast[i].error, ==, 0);
    CHECK_INT (fast[i].frees, ==, 1);
  }
  for (i = 0; i < NR_SLOW; i++) {
    CHECK_INT (slow[i].calls, ==, 1);
    CHECK_INT (slow[i].error, ==, ENOTCONN);
    CHECK_INT (slow[i].frees, ==, 1);
  }
}

static void
test_daemon_killed (pid_t daemon_pid)
{
  static struct cmd cmds[NR_GONE];
  struct nbdcache_handle *h = connect_to (sock, "slow");
  int64_t peek;
  int i, r, polls, lost = 0;

  CHECK_INT (nbdcache_get_size (h), ==, 1024 * 1024 * 1024LL);
  submit (h, cmds, NR_GONE, 2);
  flush_requests (h);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, NR_GONE);

  CHECK_INT (kill (daemon_pid, SIGKILL), ==, 0);

  /* Replies that arrived before the end may be read first. */
  for (polls = 0; (r = nbdcache_poll (h, -1)) != -1; polls++)
    CHECK_INT (polls, <, 1000);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);

  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  for (i = 0; i < NR_GONE; i++) {
    CHECK_INT (cmds[i].calls, ==, 1);
    if (cmds[i].error != 0)
      CHECK_INT (cmds[i].error, ==, ENOTCONN);
    lost += cmds[i].error == ENOTCONN;
    CHECK_INT (cmds[i].frees, ==, cmds[i].retire);
  }
  /* Cache requests take 2 s in nbdkit: none can have completed. */
  CHECK_INT (lost, ==, NR_GONE);

  /* The handle stays dead, and says why. */
  CHECK_INT (nbdcache_poll (h, -1), ==, -1);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);
  CHECK_CONTAINS (nbdcache_get_error (),
                  "nbdcache_poll: the connection to the daemon was lost: ");
  CHECK_INT (nbdcache_poll (h, 0), ==, -1);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);
  CHECK_AIO_FAILS (h, 512, 0, 0, ENOTCONN);
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", ENOTCONN);
  CHECK_INT (nbdcache_get_size (h), ==, -1);
  CHECK_ERROR ("nbdcache_get_size", ENOTCONN);
  CHECK (nbdcache_get_stats_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", ENOTCONN);
  CHECK_INT (nbdcache_aio_get_fd (h), ==, -1);
  CHECK_ERROR ("nbdcache_aio_get_fd", ENOTCONN);
  CHECK_INT (nbdcache_aio_get_direction (h), ==, 0);
  CHECK_INT (nbdcache_connect (h, sock), ==, -1);
  CHECK_ERROR ("nbdcache_connect", EISCONN);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);

  /* Completed commands can still be retired, with their error. */
  for (i = 0; i < NR_GONE; i++) {
    if (cmds[i].retire)
      continue;
    peek = nbdcache_aio_peek_command_completed (h);
    CHECK_INT (peek, >=, 1);
    r = nbdcache_aio_command_completed (h, (uint64_t) cmds[i].cookie);
    if (cmds[i].error == 0)
      CHECK_INT (r, ==, 1);
    else {
      CHECK_INT (r, ==, -1);
      CHECK_ERROR ("nbdcache_aio_command_completed", ENOTCONN);
    }
    CHECK_INT (cmds[i].frees, ==, 1);
  }
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);
  CHECK_ERROR ("nbdcache_aio_peek_command_completed", EINVAL);

  nbdcache_close (h);
  for (i = 0; i < NR_GONE; i++) {
    CHECK_INT (cmds[i].calls, ==, 1);
    CHECK_INT (cmds[i].frees, ==, 1);
  }
}

int
main (int argc, char *argv[])
{
  check_usage (argc, argv, 2, "SOCKET DAEMON-PID");
  sock = argv[1];

  test_close_in_flight ();
  test_daemon_killed ((pid_t) atoi (argv[2]));
  printf ("test-lib-daemon-gone: ok\n");
  return 0;
}
