/* nbdcached: exports and their connection pools, as the main thread
 * sees them.  The pools' libnbd handles live in the workers; main
 * learns about them only through MSG_CONN_EVENT.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

export_list exports;
export_list draining;

const char *
export_state_name (enum export_state state)
{
  switch (state) {
  case EXPORT_CONNECTING: return "connecting";
  case EXPORT_UP: return "up";
  case EXPORT_RECONNECTING: return "reconnecting";
  case EXPORT_DOWN: return "down";
  }
  return "unknown";
}

/* A new export from EC (copied), with its connections assigned to
 * workers but not started.  Returns NULL after logging.
 */
static struct export *
export_new (const struct export_config *ec)
{
  struct export *exp = calloc (1, sizeof *exp);

  if (exp == NULL || export_config_copy (&exp->cfg, ec) == -1) {
    log_warn ("export %s", ec->name);
    if (exp)
      export_config_free (&exp->cfg);
    free (exp);
    return NULL;
  }
  exp->name = exp->cfg.name;
  exp->connections_configured =
    ec->connections ? ec->connections : DEFAULT_CONNECTIONS;
  TAILQ_INIT (&exp->shares);
  TAILQ_INIT (&exp->live);
  msg_queue_init (&exp->retry);
  exp->conns = calloc (exp->connections_configured, sizeof *exp->conns);
  if (exp->conns == NULL) {
    log_warn ("export %s", ec->name);
    export_config_free (&exp->cfg);
    free (exp);
    return NULL;
  }
  for (unsigned j = 0; j < exp->connections_configured; j++) {
    struct nbdconn *conn = &exp->conns[j];

    conn->exp = exp;
    conn->index = j;
    conn->worker = worker_for_connection (j);
    conn->start_msg.type = MSG_CONN_START;
    conn->reset_msg.type = MSG_CONN_RESET;
    conn->stop_msg.type = MSG_CONN_STOP;
    conn->stopped_msg.type = MSG_CONN_STOPPED;
    conn->report_msg.type = MSG_CONN_EVENT;
    TAILQ_INIT (&conn->handed);
  }
  return exp;
}

static void
export_free (struct export *exp)
{
  export_config_free (&exp->cfg);
  chunk_list_reset (&exp->inflight);
  warm_ranges_reset (&exp->recent);
  pending_free (exp);
  free (exp->conns);
  free (exp);
}

/* Build the exports from the configuration.  Workers must exist.
 * Returns 0 or -1 (logged).
 */
int
exports_create (const struct config *c)
{
  for (size_t i = 0; i < c->exports.len; i++) {
    struct export *exp = export_new (&c->exports.ptr[i]);

    if (exp == NULL || export_list_append (&exports, exp) == -1)
      return -1;
  }
  return 0;
}

/* Start CONN on its worker; never once the daemon is stopping (the
 * worker threads may be gone).
 */
static void
conn_start (struct nbdconn *conn)
{
  if (daemon_stopping)
    return;
  conn->started = true;
  loop_post (conn->worker->lp, &conn->start_msg);
}

/* Close CONN for good (until conn_start): its worker hands its chunks
 * back for retry and confirms with MSG_CONN_STOPPED.  From now on its
 * connection events are stale, and main counts it down.  Never once
 * the daemon is stopping (the worker threads may be gone).
 */
static void
conn_stop (struct nbdconn *conn)
{
  struct export *exp = conn->exp;

  if (daemon_stopping)          /* workers_stop closes every connection */
    return;
  conn->stopping = true;
  exp->conns_stopping++;
  if (conn->up) {
    conn->up = false;
    exp->nr_up--;
  }
  loop_post (conn->worker->lp, &conn->stop_msg);
}

/* Open the first connection of EXP.  Only it: whether more may follow
 * depends on multi-conn, which it will tell us.
 */
static void
export_start (struct export *exp)
{
  exp->state = EXPORT_CONNECTING;
  exp->nr_conns = 1;
  conn_start (&exp->conns[0]);
}

void
exports_start (void)
{
  for (size_t i = 0; i < exports.len; i++)
    export_start (exports.ptr[i]);
}

/* A removed export leaves "exports" at once (new requests cannot name
 * it) but keeps running until its requests are done; then its
 * connections are stopped and, once every worker has confirmed, it is
 * freed (export_stopped).  The caller has reserved room in "draining"
 * (exports_reload), so this cannot fail.
 */
static void
export_retire (struct export *exp)
{
  log_info ("export %s: removed; finishing %llu request%s", exp->name,
            (unsigned long long) exp->in_flight,
            exp->in_flight == 1 ? "" : "s");
  exp->draining = true;
  assert (draining.len < draining.cap);
  draining.ptr[draining.len++] = exp;
  exp->pump_wanted = true;
}

/* After a reload: the requests that exports finishing theirs (this
 * reload's, or an earlier one's) hold for clients that the export now
 * served under the same name does not allow are revoked
 * (requests_revoke).  A removed export's requests still finish: that
 * is not a change of who may use it.
 */
static void
exports_revoke_draining (void)
{
  for (size_t i = 0; i < draining.len; i++) {
    struct export *old = draining.ptr[i];
    const struct export *successor = export_lookup (old->name);
    size_t n;

    if (successor == NULL || successor == old)
      continue;
    n = requests_revoke (old, successor);
    if (n > 0)
      log_info ("export %s: revoked %zu request%s of clients no longer "
                "allowed", old->name, n, n == 1 ? "" : "s");
  }
}

/* Apply a new configuration to the running exports: keep the ones
 * configured identically (their connections and requests carry on),
 * retire the removed and changed ones, and start the new and changed
 * ones.  Returns 0, or -1 (ENOMEM, logged) leaving things as they were
 * as far as possible.
 */
int
exports_reload (const struct config *newcfg)
{
  export_list next = { 0 };

  for (size_t i = 0; i < newcfg->exports.len; i++) {
    const struct export_config *ec = &newcfg->exports.ptr[i];
    struct export *old = export_lookup (ec->name), *exp = old;

    if (old == NULL || !export_config_equal (&old->cfg, ec)) {
      exp = export_new (ec);
      if (exp == NULL)
        goto fail;
      log_info ("export %s: %s", ec->name, old ? "changed" : "added");
      /* A pause is the admin's, on the name: it outlives a reload. */
      if (old != NULL && old->paused) {
        exp->paused = true;
        log_info ("export %s: still paused", ec->name);
      }
    }
    if (export_list_append (&next, exp) == -1)
      goto fail;
  }
  /* Room for every export to retire, before anything has changed. */
  if (export_list_reserve (&draining, exports.len) == -1)
    goto fail;
  for (size_t i = 0; i < exports.len; i++) {
    bool kept = false;

    for (size_t j = 0; j < next.len; j++)
      kept |= next.ptr[j] == exports.ptr[i];
    if (!kept)
      export_retire (exports.ptr[i]);
  }
  for (size_t j = 0; j < next.len; j++)
    if (!next.ptr[j]->conns[0].started)
      export_start (next.ptr[j]);
  export_list_reset (&exports);
  exports = next;
  exports_revoke_draining ();
  return 0;

 fail:
  log_warn ("reload");
  for (size_t j = 0; j < next.len; j++)
    if (!next.ptr[j]->conns[0].started && export_lookup (next.ptr[j]->name)
        != next.ptr[j])
      export_free (next.ptr[j]);
  export_list_reset (&next);
  return -1;
}

/* A draining export with nothing left: stop its connections. */
static void
export_maybe_stop (struct export *exp)
{
  if (!exp->draining || exp->conns_stopping > 0 || exp->in_flight > 0 ||
      exp->chunks_out > 0 || !msg_queue_empty (&exp->retry))
    return;
  for (unsigned j = 0; j < exp->connections_configured; j++) {
    struct nbdconn *conn = &exp->conns[j];

    if (conn->started && !conn->stopping)
      conn_stop (conn);
  }
}

/* MSG_CONN_STOPPED (or NULL, from the janitor): free the draining
 * exports that have nothing left running.  A connection that a served
 * export's pool gave up (multi-conn withdrawn) may be started again;
 * at once if the pool has grown back meanwhile.
 */
void
export_stopped (struct nbdconn *conn)
{
  if (conn) {
    struct export *exp = conn->exp;

    exp->conns_stopping--;
    if (!exp->draining) {
      conn->stopping = false;
      conn->started = false;
      if (conn->index < exp->nr_conns && !daemon_stopping)
        conn_start (conn);
    }
  }
  for (size_t i = 0; i < draining.len; i++) {
    struct export *exp = draining.ptr[i];
    bool any_stopping = false;

    for (unsigned j = 0; j < exp->connections_configured; j++)
      any_stopping |= exp->conns[j].started && !exp->conns[j].stopping;
    if (exp->conns_stopping == 0 && !any_stopping &&
        exp->in_flight == 0 && exp->chunks_out == 0) {
      log_info ("export %s: closed", exp->name);
      export_list_remove (&draining, i);
      export_free (exp);
      i--;
    }
  }
}

/* Requests not yet completed, in all exports, draining ones included. */
size_t
exports_in_flight (void)
{
  struct export *exp;
  size_t n = 0;

  for_each_export (exp)
    n += exp->in_flight;
  return n;
}

bool
exports_first_attempts_done (void)
{
  for (size_t i = 0; i < exports.len; i++)
    if (exports.ptr[i]->state == EXPORT_CONNECTING)
      return false;
  return true;
}

/* Pause or resume (PAUSE) every export called NAME: the served one
 * and any a reload replaced or removed that is still finishing its
 * requests, so that "resume" lets those go too.  Returns how many.
 */
unsigned
exports_set_paused (const char *name, bool pause)
{
  export_list *lists[] = { &exports, &draining };
  unsigned n = 0;

  for (size_t l = 0; l < 2; l++) {
    for (size_t i = 0; i < lists[l]->len; i++) {
      struct export *exp = lists[l]->ptr[i];

      if (strcmp (exp->name, name) == 0) {
        exp->paused = pause;
        exp->pump_wanted = true;
        n++;
      }
    }
  }
  return n;
}

/* The served export called NAME (never a draining one), or NULL. */
struct export *
export_lookup (const char *name)
{
  for (size_t i = 0; i < exports.len; i++)
    if (strcmp (exports.ptr[i]->name, name) == 0)
      return exports.ptr[i];
  return NULL;
}

static bool
id_listed (const id_list *list, unsigned id)
{
  for (size_t i = 0; i < list->len; i++)
    if (list->ptr[i] == id)
      return true;
  return false;
}

/* May CLIENT use EXP?  Root may always; otherwise, when the export has
 * allow-users or allow-groups, the peer's uid, gid or one of its
 * supplementary groups must be listed, and not be the overflow id
 * that stands for any id the daemon's user namespace does not map
 * (peer-ids.c).
 */
bool
export_allowed (const struct export *exp, const struct client *client)
{
  const struct export_config *ec = &exp->cfg;

  if (!ec->restricted || client->uid == 0)
    return true;
  if ((peer_uid_known (client->uid) &&
       id_listed (&ec->allow_uids, client->uid)) ||
      (peer_gid_known (client->gid) &&
       id_listed (&ec->allow_gids, client->gid)))
    return true;
  for (unsigned i = 0; i < client->nr_groups; i++)
    if (id_listed (&ec->allow_gids, client->groups[i]))
      return true;
  return false;
}

/* INFO, as a connection of EXP read it from the server, with what
 * the daemon makes of it.  The maximum block size is the largest
 * command the daemon will send, so two things cap it: max-chunk (a
 * server may advertise up to 4 GiB - 1, and one such command can
 * outlast request-timeout on its own, when smaller ones in parallel
 * would not), and the buffer of reads that emulate cache.  Neither
 * takes it below the server's minimum, which every command must be a
 * multiple of.  A pure function of immutable data: the workers call
 * it too, for their own connection's server (nbdconn.c).
 */
struct export_info
export_effective_info (const struct export *exp,
                       const struct export_info *info)
{
  struct export_info e = *info;
  uint64_t cap = exp->cfg.max_chunk;

  if (!e.can_cache && exp->cfg.fallback == FALLBACK_READ &&
      cap > FALLBACK_READ_MAX)
    cap = FALLBACK_READ_MAX;
  cap_block_max (&e, cap);
  return e;
}

/* Can a server with the facts INFO warm ranges of EXP: it caches, or
 * the export emulates cache with reads?  Any thread.
 */
bool
export_info_serves (const struct export *exp, const struct export_info *info)
{
  return info->can_cache || exp->cfg.fallback == FALLBACK_READ;
}

/* Is CONN up, and can its own server warm ranges?  When the export's
 * facts (another connection's) say the server caches, this one's may
 * not: it is given no chunks, since libnbd would refuse them all.
 * Main thread.
 */
bool
export_conn_serves (const struct nbdconn *conn)
{
  return conn->up && export_info_serves (conn->exp, &conn->info);
}

/* Is any connection of EXP up that can warm ranges? */
static bool
export_any_conn_serves (const struct export *exp)
{
  for (unsigned j = 0; j < exp->nr_conns; j++)
    if (export_conn_serves (&exp->conns[j]))
      return true;
  return false;
}

/* Can EXP warm ranges as things stand: one of its connections up can
 * (export_any_conn_serves), whatever the others' servers say; or,
 * while none is up, the server could when one last was.
 */
static bool
export_can_warm (const struct export *exp)
{
  return export_any_conn_serves (exp) ||
    (exp->nr_up == 0 && export_info_serves (exp, &exp->info));
}

static bool
info_equal (const struct export_info *a, const struct export_info *b)
{
  return a->size == b->size && a->can_cache == b->can_cache &&
    a->can_multi_conn == b->can_multi_conn &&
    a->block_advertised == b->block_advertised &&
    a->block_min == b->block_min && a->block_pref == b->block_pref &&
    a->block_max == b->block_max;
}

/* Describe EXP's facts INFO in BUF, for the log. */
static const char *
describe_info (const struct export *exp, const struct export_info *info,
               char *buf, size_t len)
{
  snprintf (buf, len, "size %llu, cache %s, block sizes %u/%u/%u, "
            "multi-conn %s", (unsigned long long) info->size,
            info->can_cache ? "yes" :
            exp->cfg.fallback == FALLBACK_READ ? "emulated by reads" : "no",
            info->block_min, info->block_pref, info->block_max,
            info->can_multi_conn ? "yes" : "no");
  return buf;
}

/* Adopt INFO (effective) as EXP's facts, which acceptance and chunking
 * use from now on, and size the pool by them: every configured
 * connection when the server allows multi-conn, else only the first.
 * Connections the pool gains are started, those it loses stopped.
 */
static void
export_set_info (struct export *exp, const struct export_info *info)
{
  unsigned want = info->can_multi_conn ? exp->connections_configured : 1;

  exp->info = *info;
  exp->have_info = true;
  if (!info->can_multi_conn && exp->connections_configured > 1)
    log_info ("export %s: the server does not advertise multi-conn, "
              "so using 1 connection instead of %u",
              exp->name, exp->connections_configured);
  exp->nr_conns = want;
  for (unsigned j = 1; j < exp->connections_configured; j++) {
    struct nbdconn *conn = &exp->conns[j];

    if (j < want && !conn->started)
      conn_start (conn);
    else if (j >= want && conn->started && !conn->stopping)
      conn_stop (conn);
  }
}

/* Can EXP take a cache request for [OFFSET, OFFSET+COUNT) as its
 * server's facts stand?  Returns 0 with the range to send in *START
 * and *END (normalise_range), or -1 with ENOTSUP or EINVAL in ERR.
 * Asked at acceptance (ops.c) and again when the facts change
 * (export_fail_stale).  Whether the export can warm at all is asked
 * of its connections (export_can_warm), since chunks go only to those
 * that can; the range is checked against the export's facts (the last
 * connection up's).
 */
int
export_range (const struct export *exp, uint64_t offset, uint64_t count,
              uint64_t *start, uint64_t *end, struct nbdc_error *err)
{
  if (!export_can_warm (exp)) {
    nbdc_set_error (err, ENOTSUP, "the server of export \"%s\" does not "
                    "support NBD_CMD_CACHE", exp->name);
    return -1;
  }
  return normalise_range (&exp->info, offset, count, start, end, err);
}

/* The server changed EXP (it came back with another size, other
 * block sizes or flags): requests accepted under the old facts that
 * the new ones would refuse (past the new end, or no server left that
 * can warm) cannot be sent; fail them now, as acceptance would have.
 * The others carry on, even where the new facts would round them out
 * further (a larger minimum block size): a request made now would be
 * accepted so rounded, and each command is fitted to its server's
 * block sizes when it is sent (fit_piece).
 */
static void
export_fail_stale (struct export *exp)
{
  struct request *req, *next;

  for (req = TAILQ_FIRST (&exp->live); req != NULL; req = next) {
    uint64_t start = req->end - req->bytes, s, e;
    struct nbdc_error err = { 0 };
    char why[sizeof err.message + 64];

    next = TAILQ_NEXT (req, live_entry);
    if (export_range (exp, start, req->bytes, &s, &e, &err) == 0)
      continue;
    snprintf (why, sizeof why, "the server changed the export: %s",
              err.message);
    request_complete (req, err.errnum, why);
  }
}

/* CONN of EXP is up again and its server told it INFO.  If that is
 * not what EXP knew, the server has changed the export: log it, adopt
 * the new facts (re-sizing the pool if multi-conn changed) and fail
 * the requests they no longer allow.  Connections still up keep the
 * facts they connected with until they reconnect (conn->info), and
 * each is given only chunks its own server accepts: none if it cannot
 * cache and fallback is error (pick_conn), and the others fitted to
 * its block sizes by its worker (send_command in nbdconn.c).
 */
static void
export_check_info (struct export *exp, const struct nbdconn *conn,
                   const struct export_info *info)
{
  struct export_info e = export_effective_info (exp, info);
  char was[128], now[128];

  if (info_equal (&e, &exp->info))
    return;
  log_warnx ("export %s: connection %u: the server changed the export "
             "from %s to %s", exp->name, conn->index,
             describe_info (exp, &exp->info, was, sizeof was),
             describe_info (exp, &e, now, sizeof now));
  export_set_info (exp, &e);
  export_fail_stale (exp);
}

/* The first connection is up: record what the server told us and
 * open the rest of the pool if the server allows several.
 */
static void
export_first_up (struct export *exp, const struct export_info *info)
{
  struct export_info e = export_effective_info (exp, info);
  char buf[128];

  export_set_info (exp, &e);
  log_info ("export %s: up, %s, %u connection%s", exp->name,
            describe_info (exp, &e, buf, sizeof buf),
            exp->nr_conns, exp->nr_conns == 1 ? "" : "s");
}

/* MSG_CONN_EVENT: CONN's worker reports it up or down.  The report is
 * the latest: if the connection went down and came back up before main
 * read the "down", the "up" says so by a new count of ups, and it is
 * taken as a loss and a reconnect.
 */
void
export_conn_event (struct nbdconn *conn)
{
  struct export *exp = conn->exp;
  enum export_state old = exp->state;
  struct conn_report r;
  bool lost = false;            /* this event takes a connection down */

  nbdconn_take_report (conn, &r);
  if (conn->stopping)
    return;                     /* posted before the worker saw the stop */
  conn->reset_posted = false;
  if (conn->up && (!r.up || r.ups != conn->ups_seen)) {
    conn->up = false;
    exp->nr_up--;
    lost = true;
  }
  if (r.up && !conn->up) {
    conn->up = true;
    conn->ups_seen = r.ups;
    exp->nr_up++;
    if (conn->ever_up) {
      exp->st_reconnects++;
      log_info ("export %s: connection %u: reconnected",
                exp->name, conn->index);
    }
    conn->ever_up = true;
    conn->info = export_effective_info (exp, &r.info);
    if (!exp->have_info)
      export_first_up (exp, &r.info);
    else
      export_check_info (exp, conn, &r.info);
  }
  if (!r.up)
    snprintf (exp->down_reason, sizeof exp->down_reason, "%s", r.error);
  /* Losing the last connection up makes the export reconnecting, and
   * a failed attempt after that makes it down; one connection up makes
   * it up.
   */
  if (exp->nr_up > 0)
    exp->state = EXPORT_UP;
  else if (lost && old == EXPORT_UP)
    exp->state = EXPORT_RECONNECTING;
  else if (!r.up)
    exp->state = EXPORT_DOWN;
  if (old != exp->state && exp->state == EXPORT_RECONNECTING)
    log_warnx ("export %s: reconnecting: %s", exp->name, r.error);
  else if (old != exp->state && exp->state == EXPORT_DOWN)
    log_warnx ("export %s: down: %s", exp->name, r.error);
  else if (exp->state == EXPORT_UP &&
           (old == EXPORT_DOWN || old == EXPORT_RECONNECTING))
    log_info ("export %s: up again", exp->name);
  if (old == EXPORT_CONNECTING)
    daemon_check_ready ();
  exp->pump_wanted = true;
}

/* Should CONN be dropped and opened again, as of NOW?  libnbd cannot
 * cancel a command, so this is the only way to get back what a server
 * that stopped answering holds:
 *  - no reply at all for a whole request timeout while chunks are
 *    outstanding: the server (or the connection) is hung;
 *  - one chunk unanswered for twice the request timeout while others
 *    were answered: the server lost that command, and it would keep
 *    its max-in-flight slot for as long as the connection lives.
 * The reply to each piece of a chunk that a connection sends in pieces
 * (reads that emulate cache, or commands fitted to a server whose
 * block sizes are not the export's) counts, although main sees the
 * chunk only when it is over.  Returns the reason to log, and in
 * *FOR_NS for how long it has been so, or NULL.
 */
static const char *
conn_hung (const struct nbdconn *conn, uint64_t timeout, uint64_t now,
           uint64_t *for_ns)
{
  struct chunk *c;
  uint64_t progress = conn->last_progress_ns, unanswered = now;

  if (!conn->up || conn->outstanding == 0 || conn->reset_posted ||
      conn->stopping)
    return NULL;
  /* A chunk sent in pieces answers each piece (piece_ns), though main
   * hears of it only when it is over: that is progress of the
   * connection, and the chunk is unanswered only since its last piece.
   * (Without pieces, the oldest unanswered is the first one handed
   * over.)
   */
  TAILQ_FOREACH (c, &conn->handed, conn_entry) {
    uint64_t piece = atomic_load_explicit (&c->piece_ns,
                                           memory_order_relaxed);
    uint64_t since = piece > c->sent_ns ? piece : c->sent_ns;

    if (piece > progress)
      progress = piece;
    if (since < unanswered)
      unanswered = since;
  }
  /* The worker may have read the clock after main. */
  *for_ns = now > progress ? now - progress : 0;
  if (*for_ns >= timeout)
    return "no reply";
  *for_ns = now > unanswered ? now - unanswered : 0;
  if (*for_ns >= 2 * timeout)
    return "one command unanswered while others were answered";
  return NULL;
}

/* Periodic upkeep of one export: complete requests past their
 * deadline, stop sending the chunks nobody wants any more, drop
 * connections that conn_hung finds hung, and finish draining.
 */
static void
export_janitor (struct export *exp, uint64_t now)
{
  uint64_t timeout = (uint64_t) exp->cfg.request_timeout_ms * 1000000;
  struct request *req;
  const char *why;
  uint64_t for_ns;

  while ((req = TAILQ_FIRST (&exp->live)) != NULL &&
         req->deadline_ns <= now) {
    exp->st_timeouts++;
    if (exp->state == EXPORT_UP && !export_any_conn_serves (exp))
      request_complete (req, ENOTCONN,
                        "no connection up can serve it: their servers do "
                        "not support NBD_CMD_CACHE, and the connections "
                        "whose servers do were lost and are not back yet");
    else if (exp->state == EXPORT_UP)
      request_complete (req, ETIMEDOUT,
                        "the request did not finish within request-timeout");
    else if (exp->state == EXPORT_RECONNECTING)
      request_complete (req, ENOTCONN,
                        "the connection to the export's server was lost "
                        "and is not back yet");
    else
      request_complete (req, ENOTCONN, "the export's server is unreachable");
  }
  for (unsigned j = 0; j < exp->connections_configured; j++)
    request_abandon_unwanted (&exp->conns[j]);
  for (unsigned j = 0; j < exp->nr_conns; j++) {
    struct nbdconn *conn = &exp->conns[j];

    if ((why = conn_hung (conn, timeout, now, &for_ns)) != NULL) {
      snprintf (conn->reset_why, sizeof conn->reset_why,
                "%s for %" PRIu64 " ms", why, for_ns / 1000000);
      log_warnx ("export %s: connection %u: %s; dropping it",
                 exp->name, j, conn->reset_why);
      conn->reset_posted = true;
      loop_post (conn->worker->lp, &conn->reset_msg);
    }
  }
  if (exp->pump_wanted)
    request_pump (exp);
  dedup_recent_expire (exp, now);
  export_maybe_stop (exp);
}

void
exports_janitor (uint64_t now)
{
  struct export *exp;

  for_each_export (exp)
    export_janitor (exp, now);
  export_stopped (NULL);
}

/* At exit, after the workers have stopped. */
void
exports_free (void)
{
  struct export *exp;

  for_each_export (exp)
    export_free (exp);
  export_list_reset (&exports);
  export_list_reset (&draining);
}
