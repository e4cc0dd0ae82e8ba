/* libnbdcache: moving bytes between the handle and the socket, and
 * dispatching what the daemon sends.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* Send as much of wbuf as the socket takes without blocking.  Returns
 * 0 (possibly with data left over), or -1 after connection_lost.
 * Lock held.
 */
int
flush_output (struct nbdcache_handle *h)
{
  while (h->wpos < h->wbuf.len) {
    ssize_t n = send (h->fd, h->wbuf.ptr + h->wpos, h->wbuf.len - h->wpos,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == -1) {
      int saved_errno = errno;

      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      /* The daemon may have said why before it closed (a refused
       * connection): that reason comes first.
       */
      if (saved_errno == EPIPE || saved_errno == ECONNRESET)
        read_input (h);
      connection_lost (h, ENOTCONN, strerror (saved_errno));
      return -1;
    }
    h->wpos += (size_t) n;
  }
  if (h->wpos == h->wbuf.len)
    h->wbuf.len = h->wpos = 0;
  else if (h->wpos > h->wbuf.len / 2) {
    memmove (h->wbuf.ptr, h->wbuf.ptr + h->wpos, h->wbuf.len - h->wpos);
    h->wbuf.len -= h->wpos;
    h->wpos = 0;
  }
  return 0;
}

/* Wake the thread asleep in poll(2) (read_pass), if there is one, to
 * look at the handle again.  Returns 0, or -1 if the eventfd could
 * not be written (EAGAIN is no failure: a wake-up is pending).  Lock
 * held.
 */
static int
wake_reader (struct nbdcache_handle *h)
{
  uint64_t one = 1;

  if (h->reading && write (h->wake_fd, &one, sizeof one) == -1 &&
      errno != EAGAIN)
    return -1;
  return 0;
}

/* Called after a request was appended to wbuf: send it now if the
 * socket allows; otherwise make sure a thread sleeping in poll(2)
 * learns that it must also wait for POLLOUT.  Lock held.
 */
int
queue_output (struct nbdcache_handle *h)
{
  if (flush_output (h) == -1)
    return -1;
  if (h->wbuf.len > 0)
    return wake_reader (h);
  return 0;
}

/* The connection is over: close the socket, fail every waiting query
 * and complete every command, with ERRNUM and WHY.  The first call's
 * reason sticks: later calls report it, with ENOTCONN
 * (check_connected).  Idempotent.  Lock held.
 */
void
connection_lost (struct nbdcache_handle *h, int errnum, const char *why)
{
  if (h->fd >= 0) {
    close (h->fd);
    h->fd = -1;
    /* A reader asleep in poll(2) on the socket is not woken by the
     * close, and a socket whose send failed may never wake it: wake
     * it to find the connection gone.  (Its eventfd cannot be full
     * then, so this does not fail.)
     */
    (void) wake_reader (h);
  }
  if (h->dead_errno == 0) {
    h->dead_errno = errnum;
    snprintf (h->dead_msg, sizeof h->dead_msg,
              "the connection to the daemon was lost: %s", why);
  }
  h->wbuf.len = h->wpos = 0;
  h->rbuf.len = 0;
  fail_all_queries (h, h->dead_errno, h->dead_msg);
  fail_all_commands (h, h->dead_errno, h->dead_msg);
}

/* Handle a reply to a cache request (id == cookie). */
static int
dispatch_cache_reply (struct nbdcache_handle *h, struct nbdc_message *msg)
{
  struct command *cmd = find_command (h, msg->id, NULL);

  if (cmd == NULL || cmd->completed)
    return -1;
  if (!msg->ok)
    complete_command (h, cmd, msg->errnum, msg->errmsg);
  return 0;
}

/* Act on one decoded message.  Returns -1 on a protocol violation. */
static int
dispatch (struct nbdcache_handle *h, struct nbdc_message *msg)
{
  struct query *q;
  struct command *cmd;

  switch (msg->kind) {
  case NBDC_MSG_EVENT_UNKNOWN:
    return 0;                   /* from a newer daemon: ignored */
  case NBDC_MSG_EVENT_COMPLETE:
    cmd = find_command (h, msg->id, NULL);
    if (cmd == NULL || cmd->completed)
      return -1;
    complete_command (h, cmd, msg->ok ? 0 : msg->errnum, msg->errmsg);
    return 0;
  case NBDC_MSG_REPLY:
    if (msg->id == 0 && !msg->ok) {
      /* "id": null.  Before the handshake is done, the daemon refuses
       * the connection (too many of this user's, EUSERS) and closes
       * it: the caller of nbdcache_connect gets that errno.  After
       * it, the daemon could not read a message of ours: the library
       * broke the protocol, and cannot tell which command it was.
       */
      if (h->version == 0)
        connection_lost (h, msg->errnum, msg->errmsg);
      else {
        char why[300];

        snprintf (why, sizeof why, "the daemon could not read a "
                  "message: %s", msg->errmsg);
        connection_lost (h, EPROTO, why);
      }
      return 0;
    }
    q = find_query (h, msg->id);
    if (q != NULL) {
      if (q->done)
        return -1;              /* a second reply */
      finish_query (q, msg);
      return 1;                 /* the query owns msg now */
    }
    if (take_abandoned_query (h, msg->id))
      return 0;
    return dispatch_cache_reply (h, msg);
  }
  return -1;
}

/* Decode and dispatch one line.  Returns 0, or -1 after
 * connection_lost: with EPROTO when the daemon broke the protocol, with
 * ENOMEM when there was no memory to decode what it sent (the reply
 * it was is lost, so the connection cannot go on).
 */
static int
process_line (struct nbdcache_handle *h, const char *line, size_t len)
{
  struct nbdc_message msg;
  struct nbdc_error err;
  int r;

  if (nbdc_decode_message (line, len, &msg, &err) == -1) {
    connection_lost (h, err.errnum == ENOMEM ? ENOMEM : EPROTO, err.message);
    return -1;
  }
  r = dispatch (h, &msg);
  if (r == 0)
    nbdc_message_free (&msg);
  else if (r == -1) {
    nbdc_message_free (&msg);
    connection_lost (h, EPROTO, "daemon sent a message for an unknown "
                     "or already answered id");
    return -1;
  }
  return 0;
}

/* Split rbuf into lines and process each whole one. */
static int
process_input (struct nbdcache_handle *h)
{
  size_t start = 0;

  while (h->fd >= 0) {
    char *nl = memchr (h->rbuf.ptr + start, '\n', h->rbuf.len - start);
    size_t len;

    if (nl == NULL)
      break;
    len = (size_t) (nl - (h->rbuf.ptr + start));
    if (process_line (h, h->rbuf.ptr + start, len) == -1)
      return -1;
    start += len + 1;
  }
  if (h->fd < 0)
    return -1;
  memmove (h->rbuf.ptr, h->rbuf.ptr + start, h->rbuf.len - start);
  h->rbuf.len -= start;
  if (h->rbuf.len >= NBDC_MAX_MESSAGE) {
    connection_lost (h, EPROTO, "daemon sent an over-long message");
    return -1;
  }
  return 0;
}

/* Read what is available without blocking and dispatch it.  Returns
 * 1 if anything was read, 0 if nothing was ready, -1 after
 * connection_lost.  Lock held.
 */
int
read_input (struct nbdcache_handle *h)
{
  int progress = 0;

  for (;;) {
    size_t space;
    ssize_t n;

    if (strbuf_reserve (&h->rbuf, 65536) == -1) {
      connection_lost (h, ENOMEM, "out of memory");
      return -1;
    }
    space = h->rbuf.cap - h->rbuf.len;
    n = recv (h->fd, h->rbuf.ptr + h->rbuf.len, space, MSG_DONTWAIT);
    if (n == -1) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return progress;
      connection_lost (h, ENOTCONN, strerror (errno));
      return -1;
    }
    if (n == 0) {
      connection_lost (h, ENOTCONN, "the daemon closed the connection");
      return -1;
    }
    h->rbuf.len += (size_t) n;
    progress = 1;
    if (process_input (h) == -1)
      return -1;
    /* A short read emptied the socket: another recv would only say
     * EAGAIN (a system call per wake-up saved).  Anything arriving
     * later wakes poll again.
     */
    if ((size_t) n < space)
      return progress;
  }
}
