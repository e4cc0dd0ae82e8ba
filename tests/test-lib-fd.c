/* nbdcached tests: driving libnbdcache from the caller's own poll(2)
 * loop with nbdcache_aio_get_fd and nbdcache_aio_get_direction,
 * against a real daemon (see test-lib-fd.sh).
 *
 * Usage: test-lib-fd SOCKET DAEMON-PID
 *
 * 1. 100 commands completed by a loop that waits on the handle's fd
 *    itself and calls nbdcache_poll (h, 0) when it is ready.
 * 2. With the daemon stopped (SIGSTOP), commands pile up in the handle
 *    until the direction includes WRITE; nbdcache_poll (h, 0) does
 *    not block; after SIGCONT the same loop, now also waiting for
 *    POLLOUT, sends and completes them all.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "nbdcache.h"
#include "test-lib.h"

#define NR_CMDS 100
#define MAX_STOPPED 200000

/* Callbacks count per cookie: cookies are small consecutive numbers. */
static int calls[MAX_STOPPED + NR_CMDS + 100];
static int frees[MAX_STOPPED + NR_CMDS + 100];
static int errors;
static int done;

static int
callback (void *user_data, int *error)
{
  calls[(intptr_t) user_data]++;
  if (*error != 0)
    errors++;
  done++;
  return 1;
}

static void
free_cb (void *user_data)
{
  frees[(intptr_t) user_data]++;
}

static int64_t
submit (struct nbdcache_handle *h, int slot)
{
  nbdcache_completion_callback cb = {
    .callback = callback, .user_data = (void *) (intptr_t) slot,
    .free = free_cb,
  };
  int64_t cookie;

  cookie = nbdcache_aio_cache (h, 512, (uint64_t) slot * 512, cb, 0);
  if (cookie == -1)
    TEST_FAIL ("nbdcache_aio_cache #%d: %s", slot, nbdcache_get_error ());
  return cookie;
}

/* The event loop of nbdcache_aio_get_fd(3), until nothing is in
 * flight.  Returns how often the socket was found writable.
 */
static int
event_loop (struct nbdcache_handle *h, int fd)
{
  int writable = 0;

  while (nbdcache_aio_in_flight (h) > 0) {
    unsigned dir = nbdcache_aio_get_direction (h);
    struct pollfd pfd = { .fd = fd };
    int r;

    CHECK_INT (dir & ~NBDCACHE_AIO_DIRECTION_MASK, ==, 0);
    CHECK (dir & NBDCACHE_AIO_DIRECTION_READ);
    if (dir & NBDCACHE_AIO_DIRECTION_READ)
      pfd.events |= POLLIN;
    if (dir & NBDCACHE_AIO_DIRECTION_WRITE)
      pfd.events |= POLLOUT;
    r = poll (&pfd, 1, 10000);
    if (r == -1 && errno == EINTR)
      continue;
    CHECK_INT (r, ==, 1);
    if (pfd.revents & POLLOUT)
      writable++;
    CHECK_INT (pfd.revents & (POLLERR | POLLHUP | POLLNVAL), ==, 0);
    if (nbdcache_poll (h, 0) == -1)
      TEST_FAIL ("nbdcache_poll: %s", nbdcache_get_error ());
  }
  return writable;
}

/* Wait until the kernel has really stopped PID. */
static void
wait_stopped (pid_t pid)
{
  char path[64], buf[512], *p;
  FILE *fp;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  for (int i = 0; i < 1000; i++) {
    fp = fopen (path, "r");
    CHECK (fp != NULL);
    CHECK (fgets (buf, sizeof buf, fp) != NULL);
    fclose (fp);
    p = strrchr (buf, ')');
    CHECK (p != NULL);
    if (p[1] == ' ' && (p[2] == 'T' || p[2] == 't'))
      return;
    usleep (10000);
  }
  TEST_FAIL ("process %d did not stop", (int) pid);
}

int
main (int argc, char *argv[])
{
  struct nbdcache_handle *h;
  pid_t daemon_pid;
  int64_t cookie, last = 0;
  int i, fd, n, stopped_slots;

  check_usage (argc, argv, 2, "SOCKET DAEMON-PID");
  daemon_pid = (pid_t) atoi (argv[2]);

  h = nbdcache_create ();
  CHECK (h != NULL);
  CHECK_INT (nbdcache_aio_get_direction (h), ==, 0);
  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  CHECK_OK (nbdcache_connect (h, argv[1]));
  fd = nbdcache_aio_get_fd (h);
  CHECK_INT (fd, >=, 0);
  /* Nothing queued: only READ, which is always set. */
  CHECK_INT (nbdcache_aio_get_direction (h), ==, NBDCACHE_AIO_DIRECTION_READ);
  CHECK_INT (nbdcache_poll (h, 0), ==, 0);

  /* 1. */
  for (i = 0; i < NR_CMDS; i++) {
    cookie = submit (h, i);
    CHECK_INT (cookie, >, last);
    last = cookie;
  }
  CHECK_INT (nbdcache_aio_in_flight (h), ==, NR_CMDS);
  event_loop (h, fd);
  CHECK_INT (done, ==, NR_CMDS);
  CHECK_INT (errors, ==, 0);
  for (i = 0; i < NR_CMDS; i++) {
    CHECK_INT (calls[i], ==, 1);
    CHECK_INT (frees[i], ==, 1);
  }
  CHECK_INT (nbdcache_aio_get_fd (h), ==, fd);
  CHECK_INT (nbdcache_aio_get_direction (h), ==, NBDCACHE_AIO_DIRECTION_READ);

  /* 2. */
  CHECK_INT (kill (daemon_pid, SIGSTOP), ==, 0);
  wait_stopped (daemon_pid);
  for (n = NR_CMDS; n < NR_CMDS + MAX_STOPPED; n++) {
    submit (h, n);
    /* Commands behind others wait for a poll to be sent (WRITE); a
     * poll that cannot send them all means the socket is full.
     */
    if (nbdcache_aio_get_direction (h) & NBDCACHE_AIO_DIRECTION_WRITE) {
      CHECK_INT (nbdcache_poll (h, 0), >=, 0);
      if (nbdcache_aio_get_direction (h) & NBDCACHE_AIO_DIRECTION_WRITE)
        break;
    }
  }
  CHECK_INT (n, <, NR_CMDS + MAX_STOPPED);
  stopped_slots = n + 1 - NR_CMDS;
  /* A few more, which must queue behind. */
  for (i = 0; i < 10; i++)
    submit (h, n + 1 + i);
  stopped_slots += 10;
  CHECK_INT (nbdcache_aio_get_direction (h), ==, NBDCACHE_AIO_DIRECTION_BOTH);
  /* The socket is full and nothing can be read: no progress, and no
   * blocking.
   */
  {
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    CHECK_INT (nbdcache_poll (h, 0), ==, 0);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    CHECK_INT (t1.tv_sec - t0.tv_sec, <, 2);
  }
  CHECK_INT (nbdcache_aio_in_flight (h), ==, stopped_slots);
  CHECK_INT (kill (daemon_pid, SIGCONT), ==, 0);

  CHECK_INT (event_loop (h, fd), >, 0);
  CHECK_INT (done, ==, NR_CMDS + stopped_slots);
  CHECK_INT (errors, ==, 0);
  for (i = 0; i < NR_CMDS + stopped_slots; i++) {
    CHECK_INT (calls[i], ==, 1);
    CHECK_INT (frees[i], ==, 1);
  }
  CHECK_INT (nbdcache_aio_get_direction (h), ==, NBDCACHE_AIO_DIRECTION_READ);
  nbdcache_close (h);
  printf ("test-lib-fd: ok (%d commands queued while the daemon was stopped)\n",
          stopped_slots);
  return 0;
}
