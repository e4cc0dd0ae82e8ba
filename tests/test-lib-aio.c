/* nbdcached tests: the asynchronous API of libnbdcache, against a
 * real daemon (see test-lib-aio.sh).
 *
 * Usage: test-lib-aio SOCKET RANGES-FILE
 *
 * Submits 500 cache commands with completion callbacks, drives them
 * with nbdcache_poll, and checks that each callback and each .free
 * runs exactly once, that the commands whose callback returns 1 are
 * retired at once and the others (callbacks returning 0, -1 or 2) by
 * nbdcache_aio_command_completed, and the
 * semantics of cookies, nbdcache_aio_in_flight and
 * nbdcache_aio_peek_command_completed.  Writes the submitted ranges
 * to RANGES-FILE so that the wrapper can check what reached nbdkit.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbdcache.h"
#include "test-lib.h"

#define NR_CMDS 500
#define MiB (1024 * 1024ULL)
#define EXPORT_SIZE (1024 * MiB)

static struct cmd cmds[NR_CMDS];

/* What the callbacks return: only 1 retires the command. */
static const int callback_returns[] = { 1, 0, -1, 2 };

/* Non-overlapping ranges of every alignment, some crossing the 32M
 * boundaries where the daemon splits.
 */
static void
make_ranges (void)
{
  for (int i = 0; i < NR_CMDS; i++) {
    cmds[i].offset = (uint64_t) i * 2 * MiB + MiB + (uint64_t) i * 4099 % 65536;
    cmds[i].count = 1 + (uint64_t) i * 104729 % MiB;
    cmds[i].retire = callback_returns[i % 4];
  }
  /* A one-byte command, and one that fills its slot up to the next. */
  cmds[NR_CMDS - 2].count = 1;
  cmds[NR_CMDS - 1].count = 2 * MiB - (NR_CMDS - 1) * 4099ULL % 65536;
}

/* Count the commands that have completed but were not retired. */
static int
completed_unretired (void)
{
  int n = 0;

  for (int i = 0; i < NR_CMDS; i++)
    if (cmds[i].calls == 1 && cmds[i].retire != 1 && cmds[i].frees == 0)
      n++;
  return n;
}

static struct cmd *
find_cookie (int64_t cookie)
{
  for (int i = 0; i < NR_CMDS; i++)
    if (cmds[i].cookie == cookie)
      return &cmds[i];
  return NULL;
}

static void
write_ranges (const char *path)
{
  FILE *fp = fopen (path, "w");

  CHECK (fp != NULL);
  for (int i = 0; i < NR_CMDS; i++)
    fprintf (fp, "%" PRIu64 " %" PRIu64 "\n", cmds[i].offset, cmds[i].count);
  /* The two of test_null_completion. */
  fprintf (fp, "0 4096\n4096 4096\n");
  CHECK (fclose (fp) == 0);
}

/* One command without a callback, retired by polling
 * nbdcache_aio_command_completed as in nbdcache_poll(3); and one with
 * only .free, which must still run exactly once.
 */
static void
test_null_completion (struct nbdcache_handle *h)
{
  struct cmd c = { .retire = 0 };
  nbdcache_completion_callback cb = { .user_data = &c, .free = cmd_free };
  int64_t cookie, cookie2;
  int r;

  cookie = nbdcache_aio_cache (h, 4096, 0, NBDCACHE_NULL_COMPLETION, 0);
  CHECK_OK (cookie);
  cookie2 = nbdcache_aio_cache (h, 4096, 4096, cb, 0);
  CHECK_OK (cookie2);
  CHECK_INT (cookie2, >, cookie);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 2);
  while ((r = nbdcache_aio_command_completed (h, cookie)) == 0)
    CHECK_OK (nbdcache_poll (h, -1));
  CHECK_INT (r, ==, 1);
  while ((r = nbdcache_aio_command_completed (h, cookie2)) == 0)
    CHECK_OK (nbdcache_poll (h, -1));
  CHECK_INT (r, ==, 1);
  CHECK_INT (c.frees, ==, 1);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  CHECK_INT (nbdcache_aio_command_completed (h, cookie2), ==, -1);
  CHECK_ERROR ("nbdcache_aio_command_completed", EINVAL);
  CHECK_INT (c.frees, ==, 1);
}

int
main (int argc, char *argv[])
{
  struct nbdcache_handle *h;
  int64_t last_cookie = 0, in_flight, prev_in_flight, peek;
  int i, r, callbacks, polls = 0;

  check_usage (argc, argv, 2, "SOCKET RANGES-FILE");
  make_ranges ();

  h = nbdcache_create ();
  CHECK (h != NULL);
  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  CHECK_OK (nbdcache_connect (h, argv[1]));
  CHECK_INT (nbdcache_get_size (h), ==, EXPORT_SIZE);

  /* No commands at all. */
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);
  CHECK_ERROR ("nbdcache_aio_peek_command_completed", EINVAL);

  /* Submit everything.  Nothing is read from the socket until the
   * handle is driven, so all are in flight and none has completed.
   */
  for (i = 0; i < NR_CMDS; i++) {
    int64_t cookie = nbdcache_aio_cache (h, cmds[i].count, cmds[i].offset,
                                         cmd_completion (&cmds[i]), 0);
    CHECK_OK (cookie);
    CHECK_INT (cookie, >=, 1);
    CHECK_INT (cookie, >, last_cookie);
    cmds[i].cookie = last_cookie = cookie;
  }
  CHECK_INT (nbdcache_aio_in_flight (h), ==, NR_CMDS);
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, 0);
  for (i = 0; i < NR_CMDS; i++) {
    CHECK_INT (cmds[i].calls, ==, 0);
    CHECK_INT (cmds[i].frees, ==, 0);
    CHECK_INT (nbdcache_aio_command_completed (h, (uint64_t) cmds[i].cookie),
               ==, 0);
  }

  /* Drive until every command has completed. */
  prev_in_flight = NR_CMDS;
  while ((in_flight = nbdcache_aio_in_flight (h)) > 0) {
    CHECK_INT (in_flight, <=, prev_in_flight);
    prev_in_flight = in_flight;
    r = nbdcache_poll (h, -1);
    if (r == -1)
      TEST_FAIL ("nbdcache_poll: %s", nbdcache_get_error ());
    CHECK_INT (r, ==, 1);
    polls++;

    callbacks = 0;
    for (i = 0; i < NR_CMDS; i++) {
      CHECK_INT (cmds[i].calls, <=, 1);
      callbacks += cmds[i].calls;
    }
    CHECK_INT (nbdcache_aio_in_flight (h), ==, NR_CMDS - callbacks);

    /* peek: a completed, unretired command if there is one, else 0. */
    peek = nbdcache_aio_peek_command_completed (h);
    if (completed_unretired () > 0) {
      struct cmd *c = find_cookie (peek);
      CHECK_INT (peek, >=, 1);
      CHECK (c != NULL);
      CHECK_INT (c->calls, ==, 1);
      CHECK_INT (c->retire, !=, 1);
      CHECK_INT (c->frees, ==, 0);
    }
    else if (callbacks < NR_CMDS)
      CHECK_INT (peek, ==, 0);
  }
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);

  /* Every callback ran once, without error; only the commands whose
   * callback returned 1 have been freed.
   */
  for (i = 0; i < NR_CMDS; i++) {
    CHECK_INT (cmds[i].calls, ==, 1);
    CHECK_INT (cmds[i].error, ==, 0);
    CHECK_INT (cmds[i].frees, ==, cmds[i].retire == 1);
  }

  /* Retire the others: once 1, then EINVAL; the retired ones are
   * unknown.
   */
  for (i = 0; i < NR_CMDS; i++) {
    uint64_t cookie = (uint64_t) cmds[i].cookie;

    if (cmds[i].retire != 1) {
      peek = nbdcache_aio_peek_command_completed (h);
      CHECK_INT (peek, >=, 1);
      CHECK (find_cookie (peek) != NULL);
      CHECK_INT (find_cookie (peek)->frees, ==, 0);
      CHECK_INT (nbdcache_aio_command_completed (h, cookie), ==, 1);
      CHECK_INT (cmds[i].frees, ==, 1);
    }
    CHECK_INT (nbdcache_aio_command_completed (h, cookie), ==, -1);
    CHECK_ERROR ("nbdcache_aio_command_completed", EINVAL);
    CHECK_INT (cmds[i].frees, ==, 1);
    CHECK_INT (cmds[i].calls, ==, 1);
  }
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);
  CHECK_ERROR ("nbdcache_aio_peek_command_completed", EINVAL);
  CHECK_INT (nbdcache_aio_command_completed (h, 0), ==, -1);
  CHECK_ERROR ("nbdcache_aio_command_completed", EINVAL);
  CHECK_INT (nbdcache_aio_command_completed (h, (uint64_t) last_cookie + 1000),
             ==, -1);
  CHECK_ERROR ("nbdcache_aio_command_completed", EINVAL);

  /* Nothing is pending: a poll that may not wait times out. */
  CHECK_INT (nbdcache_poll (h, 0), ==, 0);

  test_null_completion (h);

  nbdcache_close (h);
  for (i = 0; i < NR_CMDS; i++) {
    CHECK_INT (cmds[i].calls, ==, 1);
    CHECK_INT (cmds[i].frees, ==, 1);
  }
  write_ranges (argv[2]);
  printf ("test-lib-aio: ok (%d polls)\n", polls);
  return 0;
}
