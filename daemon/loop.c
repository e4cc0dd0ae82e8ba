/* nbdcached: event loops with an inbox, after memcached's thread.c.
 *
 * Other threads hand work to a loop by appending struct msg to its
 * inbox under the inbox lock and kicking its eventfd (only when the
 * inbox was empty, so a burst costs one write).  The loop takes the
 * whole inbox at once and dispatches it unlocked.
 *
 * A loop posting to itself (the main loop handing chunks to
 * workers[0], which runs on it, and workers[0] handing back results)
 * needs no eventfd: it activates its own event, which libevent runs in
 * the same pass, before it polls again (unless the pass has run
 * LOOP_MAX_CALLBACKS_PER_POLL callbacks already).  That saves a write,
 * a read and a pass per hand-off.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

/* The loop this thread is running, if any (see loop_run). */
static __thread struct loop *running_loop;

/* After this many callbacks, a loop looks for new events before it
 * runs more.  libevent otherwise runs the events activated during a
 * pass in the same pass, so callbacks that kept activating one another
 * (a self-post answered by a self-post: a chunk handed back and forth
 * between main and workers[0], which share the main loop) would run
 * for ever without polling, and the daemon would answer nothing, not
 * even SIGTERM.  Normal passes run far fewer.
 */
#define LOOP_MAX_CALLBACKS_PER_POLL 256

/* Take everything in the inbox and dispatch it, in order. */
static void
loop_run_inbox (struct loop *loop)
{
  struct msg_queue batch;
  struct msg *m;

  loop_note_work ();
  msg_queue_init (&batch);
  pthread_mutex_lock (&loop->lock);
  msg_queue_move (&batch, &loop->inbox, false);
  loop->kicked = false;
  pthread_mutex_unlock (&loop->lock);

  while ((m = msg_queue_pop (&batch)) != NULL)
    loop->dispatch (loop, m);
  if (loop->after_batch)
    loop->after_batch (loop);
}

static void
on_kick (evutil_socket_t fd, short what, void *opaque)
{
  struct loop *loop = opaque;
  uint64_t n;

  if (read (fd, &n, sizeof n) == -1 && errno != EAGAIN)
    log_warn ("%s: read eventfd", loop->name);
  loop_run_inbox (loop);
}

static void
on_self_post (evutil_socket_t fd, short what, void *opaque)
{
  loop_run_inbox (opaque);
}

/* Set up LOOP with a new event_base.  Returns 0 or -1 (logged).  Call
 * from the thread that will run it or before that thread starts.
 */
int
loop_init (struct loop *loop, const char *name,
           void (*dispatch) (struct loop *, struct msg *))
{
  struct event_config *ecfg;

  memset (loop, 0, sizeof *loop);
  snprintf (loop->name, sizeof loop->name, "%s", name);
  loop->dispatch = dispatch;
  msg_queue_init (&loop->inbox);
  pthread_mutex_init (&loop->lock, NULL);

  /* Each base is only ever touched by its own thread. */
  ecfg = event_config_new ();
  if (ecfg == NULL)
    goto fail;
  event_config_set_flag (ecfg, EVENT_BASE_FLAG_NOLOCK);
  if (event_config_set_max_dispatch_interval (ecfg, NULL,
                                              LOOP_MAX_CALLBACKS_PER_POLL,
                                              0) == -1) {
    event_config_free (ecfg);
    goto fail;
  }
  loop->base = event_base_new_with_config (ecfg);
  event_config_free (ecfg);
  if (loop->base == NULL)
    goto fail;
  loop->kick_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (loop->kick_fd == -1)
    goto fail;
  loop->kick_ev = event_new (loop->base, loop->kick_fd,
                             EV_READ | EV_PERSIST, on_kick, loop);
  if (loop->kick_ev == NULL || event_add (loop->kick_ev, NULL) == -1)
    goto fail;
  loop->self_ev = event_new (loop->base, -1, 0, on_self_post, loop);
  if (loop->self_ev == NULL)
    goto fail;
  return 0;

 fail:
  log_warn ("%s: cannot create event loop", name);
  return -1;
}

void
loop_free (struct loop *loop)
{
  if (loop->kick_ev)
    event_free (loop->kick_ev);
  if (loop->self_ev)
    event_free (loop->self_ev);
  if (loop->kick_fd > 0)
    close (loop->kick_fd);
  if (loop->base)
    event_base_free (loop->base);
  pthread_mutex_destroy (&loop->lock);
}

/* Move the messages of Q (the caller's, left empty) to the end of
 * LOOP's inbox and wake it if needed.  Any thread may call this.  The
 * messages belong to LOOP from now on.
 */
void
loop_post_queue (struct loop *loop, struct msg_queue *q)
{
  bool kick;
  uint64_t one = 1;

  if (msg_queue_empty (q))
    return;
  pthread_mutex_lock (&loop->lock);
  msg_queue_move (&loop->inbox, q, false);
  kick = !loop->kicked;
  loop->kicked = true;
  pthread_mutex_unlock (&loop->lock);

  if (!kick)
    return;
  if (loop == running_loop)
    event_active (loop->self_ev, 0, 0);
  else if (write (loop->kick_fd, &one, sizeof one) == -1 && errno != EAGAIN)
    log_warn ("%s: write eventfd", loop->name);
}

__thread unsigned loop_work;
__thread unsigned loop_nbd_in_flight;

/* Busy-poll only while at most this many NBD commands are in flight
 * on the loop's connections: the one request at a time whose latency
 * the spin is for.  With more, a reply is due soon anyway, so sleeping
 * costs little, while spinning would take the CPU from the server and
 * the clients whose work the loop waits for.  With 32 busy clients on
 * two CPUs, spinning regardless cost 15% of the requests, a bound of 4
 * still 8% (in runs of 50,000 requests: the spins came at the start
 * and the end), and this bound nothing measurable.
 */
#define BUSY_POLL_MAX_IN_FLIGHT 1

/* busy-poll-us, in ns; set by main, read by every loop. */
static uint64_t busy_poll_ns;

/* Set busy-poll-us for every loop, from their next pass on, and say
 * so in the log when it changes (it costs CPU).  Main thread only.
 */
void
loop_set_busy_poll (unsigned us)
{
  uint64_t ns = (uint64_t) us * 1000;

  if (ns == __atomic_load_n (&busy_poll_ns, __ATOMIC_RELAXED))
    return;
  __atomic_store_n (&busy_poll_ns, ns, __ATOMIC_RELAXED);
  if (us != 0)
    log_info ("busy-poll-us = %u: event loops poll for %u microseconds "
              "after work before sleeping", us, us);
  else
    log_info ("busy-poll-us = 0: event loops sleep as soon as idle");
}

/* The next busy-poll window, as QEMU's event loops adapt theirs
 * (poll-max-ns): from WINDOW, after the loop was idle for IDLE_NS
 * before work came, with busy-poll-us MAX.  Work that came within the
 * window was caught by the spin: keep it.  Work that came later, but
 * within MAX, would have been caught by a longer one: double it
 * (starting at 4 us).  Work that took longer than MAX would have been
 * waited for in vain: stop spinning until short gaps come back.  So an
 * idle daemon, or one with requests seconds apart, does not spin at
 * all, and one that serves one request at a time spins just long
 * enough to find the next message on its CPU.
 */
static uint64_t
next_window (uint64_t window, uint64_t idle_ns, uint64_t max)
{
  if (idle_ns <= window)
    return window;
  if (idle_ns > max)
    return 0;
  window = window ? window * 2 : 4000;
  return window < max ? window : max;
}

/* Run LOOP on this thread until event_base_loopbreak, which only the
 * loop's own callbacks call (a break from elsewhere between two passes
 * would be lost when the next pass clears it).
 *
 * Each pass waits for events and runs their callbacks.  With
 * busy-poll-us set, the passes for a while after one that did work
 * (loop_note_work) poll without sleeping, as long as few NBD commands
 * stay in flight on the loop's connections: a reply that comes back
 * from the server, or the client's next request, then finds the
 * thread on its CPU, and is not delayed by a wake-up.  How long is the
 * window (next_window), at most busy-poll-us.  An idle loop sleeps as
 * it does without busy-polling, and so does a busy one
 * (BUSY_POLL_MAX_IN_FLIGHT), even in the middle of a spin.
 */
void
loop_run (struct loop *loop)
{
  uint64_t window = 0;          /* the spin after work, ns */
  uint64_t idle_since = 0;      /* end of the last pass that did work */

  running_loop = loop;
  while (!event_base_got_break (loop->base)) {
    uint64_t max = __atomic_load_n (&busy_poll_ns, __ATOMIC_RELAXED);
    unsigned work = loop_work;
    int flags = EVLOOP_NO_EXIT_ON_EMPTY | EVLOOP_ONCE;

    if (window > max)           /* a reload lowered busy-poll-us */
      window = max;
    if (window != 0 && loop_nbd_in_flight <= BUSY_POLL_MAX_IN_FLIGHT &&
        now_ns () < idle_since + window)
      flags = EVLOOP_NO_EXIT_ON_EMPTY | EVLOOP_NONBLOCK;
    event_base_loop (loop->base, flags);
    if (loop_work != work && max != 0) {
      uint64_t now = now_ns ();

      if (idle_since != 0)
        window = next_window (window, now - idle_since, max);
      idle_since = now;
    }
  }
  running_loop = NULL;
}

void
loop_post (struct loop *loop, struct msg *msg)
{
  struct msg_queue q;

  msg_queue_init (&q);
  msg_queue_push (&q, msg);
  loop_post_queue (loop, &q);
}

/* Dispatch what is in the inbox, and what that posts in turn, until
 * it is empty, without the event loop.  Used at shutdown after the
 * other threads have stopped.
 */
void
loop_drain (struct loop *loop)
{
  while (!msg_queue_empty (&loop->inbox))
    loop_run_inbox (loop);
}

/* Add the timer EV to fire in MS; returns 0 and clears *LOST_DUE.  If
 * libevent cannot add it (it could not grow its timer heap), note in
 * *LOST_DUE when it was due instead and return -1 (errno set): main's
 * janitor then fires it, through timer_lost_is_due, at most one tick
 * late.
 */
int
timer_add_or_note (struct event *ev, unsigned ms, uint64_t *lost_due)
{
  struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

  if (evtimer_add (ev, &tv) == 0) {
    *lost_due = 0;
    return 0;
  }
  *lost_due = now_ns () + (uint64_t) ms * 1000000;
  return -1;
}

/* Is the timer noted lost in *LOST_DUE due at NOW?  If so it is no
 * longer noted, and the caller fires it.
 */
bool
timer_lost_is_due (uint64_t *lost_due, uint64_t now)
{
  if (*lost_due == 0 || now < *lost_due)
    return false;
  *lost_due = 0;
  return true;
}
