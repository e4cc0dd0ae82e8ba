/* nbdcached: one pooled libnbd connection, driven by the libevent
 * loop of the worker that owns it (libnbd(3), "Socket and
 * direction").  Every function here runs on that worker's thread.
 *
 * A chunk's result is delivered from libnbd's .free callback, which
 * libnbd calls exactly once per command in every case: after the
 * completion callback, when the handle dies, when it is closed, and
 * when the submit itself fails.  A chunk has one command in flight at
 * a time: an NBD_CMD_CACHE or, on a connection that emulates cache, a
 * read of at most FALLBACK_READ_MAX, each fitted to the block sizes
 * of this connection's own server, which may not be the export's
 * (send_command).  The .free of a command that succeeded short of the
 * chunk's end puts the chunk on the pieces list for its next piece
 * (or finishes it there, if main found that nobody wants it any more),
 * every other .free finishes it.  So no chunk can be lost or finished
 * twice, whatever happens to the connection.
 * Chunks lost with their connection are marked for retry:
 * NBD_CMD_CACHE is advisory and idempotent, so main sends them again
 * once a connection is up.
 *
 * A dead connection is closed and, after a delay that doubles from
 * reconnect-delay to reconnect-max-delay, opened again.  Each attempt
 * begins in a connect job (connect-job.c), which hands the handle over
 * once it is connecting: libnbd may look up a host name on the way,
 * and that must not block this loop.
 */
#include <config.h>

#include <errno.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int conn_rearm (struct nbdconn *conn);
static void conn_down (struct nbdconn *conn, const char *why);
static void cancel_timer (struct event *ev, uint64_t *lost_due);

#define conn_log(fn, conn, fmt, ...)                                    \
  fn ("export %s: connection %u: " fmt, (conn)->exp->name,             \
      (conn)->index, ##__VA_ARGS__)

/* Guards every connection's report and report_posted.  State changes
 * are rare, so one lock serves all.
 */
static pthread_mutex_t reports_lock = PTHREAD_MUTEX_INITIALIZER;

/* What the server of CONN, now ready, tells about the export. */
static void
server_info (struct nbdconn *conn, struct export_info *info)
{
  info->size = (uint64_t) nbd_get_size (conn->nbd);
  info->can_cache = nbd_can_cache (conn->nbd) == 1;
  info->can_multi_conn = nbd_can_multi_conn (conn->nbd) == 1;
  set_block_sizes (info,
                   nbd_get_block_size (conn->nbd, LIBNBD_SIZE_MINIMUM),
                   nbd_get_block_size (conn->nbd, LIBNBD_SIZE_PREFERRED),
                   nbd_get_block_size (conn->nbd, LIBNBD_SIZE_MAXIMUM));
}

/* Tell main about a state change: write CONN's report, and post it
 * unless it is already on its way (main then reads this newer one).
 * Nothing is allocated, so a state change always reaches main.
 */
static void
post_conn_event (struct nbdconn *conn, bool up, const char *why)
{
  struct conn_report r = { .up = up, .ups = conn->ups };
  bool post;

  if (up)
    server_info (conn, &r.info);
  else
    snprintf (r.error, sizeof r.error, "%s", why);
  pthread_mutex_lock (&reports_lock);
  conn->report = r;
  post = !conn->report_posted;
  conn->report_posted = true;
  pthread_mutex_unlock (&reports_lock);
  if (post)
    loop_post (&main_loop, &conn->report_msg);
}

/* Main, on MSG_CONN_EVENT: copy CONN's latest report into *R.  From
 * here on the worker posts a new one for its next state change.
 */
void
nbdconn_take_report (struct nbdconn *conn, struct conn_report *r)
{
  pthread_mutex_lock (&reports_lock);
  *r = conn->report;
  conn->report_posted = false;
  pthread_mutex_unlock (&reports_lock);
}

/* libnbd's completion callback: remember the server's answer.  It
 * runs with the handle lock held, so it only records: an ESHUTDOWN is
 * acted on after the libnbd call returns.
 */
static int
chunk_completed (void *user_data, int *error)
{
  struct chunk *c = user_data;

  c->error = *error;
  c->nbd_called = true;
  if (*error == ESHUTDOWN)
    c->conn->shutdown_wanted = true;
  else if (*error == 0)
    c->conn->served = true;
  return 1;
}

/* C is over on CONN, with C->error: it leaves its slot and goes back
 * to main.
 */
static void
chunk_finished (struct nbdconn *conn, struct chunk *c)
{
  /* Lost with the connection, or refused because the server is going
   * away: worth sending again elsewhere or later.
   */
  c->retry = c->error == ENOTCONN || c->error == ESHUTDOWN;
  conn->in_flight--;
  worker_chunk_done (conn->worker, c);
}

/* The next piece of C to send on CONN, from where the last one ended
 * (fit_piece): false when C is all sent.  Every piece ends on a
 * multiple of the server's minimum block size, so one that reached or
 * passed (rounded out) the chunk's end left nothing to fit: the usual
 * chunk, sent whole, costs its .free no second fitting.
 */
static bool
next_piece (const struct nbdconn *conn, const struct chunk *c,
            uint64_t *from, uint64_t *to)
{
  uint64_t end = c->offset + c->count;

  return c->sent_end < end &&
    fit_piece (&conn->server, c->sent_end, end, from, to);
}

/* libnbd's .free callback: C's command is over, one way or another.
 * If it succeeded and C has another piece to send, C waits on the
 * pieces list: libnbd's handle lock is held here, so its next piece
 * is sent once the libnbd call that got here has returned
 * (issue_queued).  Otherwise C is finished, with the first error of
 * its commands (a failed one is its last).
 */
static void
chunk_freed (void *user_data)
{
  struct chunk *c = user_data;
  struct nbdconn *conn = c->conn;
  uint64_t from, to;

  loop_nbd_in_flight--;
  if (!c->nbd_called)
    c->error = ENOTCONN;
  if (c->error == 0 && next_piece (conn, c, &from, &to)) {
    atomic_store_explicit (&c->piece_ns, now_ns (), memory_order_relaxed);
    msg_queue_push (&conn->pieces, &c->msg);
    return;
  }
  chunk_finished (conn, c);
}

/* C, which holds one of CONN's slots, lies wholly past the last whole
 * block of CONN's server (smaller than the export's facts say, or
 * with a partial last block under a larger minimum block size): no
 * command of it can be sent.  Refuse it, as libnbd would.
 */
static void
refuse_unreachable (struct nbdconn *conn, struct chunk *c)
{
  conn_log (log_warnx, conn, "the chunk at offset %llu, %u bytes, lies "
            "past the last whole block of this connection's server (size "
            "%llu, minimum block size %u); not sent",
            (unsigned long long) c->offset, c->count,
            (unsigned long long) conn->server.size, conn->server.block_min);
  c->error = EINVAL;
  c->failure = CHUNK_REFUSED_UNSENT;
  chunk_finished (conn, c);
}

/* Send the next piece of C, which holds one of CONN's slots: an
 * NBD_CMD_CACHE or, when CONN emulates cache, a read, from where the
 * last one ended.  Main cuts chunks by the export's facts, which are
 * those of the connection that came up last, and this connection's
 * server may differ: cache where that one's cannot (then reads are of
 * at most FALLBACK_READ_MAX), a larger minimum block size, a smaller
 * maximum.  So each piece is fitted to this server's facts
 * (conn->server, fit_piece): rounded out to its minimum, never past
 * its last whole block, and cut by its maximum, as libnbd and the
 * server require.  Usually the chunk is one piece.
 */
static void
send_command (struct nbdconn *conn, struct chunk *c)
{
  nbd_completion_callback cb = {
    .callback = chunk_completed,
    .user_data = c,
    .free = chunk_freed,
  };
  uint64_t from, to;
  int64_t r;

  if (!next_piece (conn, c, &from, &to)) {
    refuse_unreachable (conn, c);
    return;
  }
  c->nbd_called = false;
  c->sent_end = to;
  loop_nbd_in_flight++;
  /* Every read lands in the same scratch buffer: the data is thrown
   * away, only the server's work of fetching it matters.
   */
  if (conn->use_read)
    r = nbd_aio_pread (conn->nbd, conn->scratch, to - from, from, cb, 0);
  else
    r = nbd_aio_cache (conn->nbd, to - from, from, cb, 0);
  if (r == -1) {
    /* chunk_freed has run and finished C; give it the real reason.  C
     * is still ours until the next flush.  Unless the handle is dead
     * (then C is sent again elsewhere), libnbd refused the command
     * itself and the server never saw it.
     */
    c->error = nbd_get_errno () ? nbd_get_errno () : EIO;
    c->retry = !nbd_aio_is_ready (conn->nbd) &&
      !nbd_aio_is_processing (conn->nbd);
    c->failure = c->retry ? CHUNK_FAILED_AT_SERVER : CHUNK_REFUSED_UNSENT;
    if (c->failure == CHUNK_REFUSED_UNSENT)
      conn_log (log_warnx, conn, "libnbd refused the chunk at offset "
                "%llu, %u bytes: %s", (unsigned long long) c->offset,
                c->count, nbd_get_error ());
    else
      conn_log (log_debug, conn, "submit: %s", nbd_get_error ());
  }
}

/* Send C now: it takes a free slot of CONN, which is up. */
static void
issue_chunk (struct nbdconn *conn, struct chunk *c)
{
  conn->in_flight++;
  c->sent_end = c->offset;
  send_command (conn, c);
}

static void return_queued (struct nbdconn *conn, bool held_back);

/* C, on the pieces list, has another piece to send: send it, unless
 * main has found that no request wants C any more
 * (request_abandon_unwanted).  Then C is finished here, with
 * ECANCELED, which no client sees.
 */
static void
send_next_piece (struct nbdconn *conn, struct chunk *c)
{
  if (atomic_load_explicit (&c->abandoned, memory_order_relaxed)) {
    c->error = ECANCELED;
    chunk_finished (conn, c);
  }
  else
    send_command (conn, c);
}

/* Send the next piece of each chunk on the pieces list; then move
 * queued chunks into free slots, or, while an admin has paused the
 * export, hand them back to main instead, which sends them again once
 * it is resumed.  A chunk sent in pieces is not held back: it has been
 * sent, as a Cache command that the server is working on has been.
 * (Chunks queue only behind a full set of chunks in flight, whose
 * replies bring the worker back here.)
 */
static void
issue_queued (struct nbdconn *conn)
{
  while (conn->state == CONN_UP && !conn->shutdown_wanted &&
         !msg_queue_empty (&conn->pieces))
    send_next_piece (conn, container_of (msg_queue_pop (&conn->pieces),
                                         struct chunk, msg));
  if (!msg_queue_empty (&conn->queue) &&
      atomic_load_explicit (&conn->exp->paused, memory_order_relaxed)) {
    return_queued (conn, true);
    return;
  }
  while (conn->state == CONN_UP && !conn->shutdown_wanted &&
         !msg_queue_empty (&conn->queue) &&
         conn->in_flight < conn->exp->cfg.max_in_flight)
    issue_chunk (conn, container_of (msg_queue_pop (&conn->queue),
                                     struct chunk, msg));
}

/* Hand every queued chunk back, unsent, to be sent again: lost with
 * the connection, or HELD_BACK because the export is paused.
 */
static void
return_queued (struct nbdconn *conn, bool held_back)
{
  struct msg *m;

  while ((m = msg_queue_pop (&conn->queue)) != NULL) {
    struct chunk *c = container_of (m, struct chunk, msg);

    c->error = held_back ? ECANCELED : ENOTCONN;
    c->retry = true;
    c->held_back = held_back;
    worker_chunk_done (conn->worker, c);
  }
}

/* Finish every chunk on the pieces list, to be sent again: its
 * connection is lost, after one of its pieces or more.
 */
static void
return_pieces (struct nbdconn *conn)
{
  struct msg *m;

  while ((m = msg_queue_pop (&conn->pieces)) != NULL) {
    struct chunk *c = container_of (m, struct chunk, msg);

    c->error = ENOTCONN;
    chunk_finished (conn, c);
  }
}

/* The connection has just become ready. */
static void
conn_ready (struct nbdconn *conn)
{
  struct export_info raw;

  conn->state = CONN_UP;
  /* Not yet a reason to reset the reconnect delay: a server may
   * accept connections only to fail every command (conn_down).
   */
  conn->up_ns = now_ns ();
  conn->served = false;
  cancel_timer (&conn->timer, &conn->timer_lost_due_ns);
  conn->use_read = conn->exp->cfg.fallback == FALLBACK_READ &&
    nbd_can_cache (conn->nbd) != 1;
  if (conn->use_read && conn->scratch == NULL) {
    conn->scratch = malloc (FALLBACK_READ_MAX);
    if (conn->scratch == NULL) {
      conn_down (conn, "out of memory for the read buffer");
      return;
    }
  }
  /* Capped like the export's facts: when reading, to FALLBACK_READ_MAX
   * (libnbd's minimum is at most 64 KiB, so no read exceeds the
   * buffer).
   */
  server_info (conn, &raw);
  conn->server = export_effective_info (conn->exp, &raw);
  conn_log (log_debug, conn, "connected%s",
            conn->use_read ? " (emulating cache with reads)" : "");
  conn->ups++;
  post_conn_event (conn, true, NULL);
}

/* After any libnbd call: notice readiness, fill slots, act on
 * ESHUTDOWN, notice death, and re-arm the socket event for the
 * direction libnbd wants now.
 */
static void
conn_after_nbd_call (struct nbdconn *conn)
{
  if (conn->nbd == NULL)
    return;
  if (conn->state == CONN_CONNECTING && nbd_aio_is_ready (conn->nbd)) {
    conn_ready (conn);
    if (conn->nbd == NULL)
      return;
  }
  issue_queued (conn);
  if (conn->shutdown_wanted && nbd_aio_is_ready (conn->nbd)) {
    /* NBD: on ESHUTDOWN the client starts a soft disconnect. */
    conn_log (log_info, conn, "server is shutting down; disconnecting");
    if (nbd_shutdown (conn->nbd, 0) == -1)
      conn_log (log_debug, conn, "nbd_shutdown: %s", nbd_get_error ());
  }
  if (nbd_aio_is_closed (conn->nbd)) {
    /* An orderly close.  nbd_get_error would be stale here: the last
     * call that failed is not what closed the handle.
     */
    conn_down (conn, conn->shutdown_wanted ? "server shut down"
               : "the server closed the connection");
    return;
  }
  if (nbd_aio_is_dead (conn->nbd)) {
    const char *err = nbd_get_error ();
    conn_down (conn, err ? err : "the connection failed");
    return;
  }
  /* A socket nobody watches would hang its requests: drop it, and let
   * the next attempt try again.
   */
  if (conn_rearm (conn) == -1) {
    char why[128];

    snprintf (why, sizeof why, "cannot watch the socket: %s",
              strerror (errno));
    conn_down (conn, why);
  }
}

/* At most this many notify_read calls per readable event, so that one
 * busy connection cannot starve the rest of the loop.
 */
#define READS_PER_WAKE 64

/* The smallest NBD reply: a simple reply's header, 16 bytes (a
 * structured reply's is 20).  Only a structured error reply carries
 * more for NBD_CMD_CACHE.
 */
#define NBD_MIN_REPLY 16

static void
on_socket (evutil_socket_t fd, short what, void *opaque)
{
  struct nbdconn *conn = opaque;
  int r;

  loop_note_work ();
  /* When both directions are ready, only read (libnbd(3)).  libnbd
   * reads one reply per notification and then waits for the next:
   * keep reading while replies keep coming, so that a burst of
   * replies costs one pass of the loop, and the clients get their
   * events in one write, not one write (and one wake-up) per reply.
   */
  if (what & EV_READ) {
    int avail = 0;              /* bytes waiting, at least */

    for (unsigned i = 0; i < READS_PER_WAKE; i++) {
      r = nbd_aio_notify_read (conn->nbd);
      /* Only notify again when a reply is due and bytes are really
       * there: a notification without data moves libnbd out of its
       * ready state, and commands issued then wait for the next
       * reply (forever, if none is due).  One FIONREAD counts the
       * bytes for several replies: each took at least NBD_MIN_REPLY
       * of them.  A longer (error) reply can make the count too high;
       * the worst that does is one notification early, with a reply
       * due, which only waits for that reply.
       */
      if (r == -1 || nbd_aio_in_flight (conn->nbd) <= 0 ||
          !(nbd_aio_get_direction (conn->nbd) & LIBNBD_AIO_DIRECTION_READ))
        break;
      avail -= NBD_MIN_REPLY;
      if (avail < NBD_MIN_REPLY &&
          (ioctl (fd, FIONREAD, &avail) == -1 || avail <= 0))
        break;
    }
  }
  else
    r = nbd_aio_notify_write (conn->nbd);
  if (r == -1)
    conn_log (log_debug, conn, "notify: %s", nbd_get_error ());
  conn_after_nbd_call (conn);
  worker_flush (conn->worker);
}

/* The connect timeout ran out while the attempt's job is still looking
 * up the host name (only a lookup holds an attempt in CONN_RESOLVING
 * for long).  Report the connection down, saying so, to tell a DNS
 * problem from a dead server; but keep the job: a slow nameserver's
 * answer is still used when it comes (nbdconn_job_done), and the next
 * attempt starts only when the lookup has failed.  Abandoning it
 * instead would mean that a nameserver slower than connect-timeout
 * never lets the export come up.
 */
static void
conn_lookup_late (struct nbdconn *conn)
{
  const char *why = "timed out resolving the host name";

  conn->state = CONN_DOWN;
  conn_log (log_debug, conn, "cannot connect: %s; still waiting for it",
            why);
  post_conn_event (conn, false, why);
}

static void
on_connect_timeout (evutil_socket_t fd, short what, void *opaque)
{
  struct nbdconn *conn = opaque;

  if (conn->state == CONN_RESOLVING)
    conn_lookup_late (conn);
  else if (conn->state == CONN_CONNECTING)
    conn_down (conn, "timed out connecting");
  worker_flush (conn->worker);
}

static void
on_retry_timer (evutil_socket_t fd, short what, void *opaque)
{
  struct nbdconn *conn = opaque;

  if (!conn->stopped && conn->state == CONN_DOWN) {
    nbdconn_start (conn);
    worker_flush (conn->worker);
  }
}

/* Drop both socket events (the handle is gone or its fd changed). */
static void
conn_events_free (struct nbdconn *conn)
{
  if (event_initialized (&conn->ev))
    event_del (&conn->ev);
  if (event_initialized (&conn->wev))
    event_del (&conn->wev);
  conn->ev_fd = -1;
  conn->rd_armed = conn->wr_armed = false;
}

/* Arm EV if WANT and it is not, or disarm it: one epoll_ctl only when
 * the direction really changes, not on every request.  Returns 0, or
 * -1 with errno set when libevent cannot watch the socket (epoll_ctl
 * failed, or its tables could not grow).
 */
static int
arm (struct event *ev, bool want, bool *armed)
{
  if (want == *armed)
    return 0;
  if ((want ? event_add (ev, NULL) : event_del (ev)) == -1)
    return -1;
  *armed = want;
  return 0;
}

/* Point the socket events at libnbd's current fd and direction.
 * Returns 0, or -1 if the socket cannot be watched.
 */
static int
conn_rearm (struct nbdconn *conn)
{
  int fd = nbd_aio_get_fd (conn->nbd);
  unsigned dir = nbd_aio_get_direction (conn->nbd);

  if (fd != conn->ev_fd) {
    conn_events_free (conn);
    if (fd < 0)
      return 0;
    if (event_assign (&conn->ev, conn->worker->lp->base, fd,
                      EV_READ | EV_PERSIST, on_socket, conn) == -1 ||
        event_assign (&conn->wev, conn->worker->lp->base, fd,
                      EV_WRITE | EV_PERSIST, on_socket, conn) == -1)
      fatalx ("event_assign failed");
    conn->ev_fd = fd;
  }
  if (arm (&conn->ev, dir & LIBNBD_AIO_DIRECTION_READ, &conn->rd_armed) == -1 ||
      arm (&conn->wev, dir & LIBNBD_AIO_DIRECTION_WRITE, &conn->wr_armed) == -1)
    return -1;
  return 0;
}

/* (Re)start the timer EV of CONN (assigned on first use) to call FN
 * in MS.  If libevent cannot add it, main's janitor has the worker
 * fire it when due instead (timer_add_or_note,
 * nbdconn_sweep_lost_timers).  WHAT names the timer for the log.
 */
static void
add_timer (struct event *ev, uint64_t *lost_due, struct nbdconn *conn,
           event_callback_fn fn, unsigned ms, const char *what)
{
  if (!event_initialized (ev) &&
      evtimer_assign (ev, conn->worker->lp->base, fn, conn) == -1)
    fatalx ("evtimer_assign failed");
  if (timer_add_or_note (ev, ms, lost_due) == -1) {
    conn_log (log_warnx, conn, "cannot start the %s timer: %s; the "
              "janitor keeps its time", what, strerror (errno));
    atomic_store (&conn->worker->timers_lost, true);
  }
}

/* Stop the timer EV (if assigned), or forget it if it was lost. */
static void
cancel_timer (struct event *ev, uint64_t *lost_due)
{
  if (event_initialized (ev))
    event_del (ev);
  *lost_due = 0;
}

/* Close the handle (its in-flight chunks come back through
 * chunk_freed for retry) and hand the chunks between two reads and
 * the queued chunks back.  A connect job still running is abandoned
 * but kept, so that the next attempt waits for it.
 */
static void
conn_close (struct nbdconn *conn)
{
  if (conn->job)
    connect_job_abandon (conn->job);
  conn_events_free (conn);
  if (conn->nbd) {
    nbd_close (conn->nbd);
    conn->nbd = NULL;
  }
  conn->state = CONN_DOWN;
  return_pieces (conn);
  return_queued (conn, false);
}

/* Try to connect again after the current delay, and double it. */
static void
retry_later (struct nbdconn *conn)
{
  unsigned delay = conn->backoff_ms;
  const struct export_config *ec = &conn->exp->cfg;

  add_timer (&conn->retry_timer, &conn->retry_lost_due_ns, conn,
             on_retry_timer, delay, "retry");
  conn->backoff_ms = delay * 2 > ec->reconnect_max_ms ?
    ec->reconnect_max_ms : delay * 2;
}

/* Close the connection, report it down, and schedule the next
 * attempt.
 */
static void
conn_down (struct nbdconn *conn, const char *why)
{
  bool was_up = conn->state == CONN_UP;
  unsigned delay;
  char reason[256];

  /* The reconnect delay starts again from reconnect-delay after a
   * connection that worked: one that served a command, or stayed up
   * for reconnect-max-delay.  One that the server drops at once, or
   * fails every command of (ESHUTDOWN), keeps doubling it.
   */
  if (was_up &&
      (conn->served || now_ns () - conn->up_ns >=
       (uint64_t) conn->exp->cfg.reconnect_max_ms * 1000000))
    conn->backoff_ms = conn->exp->cfg.reconnect_min_ms;
  delay = conn->backoff_ms;

  /* Copied first (WHY may be libnbd's error string, which the calls
   * below can replace), and made printable: libnbd can quote what the
   * server said, and this goes into the log and to admins.
   */
  nbdc_copy_printable (reason, sizeof reason, why);
  why = reason;

  cancel_timer (&conn->timer, &conn->timer_lost_due_ns);
  conn_close (conn);
  conn->shutdown_wanted = false;
  if (was_up)
    conn_log (log_warnx, conn, "lost: %s; reconnecting in %.1f s",
              why, delay / 1000.0);
  else
    conn_log (log_debug, conn, "cannot connect: %s; retrying in %.1f s",
              why, delay / 1000.0);
  post_conn_event (conn, false, why);
  if (!conn->stopped)
    retry_later (conn);
}

/* MSG_CONN_START, and each reconnect: begin connecting.  A connect
 * job creates the handle and starts it in its own thread, since that
 * may resolve a host name (connect-job.c); the connect timeout covers
 * the whole attempt.  If the job of an abandoned attempt is still
 * stuck in its lookup, wait for it rather than start a second thread.
 */
void
nbdconn_start (struct nbdconn *conn)
{
  const char *failed;

  if (!conn->listed) {
    /* First start, or again after nbdconn_stop. */
    conn->stopped = false;
    conn->shutdown_wanted = false;
    msg_queue_init (&conn->queue);
    msg_queue_init (&conn->pieces);
    conn->backoff_ms = conn->exp->cfg.reconnect_min_ms;
    TAILQ_INSERT_TAIL (&conn->worker->conns, conn, worker_entry);
    conn->listed = true;
  }
  if (conn->job != NULL) {
    if (connect_job_busy (conn->job)) {
      conn_log (log_debug, conn, "still resolving the host name; "
                "retrying in %.1f s", conn->backoff_ms / 1000.0);
      retry_later (conn);
      return;
    }
    connect_job_release (conn->job);
    conn->job = NULL;
  }
  conn->ev_fd = -1;
  conn->state = CONN_RESOLVING;
  add_timer (&conn->timer, &conn->timer_lost_due_ns, conn,
             on_connect_timeout, conn->exp->cfg.connect_timeout_ms,
             "connect");
  conn->job = connect_job_start (conn, &failed);
  if (conn->job == NULL) {
    char why[128];

    snprintf (why, sizeof why, "%s: %s", failed, strerror (errno));
    conn_down (conn, why);
  }
}

/* MSG_CONN_JOB_DONE: the connect job of this attempt is over.  Take
 * its handle NBD, now connecting, and drive it from here on; or, when
 * NBD is NULL, it failed with ERROR (borrowed).  CONN is in
 * CONN_RESOLVING, or CONN_DOWN if the lookup outlived connect-timeout
 * (conn_lookup_late): a late handle gets a connect timeout of its own
 * for the handshake.  A reset or a stop abandons the job, and the
 * result of an abandoned job never comes here.
 */
void
nbdconn_job_done (struct nbdconn *conn, struct nbd_handle *nbd,
                  const char *error)
{
  conn->job = NULL;
  if (nbd == NULL) {
    conn_down (conn, error);
    return;
  }
  if (conn->state == CONN_DOWN) {
    conn_log (log_debug, conn, "the host name resolved late; connecting");
    add_timer (&conn->timer, &conn->timer_lost_due_ns, conn,
               on_connect_timeout, conn->exp->cfg.connect_timeout_ms,
               "connect");
  }
  conn->nbd = nbd;
  conn->state = CONN_CONNECTING;
  conn_after_nbd_call (conn);
}

/* MSG_CHUNK_SUBMIT: send C on this connection, or queue it for a
 * free slot, or give it back for retry if the connection is not up or
 * its server cannot warm ranges.  Main gives chunks only to
 * connections whose servers can (pick_conn), but this one may have
 * reconnected to one that cannot since main last heard of it; main
 * hears of that before it gets C back (the report was posted first),
 * and sends C elsewhere.
 */
void
nbdconn_submit (struct nbdconn *conn, struct chunk *c)
{
  c->failure = CHUNK_FAILED_AT_SERVER;
  if (conn->state != CONN_UP ||
      !export_info_serves (conn->exp, &conn->server)) {
    c->error = ENOTCONN;
    c->retry = true;
    worker_chunk_done (conn->worker, c);
    return;
  }
  msg_queue_push (&conn->queue, &c->msg);
  conn_after_nbd_call (conn);
}

/* MSG_CONN_RESET: main found the connection hung (conn_hung in
 * export.c, which says why in reset_why); drop it (libnbd has no
 * cancel) and start again.
 */
void
nbdconn_reset (struct nbdconn *conn)
{
  if (conn->state == CONN_UP || conn->state == CONN_CONNECTING ||
      conn->state == CONN_RESOLVING)
    conn_down (conn, conn->reset_why);
}

/* MSG_CONN_STOP and MSG_LOOP_STOP: drop the connection for good.
 * Chunks still queued go back to main.
 */
void
nbdconn_stop (struct nbdconn *conn)
{
  if (conn->listed) {
    TAILQ_REMOVE (&conn->worker->conns, conn, worker_entry);
    conn->listed = false;
  }
  conn->stopped = true;
  cancel_timer (&conn->timer, &conn->timer_lost_due_ns);
  cancel_timer (&conn->retry_timer, &conn->retry_lost_due_ns);
  conn_close (conn);
  if (conn->job) {
    /* Its thread may be stuck in a lookup: let it finish alone. */
    connect_job_release (conn->job);
    conn->job = NULL;
  }
  free (conn->scratch);
  conn->scratch = NULL;
}

/* Main's janitor, through MSG_WORKER_SWEEP (or directly for
 * workers[0]): act on each of W's connections whose lost timer (see
 * add_timer) is due, as the timer would have.  Returns whether any is
 * still waiting.  W's thread.
 */
bool
nbdconn_sweep_lost_timers (struct worker *w, uint64_t now)
{
  struct nbdconn *conn;
  bool waiting = false;

  TAILQ_FOREACH (conn, &w->conns, worker_entry) {
    if (timer_lost_is_due (&conn->timer_lost_due_ns, now))
      on_connect_timeout (-1, EV_TIMEOUT, conn);
    if (timer_lost_is_due (&conn->retry_lost_due_ns, now))
      on_retry_timer (-1, EV_TIMEOUT, conn);
    waiting |= conn->timer_lost_due_ns != 0 || conn->retry_lost_due_ns != 0;
  }
  return waiting;
}
