/* nbdcached: one pooled libnbd connection, driven by the libevent
 * loop of the worker that owns it (libnbd(3), "Socket and
 * direction").  Every function here runs on that worker's thread.
 *
 * A chunk's result is delivered from libnbd's .free callback, which
 * libnbd calls exactly once per command in every case: after the
 * completion callback, when the handle dies, when it is closed, and
 * when the submit itself fails.  So no chunk can be lost or finished
 * twice, whatever happens to the connection.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void conn_rearm (struct nbdconn *conn);
static void conn_down (struct nbdconn *conn, const char *why);

#define conn_log(fn, conn, fmt, ...)                                    \
  fn ("export %s: connection %u: " fmt, (conn)->exp->name,             \
      (conn)->index, ##__VA_ARGS__)

/* Tell main about a state change. */
static void
post_conn_event (struct nbdconn *conn, bool up, const char *why)
{
  struct conn_event *ev = calloc (1, sizeof *ev);

  if (ev == NULL)
    fatal ("calloc");
  ev->msg.type = MSG_CONN_EVENT;
  ev->conn = conn;
  ev->up = up;
  if (up) {
    ev->info.size = (uint64_t) nbd_get_size (conn->nbd);
    ev->info.can_cache = nbd_can_cache (conn->nbd) == 1;
    ev->info.can_multi_conn = nbd_can_multi_conn (conn->nbd) == 1;
    set_block_sizes (&ev->info,
                     nbd_get_block_size (conn->nbd, LIBNBD_SIZE_MINIMUM),
                     nbd_get_block_size (conn->nbd, LIBNBD_SIZE_PREFERRED),
                     nbd_get_block_size (conn->nbd, LIBNBD_SIZE_MAXIMUM));
  }
  else
    snprintf (ev->error, sizeof ev->error, "%s", why);
  loop_post (&main_loop, &ev->msg);
}

/* libnbd's completion callback: remember the server's answer. */
static int
chunk_completed (void *user_data, int *error)
{
  struct chunk *c = user_data;

  c->error = *error;
  c->nbd_called = true;
  return 1;
}

/* libnbd's .free callback: the command is over, one way or another. */
static void
chunk_freed (void *user_data)
{
  struct chunk *c = user_data;
  struct nbdconn *conn = c->conn;

  if (!c->nbd_called)
    c->error = ENOTCONN;
  conn->in_flight--;
  worker_chunk_done (conn->worker, c);
}

/* Send C now.  The connection is up and has a free slot. */
static void
issue_chunk (struct nbdconn *conn, struct chunk *c)
{
  nbd_completion_callback cb = {
    .callback = chunk_completed,
    .user_data = c,
    .free = chunk_freed,
  };

  c->nbd_called = false;
  conn->in_flight++;
  if (nbd_aio_cache (conn->nbd, c->count, c->offset, cb, 0) == -1) {
    /* chunk_freed has run and queued C as done; give it the real
     * reason.  C is still ours until the next flush.
     */
    c->error = nbd_get_errno () ? nbd_get_errno () : EIO;
    conn_log (log_debug, conn, "nbd_aio_cache: %s", nbd_get_error ());
  }
}

/* Move queued chunks into free slots. */
static void
issue_queued (struct nbdconn *conn)
{
  while (conn->state == CONN_UP && conn->queue_head != NULL &&
         conn->in_flight < conn->exp->max_in_flight) {
    struct msg *m = conn->queue_head;

    conn->queue_head = m->next;
    if (conn->queue_head == NULL)
      conn->queue_tail = &conn->queue_head;
    issue_chunk (conn, container_of (m, struct chunk, msg));
  }
}

/* Finish every queued chunk with ERROR. */
static void
fail_queued (struct nbdconn *conn, int error)
{
  while (conn->queue_head != NULL) {
    struct msg *m = conn->queue_head;
    struct chunk *c = container_of (m, struct chunk, msg);

    conn->queue_head = m->next;
    c->error = error;
    worker_chunk_done (conn->worker, c);
  }
  conn->queue_tail = &conn->queue_head;
}

/* After any libnbd call: notice death, notice readiness, fill slots,
 * and re-arm the socket event for the direction libnbd wants now.
 */
static void
conn_after_nbd_call (struct nbdconn *conn)
{
  if (conn->nbd == NULL)
    return;
  if (conn->state == CONN_CONNECTING && nbd_aio_is_ready (conn->nbd)) {
    conn->state = CONN_UP;
    if (conn->timer)
      event_del (conn->timer);
    conn_log (log_debug, conn, "connected");
    post_conn_event (conn, true, NULL);
  }
  issue_queued (conn);
  if (nbd_aio_is_dead (conn->nbd) || nbd_aio_is_closed (conn->nbd)) {
    const char *err = nbd_get_error ();
    conn_down (conn, err ? err : "connection closed by the server");
    return;
  }
  conn_rearm (conn);
}

static void
on_socket (evutil_socket_t fd, short what, void *opaque)
{
  struct nbdconn *conn = opaque;
  int r;

  /* When both directions are ready, only read (libnbd(3)). */
  if (what & EV_READ)
    r = nbd_aio_notify_read (conn->nbd);
  else
    r = nbd_aio_notify_write (conn->nbd);
  if (r == -1)
    conn_log (log_debug, conn, "notify: %s", nbd_get_error ());
  conn_after_nbd_call (conn);
  worker_flush (conn->worker);
}

static void
on_connect_timeout (evutil_socket_t fd, short what, void *opaque)
{
  struct nbdconn *conn = opaque;

  if (conn->state == CONN_CONNECTING) {
    conn_down (conn, "timed out connecting");
    worker_flush (conn->worker);
  }
}

/* Point the socket event at libnbd's current fd and direction. */
static void
conn_rearm (struct nbdconn *conn)
{
  int fd = nbd_aio_get_fd (conn->nbd);
  unsigned dir = nbd_aio_get_direction (conn->nbd);
  short flags = EV_PERSIST;

  if (dir & LIBNBD_AIO_DIRECTION_READ)
    flags |= EV_READ;
  if (dir & LIBNBD_AIO_DIRECTION_WRITE)
    flags |= EV_WRITE;
  if (fd == conn->ev_fd && flags == conn->ev_flags)
    return;
  if (conn->ev) {
    event_free (conn->ev);
    conn->ev = NULL;
  }
  conn->ev_fd = fd;
  conn->ev_flags = flags;
  if (fd < 0 || flags == EV_PERSIST)
    return;
  conn->ev = event_new (conn->worker->loop.base, fd, flags, on_socket, conn);
  if (conn->ev == NULL || event_add (conn->ev, NULL) == -1)
    fatal ("event_new");
}

/* Close the handle and report the connection down.  Chunks still in
 * libnbd come back through chunk_freed; queued ones fail here.
 */
static void
conn_down (struct nbdconn *conn, const char *why)
{
  bool was_up = conn->state == CONN_UP;

  if (conn->ev) {
    event_free (conn->ev);
    conn->ev = NULL;
  }
  conn->ev_fd = -1;
  conn->ev_flags = 0;
  if (conn->timer)
    event_del (conn->timer);
  if (conn->nbd) {
    nbd_close (conn->nbd);
    conn->nbd = NULL;
  }
  conn->state = CONN_DOWN;
  fail_queued (conn, ENOTCONN);
  if (was_up)
    conn_log (log_warnx, conn, "lost: %s", why);
  else
    conn_log (log_warnx, conn, "cannot connect: %s", why);
  post_conn_event (conn, false, why);
}

/* MSG_CONN_START: begin connecting to the export's URI. */
void
nbdconn_start (struct nbdconn *conn)
{
  struct timeval tv;

  conn->queue_tail = &conn->queue_head;
  conn->ev_fd = -1;
  conn->nbd = nbd_create ();
  if (conn->nbd == NULL) {
    conn_down (conn, nbd_get_error ());
    return;
  }
  nbd_set_handle_name (conn->nbd, conn->exp->name);
  conn->state = CONN_CONNECTING;
  if (nbd_aio_connect_uri (conn->nbd, conn->exp->uri) == -1) {
    conn_down (conn, nbd_get_error ());
    return;
  }
  if (conn->timer == NULL)
    conn->timer = evtimer_new (conn->worker->loop.base,
                               on_connect_timeout, conn);
  tv.tv_sec = conn->exp->connect_timeout_ms / 1000;
  tv.tv_usec = (conn->exp->connect_timeout_ms % 1000) * 1000;
  if (conn->timer == NULL || evtimer_add (conn->timer, &tv) == -1)
    fatal ("evtimer_new");
  conn_after_nbd_call (conn);
}

/* MSG_CHUNK_SUBMIT: send C on this connection, or queue it for a
 * free slot, or fail it if the connection is not up.
 */
void
nbdconn_submit (struct nbdconn *conn, struct chunk *c)
{
  if (conn->state != CONN_UP) {
    c->error = ENOTCONN;
    worker_chunk_done (conn->worker, c);
    return;
  }
  c->msg.next = NULL;
  *conn->queue_tail = &c->msg;
  conn->queue_tail = &c->msg.next;
  conn_after_nbd_call (conn);
}

/* MSG_LOOP_STOP: drop the connection at shutdown. */
void
nbdconn_stop (struct nbdconn *conn)
{
  if (conn->ev)
    event_free (conn->ev);
  conn->ev = NULL;
  if (conn->timer)
    event_free (conn->timer);
  conn->timer = NULL;
  if (conn->nbd) {
    nbd_close (conn->nbd);
    conn->nbd = NULL;
  }
  conn->state = CONN_DOWN;
  fail_queued (conn, ESHUTDOWN);
}
