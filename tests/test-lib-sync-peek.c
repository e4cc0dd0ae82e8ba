/* nbdcached tests: nbdcache_cache in one thread while another thread
 * retires its own asynchronous commands with the idiom of
 * nbdcache_aio_peek_command_completed(3), on one handle, against a
 * real daemon (see test-lib-sync-peek.sh).
 *
 * Usage: test-lib-sync-peek SOCKET
 *
 * nbdcache(3) allows a handle to be used from several threads at once.
 * The synchronous call's command has no cookie the caller ever saw, so
 * peek must not hand it to the other thread: if it did, that thread
 * would retire it, and nbdcache_cache would lose its command.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbdcache.h"
#include "test-lib.h"

#define NR_SYNC 1000
#define MAX_AIO 100000

static struct nbdcache_handle *h;
static atomic_int sync_done;

static void *
sync_thread (void *arg)
{
  for (int i = 0; i < NR_SYNC; i++) {
    if (nbdcache_cache (h, 4096, (uint64_t) i * 4096, 0) == -1)
      TEST_FAIL ("nbdcache_cache #%d: %s", i, nbdcache_get_error ());
  }
  atomic_store (&sync_done, 1);
  return NULL;
}

/* The cookies this thread got from nbdcache_aio_cache, in order. */
static int64_t cookies[MAX_AIO];
static char retired[MAX_AIO];
static int nr_cookies;

static int
own_cookie (int64_t cookie)
{
  int lo = 0, hi = nr_cookies;

  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (cookies[mid] == cookie)
      return mid;
    if (cookies[mid] < cookie)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* Retire every completed command, as nbdcache_aio_peek_command_completed(3)
 * shows.
 */
static void
retire_completed (void)
{
  int64_t cookie;

  while ((cookie = nbdcache_aio_peek_command_completed (h)) > 0) {
    int i = own_cookie (cookie);

    if (i == -1)
      TEST_FAIL ("nbdcache_aio_peek_command_completed returned %lld, which "
                 "no nbdcache_aio_cache call returned: the command of an "
                 "nbdcache_cache call in another thread (retiring it makes "
                 "that call crash)", (long long) cookie);
    CHECK (!retired[i]);
    CHECK_INT (nbdcache_aio_command_completed (h, (uint64_t) cookie), ==, 1);
    retired[i] = 1;
  }
}

int
main (int argc, char *argv[])
{
  pthread_t t;
  int i;

  h = connect_disk (argc, argv);

  CHECK_INT (pthread_create (&t, NULL, sync_thread, NULL), ==, 0);
  while (!atomic_load (&sync_done)) {
    uint64_t offset;
    int64_t cookie;

    CHECK (nr_cookies < MAX_AIO);
    offset = (uint64_t) (NR_SYNC + nr_cookies % 1000) * 4096;
    cookie = nbdcache_aio_cache (h, 4096, offset, NBDCACHE_NULL_COMPLETION, 0);
    CHECK_OK (cookie);
    cookies[nr_cookies++] = cookie;
    retire_completed ();
    if (nbdcache_poll (h, 10) == -1)
      TEST_FAIL ("nbdcache_poll: %s", nbdcache_get_error ());
  }
  CHECK_INT (pthread_join (t, NULL), ==, 0);

  while (nbdcache_aio_in_flight (h) > 0) {
    if (nbdcache_poll (h, -1) == -1)
      TEST_FAIL ("nbdcache_poll: %s", nbdcache_get_error ());
  }
  retire_completed ();
  for (i = 0; i < nr_cookies; i++)
    CHECK (retired[i]);
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);
  nbdcache_close (h);
  printf ("test-lib-sync-peek: ok (%d asynchronous commands)\n", nr_cookies);
  return 0;
}
