/* nbdcached tests: one libnbdcache handle shared by several threads,
 * against a real daemon (see test-lib-threads.sh).
 *
 * Usage: test-lib-threads SOCKET
 *
 * Four threads each make 200 synchronous nbdcache_cache calls on the
 * same handle while a fifth submits 200 nbdcache_aio_cache commands
 * and drives the handle with nbdcache_poll.  Every call must succeed
 * and every callback run exactly once, whichever thread read its
 * completion.  Every command covers its own 64K block, so the wrapper
 * can check that nbdkit saw exactly 1000 Cache requests.
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

#define NR_SYNC_THREADS 4
#define NR_SYNC_CALLS 200
#define NR_AIO 200
#define BLOCK 65536

static struct nbdcache_handle *h;

/* Written by callbacks in whichever thread drives the handle. */
static atomic_int aio_calls[NR_AIO];
static atomic_int aio_frees[NR_AIO];
static atomic_int aio_errors[NR_AIO];
static atomic_int aio_done;

static void *
sync_thread (void *arg)
{
  int t = (int) (intptr_t) arg;

  for (int i = 0; i < NR_SYNC_CALLS; i++) {
    uint64_t block = (uint64_t) (t * NR_SYNC_CALLS + i);

    if (nbdcache_cache (h, BLOCK, block * BLOCK, 0) == -1)
      TEST_FAIL ("thread %d: nbdcache_cache #%d: %s", t, i,
                 nbdcache_get_error ());
  }
  return NULL;
}

static int
aio_callback (void *user_data, int *error)
{
  int i = (int) (intptr_t) user_data;

  atomic_fetch_add (&aio_calls[i], 1);
  if (*error != 0)
    atomic_fetch_add (&aio_errors[i], 1);
  atomic_fetch_add (&aio_done, 1);
  return 1;
}

static void
aio_free (void *user_data)
{
  int i = (int) (intptr_t) user_data;

  atomic_fetch_add (&aio_frees[i], 1);
}

/* Submit in batches, polling in between, then poll until all are
 * done.  The timeout matters: another thread may read our last
 * completion while we sleep in poll(2) with nothing more to come.
 */
static void *
aio_thread (void *arg)
{
  for (int i = 0; i < NR_AIO; i++) {
    uint64_t block = (uint64_t) (NR_SYNC_THREADS * NR_SYNC_CALLS + i);
    nbdcache_completion_callback cb = {
      .callback = aio_callback, .user_data = (void *) (intptr_t) i,
      .free = aio_free,
    };

    if (nbdcache_aio_cache (h, BLOCK, block * BLOCK, cb, 0) == -1)
      TEST_FAIL ("nbdcache_aio_cache #%d: %s", i, nbdcache_get_error ());
    if (i % 20 == 19 && nbdcache_poll (h, 0) == -1)
      TEST_FAIL ("nbdcache_poll: %s", nbdcache_get_error ());
  }
  while (atomic_load (&aio_done) < NR_AIO) {
    if (nbdcache_poll (h, 100) == -1)
      TEST_FAIL ("nbdcache_poll: %s", nbdcache_get_error ());
  }
  return NULL;
}

int
main (int argc, char *argv[])
{
  pthread_t sync_threads[NR_SYNC_THREADS], aio;
  int i;

  h = connect_disk (argc, argv);
  CHECK_OK (nbdcache_get_size (h));

  for (i = 0; i < NR_SYNC_THREADS; i++)
    CHECK_INT (pthread_create (&sync_threads[i], NULL, sync_thread,
                               (void *) (intptr_t) i), ==, 0);
  CHECK_INT (pthread_create (&aio, NULL, aio_thread, NULL), ==, 0);
  for (i = 0; i < NR_SYNC_THREADS; i++)
    CHECK_INT (pthread_join (sync_threads[i], NULL), ==, 0);
  CHECK_INT (pthread_join (aio, NULL), ==, 0);

  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);
  CHECK_INT (atomic_load (&aio_done), ==, NR_AIO);
  for (i = 0; i < NR_AIO; i++) {
    CHECK_INT (atomic_load (&aio_calls[i]), ==, 1);
    CHECK_INT (atomic_load (&aio_errors[i]), ==, 0);
    CHECK_INT (atomic_load (&aio_frees[i]), ==, 1);
  }
  nbdcache_close (h);
  printf ("test-lib-threads: ok\n");
  return 0;
}
