/* nbdcached: local client connections.  Main thread only.
 *
 * A client is reference counted: one reference while its socket is
 * open, plus one per request not yet completed.  Closing the socket
 * (EOF, error, protocol violation) frees the bufferevent at once; the
 * struct lives on until its last request completes, and completions
 * for a closed client are dropped.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "internal.h"

unsigned nr_clients;
struct client_list clients = TAILQ_HEAD_INITIALIZER (clients);

/* Clients with replies queued in this pass of the loop. */
static TAILQ_HEAD (, client) dirty_clients =
  TAILQ_HEAD_INITIALIZER (dirty_clients);
static uint64_t next_serial = 1;

#define client_log(fn, client, fmt, ...)                        \
  fn ("client %llu (pid %d, uid %u): " fmt,                     \
      (unsigned long long) (client)->serial, (int) (client)->pid, \
      (unsigned) (client)->uid, ##__VA_ARGS__)

/* One buffer to encode replies into: the main thread sends each
 * message as soon as it is encoded.
 */
strbuf *
client_scratch (void)
{
  static strbuf sb;

  sb.len = 0;
  return &sb;
}

void
client_unref (struct client *client)
{
  if (--client->refs == 0)
    free (client);
}

/* Queue MSG on the client's socket.  libevent writes it when the
 * socket is writable, coalescing the messages of one loop pass.
 */
void
client_send (struct client *client, const strbuf *msg)
{
  size_t unread;

  if (client->bev == NULL)
    return;
  if (bufferevent_write (client->bev, msg->ptr, msg->len) == -1) {
    client_close (client, "out of memory queueing a reply");
    return;
  }
  if (!client->dirty) {
    client->dirty = true;
    client->refs++;
    TAILQ_INSERT_TAIL (&dirty_clients, client, dirty_entry);
  }
  /* A client that does not read what we send must not make us buffer
   * without bound.
   */
  unread = evbuffer_get_length (bufferevent_get_output (client->bev));
  if (unread > cfg.max_client_output) {
    client_log (log_warnx, client, "disconnecting: %zu bytes of replies "
                "unread (max-client-output)", unread);
    client_close (client, "not reading its replies");
  }
}

/* Write what each client has queued now, at the end of a pass of the
 * loop, instead of waiting for the next pass's write events: one
 * write per client per pass, and one loop iteration less of latency.
 * What the socket does not take stays for the write event.
 */
void
clients_flush (void)
{
  struct client *client;

  while ((client = TAILQ_FIRST (&dirty_clients)) != NULL) {
    TAILQ_REMOVE (&dirty_clients, client, dirty_entry);
    client->dirty = false;
    if (client->bev != NULL) {
      struct evbuffer *out = bufferevent_get_output (client->bev);

      errno = 0;
      if (evbuffer_get_length (out) > 0 &&
          evbuffer_write (out, bufferevent_getfd (client->bev)) == -1 &&
          errno != 0 && errno != EAGAIN && errno != EINTR)
        log_debug ("client %llu: write: %s",
                   (unsigned long long) client->serial, strerror (errno));
    }
    client_unref (client);
  }
}

/* Is CLIENT at its limit of requests or bytes in flight?  Then we stop
 * reading from it until some complete (backpressure).
 */
bool
client_over_limits (const struct client *client)
{
  return client->in_flight >= cfg.max_client_requests ||
    client->bytes_in_flight >= cfg.max_client_bytes;
}

/* One of CLIENT's requests, of BYTES bytes, has completed. */
void
client_request_done (struct client *client, uint64_t bytes)
{
  client->in_flight--;
  client->bytes_in_flight -= bytes;
  if (client->throttled && client->bev != NULL && !daemon_draining &&
      !client_over_limits (client)) {
    client->throttled = false;
    bufferevent_enable (client->bev, EV_READ);
    /* Lines may already be buffered: run the read callback soon. */
    bufferevent_trigger (client->bev, EV_READ,
                         BEV_TRIG_IGNORE_WATERMARKS |
                         BEV_TRIG_DEFER_CALLBACKS);
  }
}

void
client_close (struct client *client, const char *why)
{
  if (client->bev == NULL)
    return;
  client_log (log_debug, client, "closed: %s", why);
  bufferevent_free (client->bev);
  client->bev = NULL;
  TAILQ_REMOVE (&clients, client, entry);
  nr_clients--;
  client_unref (client);
}

static void on_event (struct bufferevent *bev, short what, void *opaque);

static void
on_flushed_then_close (struct bufferevent *bev, void *opaque)
{
  client_close (opaque, "closed after its last replies");
}

/* Stop reading, let the queued replies drain, then close. */
void
client_close_after_flush (struct client *client)
{
  if (client->bev == NULL || client->closing)
    return;
  client->closing = true;
  bufferevent_disable (client->bev, EV_READ);
  if (evbuffer_get_length (bufferevent_get_output (client->bev)) == 0)
    client_close (client, "closed after its last replies");
  else
    bufferevent_setcb (client->bev, NULL, on_flushed_then_close,
                       on_event, client);
}

/* Reply with an error to a message we cannot even frame, then close. */
static void
framing_error (struct client *client, int errnum, const char *message)
{
  strbuf *sb = client_scratch ();

  client_log (log_warnx, client, "%s", message);
  if (nbdc_encode_reply_error (sb, 0, errnum, message) == 0)
    client_send (client, sb);
  client_close_after_flush (client);
}

static void
on_read (struct bufferevent *bev, void *opaque)
{
  struct client *client = opaque;
  struct evbuffer *in = bufferevent_get_input (bev);

  /* Any reply below may close the client; keep the struct alive. */
  client->refs++;

  while (client->bev != NULL && !client->closing) {
    struct evbuffer_ptr eol;

    if (client_over_limits (client)) {
      client->throttled = true;
      bufferevent_disable (bev, EV_READ);
      break;
    }

    size_t eol_len, len;
    const char *line;
    eol = evbuffer_search_eol (in, NULL, &eol_len, EVBUFFER_EOL_LF);
    if (eol.pos == -1) {
      if (evbuffer_get_length (in) >= NBDC_MAX_MESSAGE)
        framing_error (client, EMSGSIZE, "message longer than the limit "
                       "of " NBDC_STR (NBDC_MAX_MESSAGE) " bytes");
      break;
    }
    len = (size_t) eol.pos;
    if (len >= NBDC_MAX_MESSAGE) {
      framing_error (client, EMSGSIZE, "message longer than the limit "
                     "of " NBDC_STR (NBDC_MAX_MESSAGE) " bytes");
      break;
    }
    line = (const char *) evbuffer_pullup (in, (ev_ssize_t) len + 1);
    ops_handle_line (client, line, len);
    if (client->bev != NULL)
      evbuffer_drain (in, len + 1);
  }
  requests_pump_wanted ();
  clients_flush ();
  client_unref (client);
}

static void
on_event (struct bufferevent *bev, short what, void *opaque)
{
  struct client *client = opaque;

  if (what & BEV_EVENT_EOF)
    client_close (client, "disconnected");
  else if (what & BEV_EVENT_ERROR)
    client_close (client, strerror (EVUTIL_SOCKET_ERROR ()));
}

/* Take over the accepted socket FD. */
void
client_accept (int fd)
{
  struct client *client;
  struct ucred cred;
  socklen_t len = sizeof cred;

  client = calloc (1, sizeof *client);
  if (client == NULL) {
    log_warn ("accept: calloc");
    evutil_closesocket (fd);
    return;
  }
  client->serial = next_serial++;
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
    free (client);
    return;
  }
  len = sizeof client->groups;
  if (getsockopt (fd, SOL_SOCKET, SO_PEERGROUPS, client->groups, &len) == 0)
    client->nr_groups = len / sizeof client->groups[0];
  evutil_make_socket_nonblocking (fd);
  client->bev = bufferevent_socket_new (main_loop.base, fd,
                                        BEV_OPT_CLOSE_ON_FREE);
  if (client->bev == NULL) {
    log_warn ("accept: bufferevent_socket_new");
    evutil_closesocket (fd);
    free (client);
    return;
  }
  bufferevent_setcb (client->bev, on_read, NULL, on_event, client);
  bufferevent_enable (client->bev, EV_READ | EV_WRITE);
  TAILQ_INSERT_TAIL (&clients, client, entry);
  nr_clients++;
  client_log (log_debug, client, "connected");
}

/* Draining: take no more requests from anyone. */
void
clients_stop_reading (void)
{
  struct client *client;

  TAILQ_FOREACH (client, &clients, entry)
    bufferevent_disable (client->bev, EV_READ);
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
}
