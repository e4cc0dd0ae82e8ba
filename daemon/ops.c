/* nbdcached: the protocol operations (proto/PROTOCOL.md).  Main
 * thread only.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Send an error reply to request ID. */
static void
reply_error (struct client *client, uint64_t id, int errnum,
             const char *message)
{
  strbuf *sb;

  log_debug ("client %llu: request %llu: %s: %s",
             (unsigned long long) client->serial, (unsigned long long) id,
             nbdc_errno_name (errnum), message);
  sb = client_scratch ();
  if (nbdc_encode_reply_error (sb, id, errnum, message) == 0)
    client_send_reply (client, sb);
  else
    client_close_oom (client, "encoding an error");
}

/* Reply to CLIENT's request ID with the members M wrote into BODY,
 * or with ENOMEM if writing them failed; BODY is then reset.
 */
static void
reply_members (struct client *client, uint64_t id,
               const struct nbdc_members *m, strbuf *body)
{
  strbuf *sb = client_scratch ();

  if (!m->failed && nbdc_encode_reply_members (sb, id, body) == 0)
    client_send_reply (client, sb);
  else
    reply_error (client, id, ENOMEM, "out of memory");
  strbuf_reset (body);
}

/* Reply to CLIENT's request ID with the members WRITE (one of the
 * info_* functions) writes for CLIENT, or with ENOMEM if writing them
 * failed.
 */
static void
reply_info (struct client *client, uint64_t id,
            void (*write) (struct nbdc_members *, const struct client *))
{
  strbuf body = { 0 };
  struct nbdc_members m;

  nbdc_members_start (&m, &body);
  write (&m, client);
  reply_members (client, id, &m, &body);
}

/* Send an ok reply with no members: for an op that has been done, so
 * that it must not be reported as failed for want of memory.
 */
static void
reply_ok (struct client *client, uint64_t id)
{
  strbuf *sb = client_scratch ();
  strbuf none = { 0 };

  if (nbdc_encode_reply_members (sb, id, &none) == 0)
    client_send_reply (client, sb);
  else
    client_close_oom (client, "encoding a reply");
}

static void
op_hello (struct client *client, const struct nbdc_request *req)
{
  uint64_t version = req->u.hello.version;

  if (client->hello_done) {
    reply_error (client, req->id, EPROTO, "hello was already done");
    return;
  }
  if (version > NBDC_PROTO_VERSION)
    version = NBDC_PROTO_VERSION;
  if (version < NBDC_PROTO_VERSION_MIN) {
    reply_error (client, req->id, EPROTONOSUPPORT,
                 "no common protocol version: this daemon speaks "
                 NBDC_STR (NBDC_PROTO_VERSION_MIN) " to "
                 NBDC_STR (NBDC_PROTO_VERSION));
    client_close_after_flush (client);
    return;
  }
  client->hello_done = true;
  client->version = (unsigned) version;
  /* Cut at a character boundary: the name goes out again in JSON.
   * It also goes into the log and into root's "clients" table: no
   * control character (a newline, a terminal escape) gets there.
   */
  if (req->u.hello.client)
    nbdc_copy_printable (client->name, sizeof client->name,
                         req->u.hello.client);
  log_debug ("client %llu: hello from \"%s\", version %llu",
             (unsigned long long) client->serial, client->name,
             (unsigned long long) version);

  reply_info (client, req->id, info_hello);
}

/* The served export called NAME, or NULL with ENOENT in ERR.  If
 * HIDE_FROM is not NULL, an export that client may not use counts as
 * missing, as it is from its "exports" and "stats": the reply must not
 * tell a user who guesses names which of them exist (the denial is
 * logged for the admin).
 */
static struct export *
find_export (const char *name, const struct client *hide_from,
             struct nbdc_error *err)
{
  struct export *exp = export_lookup (name);

  if (exp != NULL && hide_from != NULL && !export_allowed (exp, hide_from)) {
    log_info ("client %llu (uid %u): denied export %s",
              (unsigned long long) hide_from->serial,
              (unsigned) hide_from->uid, exp->name);
    exp = NULL;
  }
  if (exp == NULL)
    nbdc_set_error (err, ENOENT, "no export named \"%.*s\"",
                    nbdc_utf8_prefix (name, 64), name);
  return exp;
}

/* "exports", of every export CLIENT may use, or of the one named (so
 * that a client can learn about any one export of a host with more
 * than one reply holds).
 */
static void
op_exports (struct client *client, const struct nbdc_request *req)
{
  const struct export *only = NULL;
  struct nbdc_error err;
  strbuf body = { 0 };
  struct nbdc_members m;

  if (req->u.cache.export != NULL) {
    only = find_export (req->u.cache.export, client, &err);
    if (only == NULL) {
      reply_error (client, req->id, err.errnum, err.message);
      return;
    }
  }
  nbdc_members_start (&m, &body);
  info_exports (&m, client, only);
  reply_members (client, req->id, &m, &body);
}

static void
op_cache (struct client *client, const struct nbdc_request *req)
{
  const char *name = req->u.cache.export;
  struct nbdc_error err;
  struct export *exp = find_export (name, client, &err);
  uint64_t start, end;
  struct request *r;

  if (exp == NULL)
    goto fail;
  if (req->u.cache.flags & ~(uint64_t) NBDC_CACHE_FLAG_MASK) {
    nbdc_set_error (&err, EINVAL, "unknown flags 0x%llx",
                    (unsigned long long) req->u.cache.flags);
    goto fail;
  }
  if (exp->state != EXPORT_UP && exp->state != EXPORT_RECONNECTING) {
    nbdc_set_error (&err, ENOTCONN, "export \"%s\" is %s", exp->name,
                    export_state_name (exp->state));
    goto fail;
  }
  if (export_range (exp, req->u.cache.offset, req->u.cache.count,
                    &start, &end, &err) == -1)
    goto fail;
  if (request_start (client, req->id, exp, start, end, &r) == -1) {
    nbdc_set_error (&err, ENOMEM, "out of memory");
    goto fail;
  }
  request_reply_accepted (r);
  return;

 fail:
  reply_error (client, req->id, err.errnum, err.message);
}

/* Root and the daemon's own user may run the admin ops (not a peer
 * whose uid is the overflow uid, when the daemon runs as that).
 */
bool
client_is_admin (const struct client *client)
{
  return client->uid == 0 ||
    (peer_uid_known (client->uid) && client->uid == geteuid ());
}

/* "pause" and "resume": stop or restart sending an export's chunks. */
static void
op_pause (struct client *client, const struct nbdc_request *req, bool pause)
{
  const char *name = req->u.cache.export;
  struct nbdc_error err;
  struct export *exp = find_export (name, NULL, &err);
  bool changed = exp == NULL || exp->paused != pause;

  /* An export a reload removed while it was paused is still finishing
   * its requests: it can be resumed by name, not paused again.
   */
  if ((exp == NULL && pause) || exports_set_paused (name, pause) == 0) {
    reply_error (client, req->id, err.errnum, err.message);
    return;
  }
  if (changed)
    log_info ("export %s%s: %s by client %llu (uid %u)", name,
              exp == NULL ? " (removed)" : "", pause ? "paused" : "resumed",
              (unsigned long long) client->serial, (unsigned) client->uid);
  reply_ok (client, req->id);
}

static void
op_reload (struct client *client, const struct nbdc_request *req)
{
  char error[512];

  log_info ("reload requested by client %llu (uid %u)",
            (unsigned long long) client->serial, (unsigned) client->uid);
  if (daemon_reload (error, sizeof error) == -1)
    reply_error (client, req->id, EINVAL, error);
  else
    reply_ok (client, req->id);
}

static bool
op_is_admin (enum nbdc_op op)
{
  return op == NBDC_OP_CLIENTS || op == NBDC_OP_PAUSE ||
    op == NBDC_OP_RESUME || op == NBDC_OP_RELOAD;
}

/* Decode and run one request line from CLIENT.  Returns true, or
 * false for a cache request that must wait because CLIENT's user has
 * max-user-requests not yet completed: the line is left as it is,
 * nothing done, for the caller to hand back once there is room.  Only
 * cache requests wait, so that the user can still connect, list and
 * look at its requests.
 */
bool
ops_handle_line (struct client *client, const char *line, size_t len)
{
  struct nbdc_request req;
  struct nbdc_error err;

  if (strspn (line, " \t\r") == len)
    return true;                /* blank lines are allowed */
  if (nbdc_decode_request (line, len, &req, &err) == -1) {
    reply_error (client, req.id, err.errnum, err.message);
    if (!client->hello_done)
      client_close_after_flush (client);
    return true;
  }
  if (!client->hello_done && req.op != NBDC_OP_HELLO) {
    reply_error (client, req.id, EPROTO,
                 "the first request must be \"hello\"");
    client_close_after_flush (client);
    nbdc_request_free (&req);
    return true;
  }
  if (req.op == NBDC_OP_CACHE && user_requests_full (client->user)) {
    nbdc_request_free (&req);
    return false;
  }
  if (op_is_admin (req.op) && !client_is_admin (client)) {
    log_info ("client %llu (uid %u): denied admin op \"%s\"",
              (unsigned long long) client->serial, (unsigned) client->uid,
              nbdc_op_name (req.op));
    reply_error (client, req.id, EPERM,
                 "only root or the daemon's user may do that");
    nbdc_request_free (&req);
    return true;
  }
  switch (req.op) {
  case NBDC_OP_HELLO:
    op_hello (client, &req);
    break;
  case NBDC_OP_EXPORTS:
    op_exports (client, &req);
    break;
  case NBDC_OP_CACHE:
    op_cache (client, &req);
    break;
  case NBDC_OP_STATS:
    reply_info (client, req.id, info_stats);
    break;
  case NBDC_OP_CLIENTS:
    reply_info (client, req.id, info_clients);
    break;
  case NBDC_OP_PAUSE:
  case NBDC_OP_RESUME:
    op_pause (client, &req, req.op == NBDC_OP_PAUSE);
    break;
  case NBDC_OP_RELOAD:
    op_reload (client, &req);
    break;
  }
  nbdc_request_free (&req);
  return true;
}
