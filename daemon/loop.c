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
 * the same pass, before it polls again.  That saves a write, a read
 * and a pass per hand-off.
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

/* Take everything in the inbox and dispatch it, in order. */
static void
loop_run_inbox (struct loop *loop)
{
  struct msg *m, *next;

  loop_note_work ();
  pthread_mutex_lock (&loop->lock);
  m = loop->inbox_head;
  loop->inbox_head = NULL;
  loop->inbox_tail = &loop->inbox_head;
  loop->kicked = false;
  pthread_mutex_unlock (&loop->lock);

  for (; m != NULL; m = next) {
    next = m->next;
    m->next = NULL;
    loop->dispatch (loop, m);
  }
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
  loop->inbox_tail = &loop->inbox_head;
  pthread_mutex_init (&loop->lock, NULL);

  /* Each base is only ever touched by its own thread. */
  ecfg = event_config_new ();
  if (ecfg == NULL)
    goto fail;
  event_config_set_flag (ecfg, EVENT_BASE_FLAG_NOLOCK);
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

/* Append the list HEAD..*TAIL to LOOP's inbox and wake it if needed.
 * Any thread may call this.  The messages belong to LOOP from now on.
 */
void
loop_post_list (struct loop *loop, struct msg *head, struct msg **tail)
{
  bool kick;
  uint64_t one = 1;

  if (head == NULL)
    return;
  pthread_mutex_lock (&loop->lock);
  *loop->inbox_tail = head;
  loop->inbox_tail = tail;
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

/* Run LOOP on this thread until event_base_loopbreak, which only the
 * loop's own callbacks call (a break from elsewhere between two passes
 * would be lost when the next pass clears it).
 *
 * Each pass waits for events and runs their callbacks.  With
 * busy-poll-us set, a pass that did work (loop_note_work) makes the
 * passes for that long after it poll without sleeping, as long as few
 * NBD commands stay in flight on the loop's connections: a request
 * that comes back from the server or the client's next request then
 * finds the thread on its CPU, and is not delayed by a wake-up.  An
 * idle loop sleeps as it does without busy-polling, and so does a busy
 * one (BUSY_POLL_MAX_IN_FLIGHT), even in the middle of a spin.
 */
void
loop_run (struct loop *loop)
{
  uint64_t spin_until = 0;

  running_loop = loop;
  while (!event_base_got_break (loop->base)) {
    uint64_t spin_ns = __atomic_load_n (&busy_poll_ns, __ATOMIC_RELAXED);
    unsigned work = loop_work;
    int flags = EVLOOP_NO_EXIT_ON_EMPTY;

    if (spin_until != 0 && loop_nbd_in_flight <= BUSY_POLL_MAX_IN_FLIGHT &&
        now_ns () < spin_until)
      flags |= EVLOOP_NONBLOCK;
    else {
      spin_until = 0;
      flags |= EVLOOP_ONCE;
    }
    event_base_loop (loop->base, flags);
    if (spin_ns != 0 && loop_work != work)
      spin_until = now_ns () + spin_ns;
  }
  running_loop = NULL;
}

void
loop_post (struct loop *loop, struct msg *msg)
{
  msg->next = NULL;
  loop_post_list (loop, msg, &msg->next);
}

/* Dispatch what is in the inbox, and what that posts in turn, until
 * it is empty, without the event loop.  Used at shutdown after the
 * other threads have stopped.
 */
void
loop_drain (struct loop *loop)
{
  while (loop->inbox_head != NULL)
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
