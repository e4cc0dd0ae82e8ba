/* nbdcached: the cookie reply to an accepted cache request.  Main
 * thread only.
 *
 * A client speaking protocol version 1 gets the reply at once.  One
 * speaking version 2 lets the daemon hold it for REPLY_HOLD_US (by
 * libevent's coarse clock, so up to one kernel tick more)
 * (proto/PROTOCOL.md 4.2, "Held replies"): a fast request's reply then
 * goes out just before its event, in the same write, and the client
 * wakes once instead of twice.  Held replies wait in client->held, in
 * request order, and are released oldest first: before the request's
 * event, before any other reply to the client (every other reply goes
 * out through client_send_reply), or when the client's hold timer
 * fires.  So replies still come in request order.
 */
#include <config.h>

#include "internal.h"

static const struct timeval hold_tv = { 0, REPLY_HOLD_US };

static void requests_release_replies (struct client *client,
                                      struct request *last);

/* Send REQ's cookie reply now.  It has its own buffer, not
 * client_scratch: client_send_reply releases held replies while the
 * reply it is about to send sits in the scratch buffer.
 */
static void
send_cookie_reply (struct request *req)
{
  static strbuf sb;

  sb.len = 0;
  if (nbdc_encode_reply_cookie (&sb, req->id, req->cookie) == 0)
    client_send (req->client, &sb);
  else
    client_close_oom (req->client, "encoding a reply");
}

/* The cache request REQ was accepted: reply with its cookie, or hold
 * the reply if the client speaks version 2.  Call before pumping, so
 * that no event can overtake it.
 */
void
request_reply_accepted (struct request *req)
{
  struct client *client = req->client;

  if (client->version < 2) {
    send_cookie_reply (req);
    return;
  }
  req->reply_held = true;
  TAILQ_INSERT_TAIL (&client->held, req, held_entry);
  /* Without a timer to end the hold (libevent could not grow its
   * heap), do not hold.
   */
  if (!event_pending (client->hold_ev, EV_TIMEOUT, NULL) &&
      event_add (client->hold_ev, &hold_tv) == -1)
    requests_release_replies (client, NULL);
}

/* Send CLIENT's held replies, oldest first, up to and including LAST
 * (all of them if LAST is NULL).  Called before any other reply, when
 * the hold time is up, and (through request_release_reply) before an
 * event.
 */
static void
requests_release_replies (struct client *client, struct request *last)
{
  struct request *req;

  while ((req = TAILQ_FIRST (&client->held)) != NULL) {
    TAILQ_REMOVE (&client->held, req, held_entry);
    req->reply_held = false;
    send_cookie_reply (req);
    if (req == last)
      break;
  }
  /* Nothing left to hold: no timer to wake the loop for nothing. */
  if (TAILQ_EMPTY (&client->held) && client->hold_ev != NULL)
    event_del (client->hold_ev);
}

/* Send MSG, a reply other than a cookie reply, to CLIENT: after the
 * cookie replies still held, so that replies keep request order.
 */
void
client_send_reply (struct client *client, const strbuf *msg)
{
  requests_release_replies (client, NULL);
  client_send (client, msg);
}

/* Before REQ's event: send its reply, and the older held ones, if it
 * is still held.
 */
void
request_release_reply (struct request *req)
{
  if (req->reply_held)
    requests_release_replies (req->client, req);
}

/* CLIENT is closing: its held replies have nowhere to go. */
void
replies_drop_held (struct client *client)
{
  struct request *req;

  while ((req = TAILQ_FIRST (&client->held)) != NULL) {
    TAILQ_REMOVE (&client->held, req, held_entry);
    req->reply_held = false;
  }
}

/* The client's hold timer: the oldest held reply has waited long
 * enough; send them all.
 */
void
replies_hold_expired (evutil_socket_t fd, short what, void *opaque)
{
  requests_release_replies (opaque, NULL);
}
