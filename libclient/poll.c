/* libnbdcache: driving the connection, alone or from several threads. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

/* Returns 0 if H is connected, else -1 with the error set: ENOTCONN,
 * with the reason the connection was lost if it was.  Lock held.
 */
int
check_connected (struct nbdcache_handle *h)
{
  if (h->fd >= 0)
    return 0;
  if (h->dead_errno != 0)
    set_error (ENOTCONN, "%s", h->dead_msg);
  else
    set_error (ENOTCONN, "not connected: call nbdcache_connect first");
  return -1;
}

/* For the call during which the connection was lost: set the error
 * that connection_lost recorded (EPROTO if the daemon broke the
 * protocol) and return -1.  Later calls get ENOTCONN from
 * check_connected.  Lock held.
 */
int
connection_lost_error (struct nbdcache_handle *h)
{
  set_error (h->dead_errno, "%s", h->dead_msg);
  return -1;
}

/* Wait on h->progress until another thread's read pass finishes or
 * TIMEOUT ms pass (-1: no limit).  Returns 1 on progress, 0 on
 * timeout.  Lock held.
 */
static int
wait_for_reader (struct nbdcache_handle *h, int timeout)
{
  uint64_t seq = h->progress_seq;
  struct timespec deadline;

  if (timeout >= 0) {
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout / 1000;
    deadline.tv_nsec += (long) (timeout % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000;
    }
  }
  while (h->reading && h->progress_seq == seq) {
    if (timeout < 0)
      pthread_cond_wait (&h->progress, &h->lock);
    else if (pthread_cond_timedwait (&h->progress, &h->lock,
                                     &deadline) == ETIMEDOUT)
      return 0;
  }
  return 1;
}

/* Become the reader: sleep in poll(2) without the lock, then send and
 * receive what the socket allows.  Returns 1 if something happened,
 * 0 on timeout, -1 on error (EINTR when a signal interrupted poll(2):
 * nothing happened, so 1 would be a lie).  Lock held on entry and exit.
 */
static int
read_pass (struct nbdcache_handle *h, int timeout)
{
  struct pollfd fds[2];
  int ready, r, saved_errno, progress = 0;

  /* Commands queued behind others (aio.c) go out now, before
   * sleeping: waiting for POLLOUT first would cost a poll(2) that
   * returns at once and a second one to sleep in.
   */
  if (h->wbuf.len > h->wpos) {
    if (flush_output (h) == -1)
      return connection_lost_error (h);
    if (h->wbuf.len == 0)
      progress = 1;
  }
  fds[0].fd = h->fd;
  fds[0].events = POLLIN | (h->wbuf.len > h->wpos ? POLLOUT : 0);
  fds[1].fd = h->wake_fd;
  fds[1].events = POLLIN;
  h->reading = true;
  pthread_mutex_unlock (&h->lock);
  ready = poll (fds, 2, timeout);
  saved_errno = errno;
  pthread_mutex_lock (&h->lock);
  h->reading = false;
  h->progress_seq++;
  pthread_cond_broadcast (&h->progress);

  if (ready == -1) {
    set_error (saved_errno, "poll: %s", strerror (saved_errno));
    return -1;
  }
  if (fds[1].revents & POLLIN) {
    uint64_t n;
    if (read (h->wake_fd, &n, sizeof n) == -1 && errno != EAGAIN) {
      set_error (errno, "eventfd: %s", strerror (errno));
      return -1;
    }
    progress = 1;
  }
  if (h->fd >= 0 && (fds[0].revents & POLLOUT)) {
    if (flush_output (h) == -1)
      return connection_lost_error (h);
    progress = 1;
  }
  if (h->fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
    r = read_input (h);
    if (r == -1)
      return connection_lost_error (h);
    progress |= r;
  }
  if (h->fd < 0)
    return connection_lost_error (h);
  return progress || ready > 0;
}

/* The body of nbdcache_poll, also used by the synchronous calls. */
int
poll_locked (struct nbdcache_handle *h, int timeout)
{
  if (check_connected (h) == -1)
    return -1;
  if (h->reading)
    return wait_for_reader (h, timeout);
  return read_pass (h, timeout);
}

/* For the synchronous calls, which wait until their reply arrives:
 * poll_locked with no timeout, except that a signal does not end the
 * wait (unlike nbdcache_poll, they do not fail with EINTR).  Returns
 * as poll_locked.  Lock held.
 */
int
poll_locked_nointr (struct nbdcache_handle *h)
{
  int r;

  do
    r = poll_locked (h, -1);
  while (r == -1 && nbdcache_get_errno () == EINTR);
  return r;
}

int
nbdcache_poll (struct nbdcache_handle *h, int timeout)
{
  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  return poll_locked (h, timeout);
}

int
nbdcache_aio_get_fd (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (check_connected (h) == -1)
    return -1;
  return h->fd;
}

unsigned
nbdcache_aio_get_direction (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (h->fd < 0)
    return 0;
  return NBDCACHE_AIO_DIRECTION_READ |
    (h->wbuf.len > h->wpos ? NBDCACHE_AIO_DIRECTION_WRITE : 0);
}
