/* nbdcached tests: an event loop keeps polling while its callbacks
 * keep activating one another.
 *
 * The dispatch function answers every message by posting it again to
 * its own loop, as a chunk handed back and forth between the main
 * thread and workers[0] (which runs on the main loop) would be.
 * libevent runs what is activated during a pass in the same pass, so
 * without a bound on the callbacks per poll the loop would never poll
 * again.  A pipe that becomes readable while the messages bounce (the
 * tenth bounce writes to it) must still get its callback, which ends
 * the loop.  An alarm fails the test if it does not.
 */
#include <config.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "test-util.h"

/* loop.c's busy-polling reads the daemon's clock (main.c). */
uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static unsigned long dispatched;
static int fds[2];

/* Post every message straight back to the loop it came from; on the
 * tenth, make the pipe readable.
 */
static void
bounce (struct loop *loop, struct msg *msg)
{
  if (++dispatched == 10 && write (fds[1], "x", 1) != 1)
    abort ();
  loop_post (loop, msg);
}

/* The pipe is readable: the loop polled.  End it. */
static void
on_pipe (evutil_socket_t fd, short what, void *opaque)
{
  struct loop *loop = opaque;

  event_base_loopbreak (loop->base);
}

static void
on_alarm (int sig)
{
  static const char msg[] =
    "test-loop: FAIL: the loop never polled again while its callbacks "
    "kept posting to it\n";
  ssize_t r = write (STDERR_FILENO, msg, sizeof msg - 1);

  (void) r;
  _exit (EXIT_FAILURE);
}

int
main (void)
{
  struct loop loop;
  struct msg msg = { .next = NULL };
  struct event *ev;

  signal (SIGALRM, on_alarm);
  CHECK (pipe (fds) == 0);
  CHECK (loop_init (&loop, "test", bounce) == 0);
  ev = event_new (loop.base, fds[0], EV_READ, on_pipe, &loop);
  CHECK (ev != NULL && event_add (ev, NULL) == 0);
  /* Posted before the loop runs, so through its eventfd; from then on
   * the loop posts to itself.
   */
  loop_post (&loop, &msg);

  alarm (10);
  loop_run (&loop);
  alarm (0);

  printf ("test-loop: the pipe's callback ran after %lu bounces\n",
          dispatched);
  CHECK (dispatched >= 10);
  event_free (ev);
  loop_free (&loop);
  close (fds[0]);
  close (fds[1]);
  return EXIT_SUCCESS;
}
