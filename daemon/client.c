/* nbdcached: local client connections.  Main thread only.
 *
 * A client is reference counted: one reference while its socket is
 * open, plus one per request not yet completed.  Closing the socket
 * (EOF, error, protocol violation) closes the fd at once; the struct
 * lives on until its last request completes, and completions for a
 * closed client are dropped.
 *
 * The socket is driven directly rather than through a bufferevent:
 * lines are decoded in place in the buffer they were read into,
 * replies are written at the end of each pass of the loop with one
 * send, and a write event is armed only when the socket does not take
 * everything (strace showed a bufferevent costing an ioctl and two
 * epoll_ctl calls per request).  An idle client holds no read buffer,
 * and keeps its write buffer only while that is small (client_write).
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"

unsigned nr_clients;
struct client_list clients = TAILQ_HEAD_INITIALIZER (clients);

/* Clients with output queued: written at the end of this pass, or
 * within BATCH_WAIT_NS if it may wait (clients_flush).
 */
static struct client_list dirty_clients =
  TAILQ_HEAD_INITIALIZER (dirty_clients);
static uint64_t next_serial = 1;

/* The flush at the end of the pass (clients_flush), scheduled when a
 * reply is queued for a client.  libevent runs it after the events
 * already active in this pass, so a client still gets one send per
 * pass; and a reply queued by a timer (a request timing out) goes out
 * in that pass too, not whenever something else happens to flush.
 */
static struct event *flush_ev;
static bool flush_scheduled;

/* Batching under load.  A client whose own requests are still waiting
 * in a pending queue (the pool is busy) gains nothing from hearing of
 * each completion at once: whatever it sends next queues behind them.
 * But every write to it wakes that process, and with many clients on
 * few cores those wake-ups, and the preemptions they cause, are much
 * of what serving a request costs.  So such a client's output waits
 * until BATCH_BYTES have built up, and never more than BATCH_WAIT_NS.
 * A client with nothing pending, as one waiting for a lone request,
 * is written to at the end of the pass as before.
 *
 * The bound is kept by a timerfd armed when output starts to wait
 * (batch_fd), not by a libevent timer: libevent reads a coarse clock,
 * one kernel tick apart (4 ms at HZ=250), which would make 200 us
 * anything up to 5 ms.
 */
#define BATCH_BYTES 2048
#define BATCH_WAIT_NS 200000
static int batch_fd = -1;
static struct event *batch_ev;
static bool batch_waiting;          /* some output waits in dirty_clients */

static void clients_flush (bool all);

static void
on_flush (evutil_socket_t fd, short what, void *opaque)
{
  flush_scheduled = false;
  clients_flush (false);
}

/* The batch timer fired: write everything.  The timer is not disarmed
 * when waiting output goes early (that would be a system call per
 * batch), so it may fire with nothing waiting; then this only writes a
 * little sooner what the end of this pass would have.
 */
static void
on_batch_wait_over (evutil_socket_t fd, short what, void *opaque)
{
  uint64_t expirations;

  if (read (fd, &expirations, sizeof expirations) == -1 && errno != EAGAIN)
    log_warn ("batch timer: read");
  clients_flush (true);
}

/* Output has started to wait: write it all within BATCH_WAIT_NS. */
static void
batch_timer_start (void)
{
  const struct itimerspec in = {
    .it_value = { .tv_sec = 0, .tv_nsec = BATCH_WAIT_NS },
  };

  if (timerfd_settime (batch_fd, 0, &in, NULL) == -1)
    fatal ("timerfd_settime");
}

/* Make the main loop's events for client output: the end-of-pass
 * flush and the batch timer.  At start-up, after the main loop.
 */
void
clients_init (void)
{
  flush_ev = event_new (main_loop.base, -1, 0, on_flush, NULL);
  batch_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (batch_fd == -1)
    fatal ("timerfd_create");
  batch_ev = event_new (main_loop.base, batch_fd, EV_READ | EV_PERSIST,
                        on_batch_wait_over, NULL);
  if (flush_ev == NULL || batch_ev == NULL || event_add (batch_ev, NULL) == -1)
    fatalx ("cannot make the client output events");
}

static void
schedule_flush (void)
{
  if (flush_scheduled)
    return;
  event_active (flush_ev, EV_TIMEOUT, 0);
  flush_scheduled = true;
}

#define client_log(fn, client, fmt, ...)                        \
  fn ("client %llu (pid %d, uid %u): " fmt,                     \
      (unsigned long long) (client)->serial, (int) (client)->pid, \
      (unsigned) (client)->uid, ##__VA_ARGS__)

/* One buffer to encode a reply or event into, before client_send
 * copies it to the client's output.  Main thread only.
 */
strbuf *
client_scratch (void)
{
  static strbuf sb;

  sb.len = 0;
  return &sb;
}

/* Drop a reference to CLIENT; the last frees it.  Also how
 * client_accept frees a client it gives up on (its groups are NULL
 * until read_peer_groups).
 */
void
client_unref (struct client *client)
{
  if (--client->refs == 0) {
    strbuf_reset (&client->rbuf);
    strbuf_reset (&client->wbuf);
    if (client->groups != client->groups_inline)
      free (client->groups);
    flows_free (client);
    free (client);
  }
}

/* Bytes of CLIENT's output not yet written. */
static size_t
unwritten (const struct client *client)
{
  return client->wbuf.len - client->wpos;
}

/* Put CLIENT on the list the end-of-pass flush goes through. */
static void
mark_dirty (struct client *client)
{
  if (!client->dirty) {
    client->dirty = true;
    client->refs++;
    TAILQ_INSERT_TAIL (&dirty_clients, client, dirty_entry);
  }
  schedule_flush ();          /* also for a client whose output waits */
}

/* Close CLIENT at the end of this pass (clients_flush), not now: it
 * is called while requests are being completed, and closing ends the
 * client's other requests, which a caller may be walking.  Nothing
 * more is queued for it meanwhile.  The first WHY is logged.
 */
void
client_close_soon (struct client *client, const char *why)
{
  if (!client_is_open (client) || client->doomed != NULL)
    return;
  client->doomed = why;
  event_del (client->read_ev);  /* and take no more requests from it */
  mark_dirty (client);
}

/* CLIENT cannot be told something for want of memory (DOING says
 * what): it would wait for ever, so say why in the log, at warning
 * level since the host is short of memory, and close it soon.
 */
void
client_close_oom (struct client *client, const char *doing)
{
  if (!client_is_open (client) || client->doomed != NULL)
    return;
  client_log (log_warnx, client, "disconnecting: out of memory %s", doing);
  client_close_soon (client, "out of memory");
}

/* Add CLIENT's socket event EV.  Returns 0; or -1 when libevent cannot
 * watch the socket (epoll_ctl failed, or its tables could not grow),
 * after dooming CLIENT with a warning: a client whose socket is not
 * watched would wait for ever.
 */
static int
client_watch (struct client *client, struct event *ev)
{
  if (event_add (ev, NULL) == 0)
    return 0;
  if (client_is_open (client) && client->doomed == NULL) {
    client_log (log_warnx, client, "disconnecting: cannot watch its "
                "socket: %s", strerror (errno));
    client_close_soon (client, "cannot watch its socket");
  }
  return -1;
}

/* A user's clients are summed only when the socket of one of them
 * fills, and then each time it has another OUTPUT_STEP bytes unread:
 * a client that keeps up is never counted, and a user with many
 * clients cannot make each send cost a walk of the list.
 */
#define OUTPUT_STEP 65536

/* Is CLIENT's socket full, so that its queued output waits for it to
 * read?  Output queued in this pass is otherwise written at its end
 * (clients_flush): a burst of events for a client that keeps up is
 * not unread.
 */
static bool
output_blocked (const struct client *client)
{
  return event_pending (client->write_ev, EV_WRITE, NULL);
}

/* Bytes unread by the open clients of USER whose sockets are full. */
static uint64_t
user_unwritten (const struct user *user)
{
  const struct client *c;
  uint64_t sum = 0;

  TAILQ_FOREACH (c, &user->clients, user_entry)
    if (client_is_open (c) && output_blocked (c))
      sum += unwritten (c);
  return sum;
}

/* Do the clients of CLIENT's user (root excepted) whose sockets are
 * full have more than max-client-output unread together?  Without
 * this one user could hold max-user-clients times max-client-output
 * of the daemon's memory (1 GiB by default) with connections that each
 * stay under it.  Only full sockets count (output_blocked): many
 * clients of one user that each get a burst of events in one pass,
 * and read them, are not cut off.  Asked when CLIENT's socket fills
 * (client_write), and then each time it has another OUTPUT_STEP bytes
 * unread (output_over_limits).  Logs why.
 */
static bool
user_output_over (const struct client *client)
{
  uint64_t sum;

  if (client->uid == 0)
    return false;
  sum = user_unwritten (client->user);
  if (sum <= cfg.max_client_output)
    return false;
  client_log (log_warnx, client, "disconnecting: %" PRIu64 " bytes of "
              "replies unread by the clients of uid %u together "
              "(max-client-output)", sum, (unsigned) client->uid);
  return true;
}

/* Has CLIENT too much output unread: more than max-client-output of
 * its own, or with its user's other clients (user_output_over)?
 * BEFORE is what CLIENT had unread before the latest message.  Logs
 * why.
 */
static bool
output_over_limits (const struct client *client, size_t before)
{
  if (unwritten (client) > cfg.max_client_output) {
    client_log (log_warnx, client, "disconnecting: %zu bytes of replies "
                "unread (max-client-output)", unwritten (client));
    return true;
  }
  return before / OUTPUT_STEP != unwritten (client) / OUTPUT_STEP &&
    output_blocked (client) && user_output_over (client);
}

/* Queue MSG for CLIENT.  It is written at the end of this pass of the
 * loop (clients_flush), together with whatever else the pass queued.
 */
void
client_send (struct client *client, const strbuf *msg)
{
  size_t before;

  if (!client_is_open (client) || client->doomed != NULL)
    return;
  /* A client that keeps reading, but never quite catches up, must not
   * make the written part of the buffer grow for ever.
   */
  if (client->wpos > 0 && client->wpos >= client->wbuf.len / 2) {
    memmove (client->wbuf.ptr, client->wbuf.ptr + client->wpos,
             unwritten (client));
    client->wbuf.len -= client->wpos;
    client->wpos = 0;
  }
  before = unwritten (client);
  if (strbuf_append_mem (&client->wbuf, msg->ptr, msg->len) == -1) {
    client_close_oom (client, "queueing a reply");
    return;
  }
  mark_dirty (client);
  /* A client that does not read what we send must not make us buffer
   * without bound.
   */
  if (output_over_limits (client, before))
    client_close_soon (client, "not reading its replies");
}

/* Write as much of CLIENT's output as the socket takes.  Arms the
 * write event for the rest; closes a client that was only waiting
 * for its last replies once they are out.
 */
static void
client_write (struct client *client)
{
  while (client_is_open (client) && unwritten (client) > 0) {
    ssize_t n = send (client->fd, client->wbuf.ptr + client->wpos,
                      unwritten (client), MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n == -1) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!output_blocked (client) &&
            client_watch (client, client->write_ev) == 0 &&
            user_output_over (client))
          client_close (client, "not reading its replies");
        return;
      }
      client_close (client, strerror (errno));
      return;
    }
    client->wpos += (size_t) n;
  }
  if (!client_is_open (client))
    return;
  client->wbuf.len = client->wpos = 0;
  if (client->wbuf.cap > 65536)        /* do not keep a burst's buffer */
    strbuf_reset (&client->wbuf);
  event_del (client->write_ev);
  if (client->closing)
    client_close (client, "closed after its last replies");
}

static void
on_writable (evutil_socket_t fd, short what, void *opaque)
{
  struct client *client = opaque;

  client->refs++;
  client_write (client);
  client_unref (client);
}

/* May CLIENT's queued output wait for more (see BATCH_BYTES)? */
static bool
output_can_wait (const struct client *client)
{
  return client->nr_pending > 0 && client_is_open (client) &&
    client->doomed == NULL && !client->closing &&
    unwritten (client) < BATCH_BYTES;
}

/* Write what each client has queued now, at the end of a pass of the
 * loop: one send per client per pass, and no wait for a write event.
 * Unless ALL, output that may wait for more stays queued, and the
 * batch timer runs for the oldest of it (see BATCH_BYTES).
 */
static void
clients_flush (bool all)
{
  struct client_list waiting = TAILQ_HEAD_INITIALIZER (waiting);
  bool waited_before = batch_waiting;
  struct client *client;

  while ((client = TAILQ_FIRST (&dirty_clients)) != NULL) {
    TAILQ_REMOVE (&dirty_clients, client, dirty_entry);
    if (!all && output_can_wait (client)) {
      TAILQ_INSERT_TAIL (&waiting, client, dirty_entry);
      continue;
    }
    client->dirty = false;
    if (client->doomed != NULL)
      client_close (client, client->doomed);
    else
      client_write (client);
    client_unref (client);
  }
  batch_waiting = !TAILQ_EMPTY (&waiting);
  if (!batch_waiting)
    return;
  TAILQ_CONCAT (&dirty_clients, &waiting, dirty_entry);
  /* Output that waited before this pass keeps its deadline. */
  if (!waited_before)
    batch_timer_start ();
}

/* Is CLIENT at its limit of requests or bytes in flight?  Then we stop
 * reading from it until some complete (backpressure).  Returns the
 * name of the limit's setting, or NULL.
 */
static const char *
client_limit_reached (const struct client *client)
{
  if (client->in_flight >= cfg.max_client_requests)
    return "max-client-requests";
  if (client->bytes_in_flight >= cfg.max_client_bytes)
    return "max-client-bytes";
  return NULL;
}

/* CLIENT shut down its sending side: once every whole line it sent
 * is answered and every event is queued, close it after the output is
 * written.  Bytes after its last LF are not a message.
 */
static void
client_maybe_finish (struct client *client)
{
  if (!client->eof || !client_is_open (client) || client->closing ||
      client->in_flight > 0 ||
      (client->rbuf.len > 0 &&
       memchr (client->rbuf.ptr, '\n', client->rbuf.len) != NULL))
    return;
  if (client->rbuf.len > 0)
    client_log (log_warnx, client, "ignoring %zu bytes after its last "
                "message", client->rbuf.len);
  client_close_after_flush (client);
}

/* Read CLIENT again, held until now, unless it is closed
 * or closing, the daemon is draining, or it is still over its own
 * limits.  Returns whether it is read again.
 */
static bool
client_resume (struct client *client)
{
  if (!client_is_open (client) || client->closing || daemon_draining ||
      client_limit_reached (client) != NULL)
    return false;
  client->held_at = NULL;
  /* After EOF the socket stays readable: only the buffered lines are
   * left to handle.
   */
  if (client->eof || client_watch (client, client->read_ev) == 0)
    /* Lines may already be buffered: run the read callback soon. */
    event_active (client->read_ev, EV_READ, 0);
  return true;
}

/* Read again as many of USER's connections held at max-user-requests
 * as it has room for (user_next_waiting).
 */
static void
user_wake (struct user *user)
{
  struct client *next;
  unsigned woken = 0;

  while ((next = user_next_waiting (user, woken)) != NULL)
    if (client_resume (next))
      woken++;
}

/* One of CLIENT's requests, of BYTES bytes, has completed: read
 * CLIENT again if it was held at its own limits, and its user's
 * connections held at max-user-requests that there is now room for.
 */
void
client_request_done (struct client *client, uint64_t bytes)
{
  client->in_flight--;
  client->bytes_in_flight -= bytes;
  client->user->requests--;
  if (client->held_at != NULL && !client->user_waiting)
    client_resume (client);
  user_wake (client->user);
  client_maybe_finish (client);
}

/* A reload may have raised the limits: read again the clients held at
 * them that now have room, rather than at their next completion, which
 * on a paused export may be far off.
 */
void
clients_limits_changed (void)
{
  struct client *client;
  struct user *user;

  TAILQ_FOREACH (client, &clients, entry)
    if (client->held_at != NULL && !client->user_waiting)
      client_resume (client);
  LIST_FOREACH (user, &users, entry)
    user_wake (user);
}

/* Close CLIENT now.  Its requests are finished at once (ECANCELED,
 * no event: nobody is left to tell), so that they hold no place in
 * the queues, no drain and no deadline; their chunks already sent
 * still come back, and still serve other requests waiting on them.
 */
void
client_close (struct client *client, const char *why)
{
  struct request *req;

  if (!client_is_open (client))
    return;
  client_log (log_debug, client, "closed: %s", why);
  replies_drop_held (client);
  event_free (client->read_ev);
  event_free (client->write_ev);
  event_free (client->hold_ev);
  client->read_ev = client->write_ev = client->hold_ev = NULL;
  close (client->fd);
  client->fd = -1;
  client->wbuf.len = client->wpos = 0;
  TAILQ_REMOVE (&clients, client, entry);
  nr_clients--;
  /* The open socket's reference, dropped last, keeps CLIENT alive
   * while its requests drop theirs.
   */
  while ((req = TAILQ_FIRST (&client->requests)) != NULL)
    request_complete (req, ECANCELED, "client disconnected");
  user_detach (client);
  client_unref (client);
}

/* Stop reading, let the queued replies drain, then close. */
void
client_close_after_flush (struct client *client)
{
  if (!client_is_open (client) || client->closing)
    return;
  client->closing = true;
  event_del (client->read_ev);
  client_write (client);
}

/* Reply with an error to a message we cannot even frame, then close. */
static void
framing_error (struct client *client, int errnum, const char *message)
{
  strbuf *sb = client_scratch ();

  client_log (log_warnx, client, "%s", message);
  if (nbdc_encode_reply_error (sb, 0, errnum, message) == 0)
    client_send_reply (client, sb);
  client_close_after_flush (client);
}

/* Handle each whole line of DATA (LEN bytes), in order, until they
 * run out, the client goes over its limits, or it is closed.  Returns
 * how many bytes were used; the rest (a partial line, or lines left
 * for later) is the caller's to keep.
 */
static size_t
handle_lines (struct client *client, const char *data, size_t len)
{
  size_t start = 0;

  while (client_is_open (client) && !client->closing &&
         client->doomed == NULL) {
    const char *line = data + start;
    size_t avail = len - start;
    const char *nl, *limit;
    size_t n;

    if ((limit = client_limit_reached (client)) != NULL) {
      client->held_at = limit;
      event_del (client->read_ev);
      break;
    }
    nl = avail > 0 ? memchr (line, '\n', avail) : NULL;
    n = nl ? (size_t) (nl - line) : avail;
    if (n >= NBDC_MAX_MESSAGE) {
      struct nbdc_error err;

      nbdc_set_too_long (&err);
      framing_error (client, err.errnum, err.message);
      break;
    }
    if (nl == NULL)
      break;
    if (!ops_handle_line (client, line, n)) {
      client->held_at = "max-user-requests";
      event_del (client->read_ev);
      user_wait (client);
      break;
    }
    start += n + 1;
  }
  return start;
}

/* Is the peer of FD gone (POLLHUP: it closed both directions; or
 * POLLERR), rather than there, or only shut down for sending
 * (shutdown(2) SHUT_WR: it still gets every reply and event)?
 */
static bool
peer_gone (int fd)
{
  struct pollfd pfd = { .fd = fd, .events = POLLOUT };

  return poll (&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

/* Bytes read with one recv: a whole pipelined window of requests. */
#define READ_SIZE 65536

/* Read what CLIENT sent and handle the whole lines.  Data is read into
 * one buffer shared by all clients (main thread only) and handled in
 * place; only what is left over (a partial line, or lines held back by
 * backpressure) is copied into the client's own buffer, which is freed
 * once empty.  So neither an idle nor a busy client allocates per
 * read.
 */
static void
on_readable (evutil_socket_t fd, short what, void *opaque)
{
  static char buf[READ_SIZE];
  struct client *client = opaque;
  ssize_t n = 0;
  size_t used;

  loop_note_work ();
  /* Any reply below may close the client; keep the struct alive. */
  client->refs++;
  if (client->held_at == NULL && !client->closing && !client->eof) {
    n = recv (client->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      if (peer_gone (client->fd)) {
        client_close (client, "disconnected");
        goto out;
      }
      client->eof = true;
      event_del (client->read_ev);
    }
    if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
        errno != EINTR) {
      client_close (client, strerror (errno));
      goto out;
    }
  }
  if (client->rbuf.len == 0 && n > 0) {
    used = handle_lines (client, buf, (size_t) n);
    if (used < (size_t) n && client_is_open (client) &&
        strbuf_append_mem (&client->rbuf, buf + used,
                           (size_t) n - used) == -1)
      client_close (client, "out of memory reading a request");
  }
  else {
    if (n > 0 &&
        strbuf_append_mem (&client->rbuf, buf, (size_t) n) == -1) {
      client_close (client, "out of memory reading a request");
      goto out;
    }
    /* The buffer outlives a close (it is freed with the struct), so
     * this is safe whatever handle_lines did.
     */
    used = handle_lines (client, client->rbuf.ptr, client->rbuf.len);
    if (used > 0) {
      memmove (client->rbuf.ptr, client->rbuf.ptr + used,
               client->rbuf.len - used);
      client->rbuf.len -= used;
    }
    if (client->rbuf.len == 0)         /* an idle client holds no buffer */
      strbuf_reset (&client->rbuf);
  }
  client_maybe_finish (client);
  requests_pump_wanted ();
 out:
  client_unref (client);
}

/* Take out of CLIENT's supplementary groups those that stand for any
 * group its user namespace does not map (peer_gid_known).
 */
static void
drop_unknown_groups (struct client *client)
{
  unsigned kept = 0;

  for (unsigned i = 0; i < client->nr_groups; i++)
    if (peer_gid_known (client->groups[i]))
      client->groups[kept++] = client->groups[i];
  client->nr_groups = kept;
}

/* Read the supplementary groups of FD's peer into CLIENT, for
 * allow-groups: into groups_inline, or an array of their own when
 * there are more (a user may have up to NGROUPS_MAX, 65536).  Without
 * them (logged) only the primary group counts.
 */
static void
read_peer_groups (struct client *client, int fd)
{
  socklen_t len = sizeof client->groups_inline;

  client->groups = client->groups_inline;
  if (getsockopt (fd, SOL_SOCKET, SO_PEERGROUPS, client->groups, &len) == -1) {
    if (errno == ERANGE && (client->groups = malloc (len)) != NULL &&
        getsockopt (fd, SOL_SOCKET, SO_PEERGROUPS, client->groups,
                    &len) == 0)
      goto done;
    client_log (log_warn, client, "SO_PEERGROUPS: supplementary groups "
                "ignored");
    if (client->groups != client->groups_inline)
      free (client->groups);
    client->groups = client->groups_inline;
    len = 0;
  }
 done:
  client->nr_groups = len / sizeof (gid_t);
  drop_unknown_groups (client);
}

/* Has user UID (not root) as many connections open as
 * max-user-clients allows?  One local user must not use up the
 * daemon's descriptors and memory for everyone else.
 */
static bool
user_at_limit (uid_t uid)
{
  const struct user *user = user_find (uid);

  return uid != 0 && user != NULL && user->nr_clients >= cfg.max_user_clients;
}

/* Refuse the connection FD of user UID: one error reply ("id": null,
 * as for a message the daemon cannot frame), then close.
 */
static void
refuse_connection (int fd, uid_t uid)
{
  strbuf *sb = client_scratch ();
  char msg[128];

  snprintf (msg, sizeof msg, "too many connections from uid %u "
            "(max-user-clients = %u)", (unsigned) uid, cfg.max_user_clients);
  log_warnx ("accept: %s", msg);
  if (nbdc_encode_reply_error (sb, 0, EUSERS, msg) == 0 &&
      send (fd, sb->ptr, sb->len, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
    log_debug ("accept: sending the refusal: %s", strerror (errno));
  evutil_closesocket (fd);
}

/* Take over the accepted socket FD. */
void
client_accept (int fd)
{
  struct client *client;
  struct ucred cred;
  socklen_t len = sizeof cred;
  const char *failed = NULL;

  client = calloc (1, sizeof *client);
  if (client == NULL) {
    log_warn ("accept: calloc");
    evutil_closesocket (fd);
    return;
  }
  client->serial = next_serial++;
  client->accepted_ns = now_ns ();
  client->next_cookie = 1;
  client->refs = 1;
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    client->pid = cred.pid;
    client->uid = cred.uid;
    client->gid = cred.gid;
  }
  else {
    /* Without credentials we cannot apply access lists: refuse. */
    log_warn ("accept: SO_PEERCRED");
    evutil_closesocket (fd);
    client_unref (client);
    return;
  }
  if (user_at_limit (client->uid)) {
    refuse_connection (fd, client->uid);
    client_unref (client);
    return;
  }
  read_peer_groups (client, fd);
  evutil_make_socket_nonblocking (fd);
  client->fd = fd;
  client->read_ev = event_new (main_loop.base, fd, EV_READ | EV_PERSIST,
                               on_readable, client);
  client->write_ev = event_new (main_loop.base, fd, EV_WRITE | EV_PERSIST,
                                on_writable, client);
  client->hold_ev = evtimer_new (main_loop.base, replies_hold_expired,
                                client);
  TAILQ_INIT (&client->held);
  TAILQ_INIT (&client->requests);
  if (client->read_ev == NULL || client->write_ev == NULL ||
      client->hold_ev == NULL)
    failed = "event_new";
  else if (user_attach (client) == -1)
    failed = "out of memory for its user's limits";
  else if (event_add (client->read_ev, NULL) == -1) {
    user_detach (client);
    failed = "cannot watch the client's socket";
  }
  if (failed != NULL) {
    log_warn ("accept: %s", failed);
    if (client->read_ev)
      event_free (client->read_ev);
    if (client->write_ev)
      event_free (client->write_ev);
    if (client->hold_ev)
      event_free (client->hold_ev);
    evutil_closesocket (fd);
    client_unref (client);
    return;
  }
  TAILQ_INSERT_TAIL (&clients, client, entry);
  nr_clients++;
  client_log (log_debug, client, "connected");
}

/* From the janitor: close the clients that have not said hello within
 * hello-timeout of connecting.  An idle connection costs a descriptor
 * and memory, and counts against its user's max-user-clients.
 *
 * And close the clients that hung up while the daemon was not reading
 * their socket (at max-client-requests, after their own SHUT_WR, or
 * while draining), which only a failed write would show otherwise: on
 * a paused or hung export, not before their requests' deadline.  Such
 * a client keeps its requests, its descriptor and its place in its
 * user's max-user-clients.  (libevent cannot watch for this instead:
 * it reports a hang-up, EPOLLHUP, as readable and writable, never as
 * EV_CLOSED.)
 */
void
clients_janitor (uint64_t now)
{
  uint64_t limit = (uint64_t) cfg.hello_timeout_ms * 1000000;
  struct client *client, *next;

  for (client = TAILQ_FIRST (&clients); client != NULL; client = next) {
    next = TAILQ_NEXT (client, entry);
    if (!client->hello_done && now - client->accepted_ns >= limit) {
      client_log (log_warnx, client, "no hello within hello-timeout");
      client_close (client, "no hello within hello-timeout");
    }
    else if (!client->closing &&
             !event_pending (client->read_ev, EV_READ, NULL) &&
             peer_gone (client->fd))
      client_close (client, "disconnected");
  }
}

/* Draining: take no more requests from anyone. */
void
clients_stop_reading (void)
{
  struct client *client;

  TAILQ_FOREACH (client, &clients, entry)
    event_del (client->read_ev);
}

/* Draining, nothing left in flight: close each client once its last
 * events are written.
 */
void
clients_close_all_after_flush (void)
{
  struct client *client, *next;

  for (client = TAILQ_FIRST (&clients); client != NULL; client = next) {
    next = TAILQ_NEXT (client, entry);
    client_close_after_flush (client);
  }
}

void
clients_close_all (void)
{
  struct client *client;

  while ((client = TAILQ_FIRST (&clients)) != NULL)
    client_close (client, "daemon shutting down");
  if (flush_ev != NULL)
    event_free (flush_ev);
  flush_ev = NULL;
  if (batch_ev != NULL)
    event_free (batch_ev);
  batch_ev = NULL;
  if (batch_fd >= 0)
    close (batch_fd);
  batch_fd = -1;
}
