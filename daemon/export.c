/* nbdcached: exports and their connection pools, as the main thread
 * sees them.  The pools' libnbd handles live in the workers; main
 * learns about them only through MSG_CONN_EVENT.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct export *exports;
size_t nr_exports;

/* Which worker owns the next connection: spread every export's pool
 * over all workers.
 */
static unsigned next_worker;

const char *
export_state_name (enum export_state state)
{
  switch (state) {
  case EXPORT_CONNECTING: return "connecting";
  case EXPORT_UP: return "up";
  case EXPORT_DOWN: return "down";
  }
  return "unknown";
}

/* Build the exports from the configuration.  Workers must exist.
 * Returns 0 or -1 (logged).
 */
int
exports_create (const struct config *c)
{
  exports = calloc (c->exports.len, sizeof *exports);
  if (exports == NULL && c->exports.len > 0) {
    log_warn ("calloc");
    return -1;
  }
  for (size_t i = 0; i < c->exports.len; i++) {
    const struct export_config *ec = &c->exports.ptr[i];
    struct export *exp = &exports[i];

    exp->cfg = ec;
    exp->name = ec->name;
    exp->connections_configured =
      ec->connections ? ec->connections : DEFAULT_CONNECTIONS;
    TAILQ_INIT (&exp->pending);
    TAILQ_INIT (&exp->live);
    exp->retry_tail = &exp->retry_head;
    exp->conns = calloc (exp->connections_configured, sizeof *exp->conns);
    if (exp->conns == NULL) {
      log_warn ("export %s", ec->name);
      return -1;
    }
    nr_exports = i + 1;
    for (unsigned j = 0; j < exp->connections_configured; j++) {
      struct nbdconn *conn = &exp->conns[j];

      conn->exp = exp;
      conn->index = j;
      conn->worker = &workers[next_worker++ % nr_workers];
      conn->start_msg.type = MSG_CONN_START;
      conn->reset_msg.type = MSG_CONN_RESET;
    }
  }
  return 0;
}

static void
conn_start (struct nbdconn *conn)
{
  loop_post (&conn->worker->loop, &conn->start_msg);
}

/* Open the first connection of every export.  Only it: whether more
 * may follow depends on multi-conn, which it will tell us.
 */
void
exports_start (void)
{
  for (size_t i = 0; i < nr_exports; i++) {
    exports[i].state = EXPORT_CONNECTING;
    exports[i].nr_conns = 1;
    conn_start (&exports[i].conns[0]);
  }
}

bool
exports_first_attempts_done (void)
{
  for (size_t i = 0; i < nr_exports; i++)
    if (exports[i].state == EXPORT_CONNECTING)
      return false;
  return true;
}

struct export *
export_lookup (const char *name)
{
  for (size_t i = 0; i < nr_exports; i++)
    if (strcmp (exports[i].name, name) == 0)
      return &exports[i];
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
 * supplementary groups must be listed.
 */
bool
export_allowed (const struct export *exp, const struct client *client)
{
  const struct export_config *ec = exp->cfg;

  if (!ec->restricted || client->uid == 0)
    return true;
  if (id_listed (&ec->allow_uids, client->uid) ||
      id_listed (&ec->allow_gids, client->gid))
    return true;
  for (unsigned i = 0; i < client->nr_groups; i++)
    if (id_listed (&ec->allow_gids, client->groups[i]))
      return true;
  return false;
}

/* The first connection is up: record what the server told us and
 * open the rest of the pool if the server allows several.
 */
static void
export_first_up (struct export *exp, const struct export_info *info)
{
  exp->info = *info;
  exp->have_info = true;
  if (!info->can_cache && exp->cfg->fallback == FALLBACK_READ &&
      exp->info.block_max > FALLBACK_READ_MAX)
    exp->info.block_max = FALLBACK_READ_MAX;
  exp->nr_conns = 1;
  if (info->can_multi_conn)
    exp->nr_conns = exp->connections_configured;
  else if (exp->connections_configured > 1)
    log_info ("export %s: the server does not advertise multi-conn, "
              "so using 1 connection instead of %u",
              exp->name, exp->connections_configured);
  log_info ("export %s: up, size %llu, cache %s, block sizes %u/%u/%u, "
            "%u connection%s", exp->name,
            (unsigned long long) info->size,
            info->can_cache ? "yes" :
            exp->cfg->fallback == FALLBACK_READ ? "emulated by reads" : "no",
            exp->info.block_min, exp->info.block_pref, exp->info.block_max,
            exp->nr_conns, exp->nr_conns == 1 ? "" : "s");
  for (unsigned j = 1; j < exp->nr_conns; j++)
    conn_start (&exp->conns[j]);
}

/* MSG_CONN_EVENT: a worker reports a connection up or down.  Frees EV. */
void
export_conn_event (struct conn_event *ev)
{
  struct nbdconn *conn = ev->conn;
  struct export *exp = conn->exp;
  enum export_state old = exp->state;

  conn->reset_posted = false;
  if (ev->up && !conn->up) {
    conn->up = true;
    exp->nr_up++;
    if (conn->ever_up) {
      exp->st_reconnects++;
      log_info ("export %s: connection %u: reconnected",
                exp->name, conn->index);
    }
    conn->ever_up = true;
    if (!exp->have_info)
      export_first_up (exp, &ev->info);
  }
  else if (!ev->up && conn->up) {
    conn->up = false;
    exp->nr_up--;
  }
  exp->state = exp->nr_up > 0 ? EXPORT_UP : EXPORT_DOWN;
  if (old != exp->state && exp->state == EXPORT_DOWN)
    log_warnx ("export %s: down: %s", exp->name, ev->error);
  else if (old == EXPORT_DOWN && exp->state == EXPORT_UP)
    log_info ("export %s: up again", exp->name);
  free (ev);
  if (old == EXPORT_CONNECTING)
    daemon_check_ready ();
  exp->pump_wanted = true;
}

/* Periodic upkeep, main thread: complete requests past their deadline,
 * and drop connections that have had chunks outstanding with no reply
 * for a whole request timeout (a hung server: libnbd cannot cancel).
 */
void
exports_janitor (uint64_t now)
{
  for (size_t i = 0; i < nr_exports; i++) {
    struct export *exp = &exports[i];
    uint64_t timeout = (uint64_t) exp->cfg->request_timeout_ms * 1000000;
    struct request *req;

    while ((req = TAILQ_FIRST (&exp->live)) != NULL &&
           req->deadline_ns <= now) {
      exp->st_timeouts++;
      request_complete (req, exp->state == EXPORT_UP ? ETIMEDOUT : ENOTCONN,
                        exp->state == EXPORT_UP ?
                        "the request did not finish within request-timeout" :
                        "the export's server is unreachable");
    }
    for (unsigned j = 0; j < exp->nr_conns; j++) {
      struct nbdconn *conn = &exp->conns[j];

      if (conn->up && conn->outstanding > 0 && !conn->reset_posted &&
          now - conn->last_progress_ns >= timeout) {
        log_warnx ("export %s: connection %u: no reply for %u ms; "
                   "dropping it", exp->name, j,
                   exp->cfg->request_timeout_ms);
        conn->reset_posted = true;
        loop_post (&conn->worker->loop, &conn->reset_msg);
      }
    }
    if (exp->pump_wanted)
      request_pump (exp);
  }
}

void
exports_free (void)
{
  for (size_t i = 0; i < nr_exports; i++)
    free (exports[i].conns);
  free (exports);
  exports = NULL;
  nr_exports = 0;
}
