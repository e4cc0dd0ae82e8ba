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
exports_create (const struct config *cfg)
{
  exports = calloc (cfg->exports.len, sizeof *exports);
  if (exports == NULL && cfg->exports.len > 0) {
    log_warn ("calloc");
    return -1;
  }
  for (size_t i = 0; i < cfg->exports.len; i++) {
    const struct export_config *ec = &cfg->exports.ptr[i];
    struct export *exp = &exports[i];

    exp->name = strdup (ec->name);
    exp->uri = strdup (ec->uri);
    exp->connections_configured =
      ec->connections ? ec->connections : DEFAULT_CONNECTIONS;
    exp->max_in_flight = ec->max_in_flight;
    exp->connect_timeout_ms = ec->connect_timeout_ms;
    TAILQ_INIT (&exp->pending);
    exp->conns = calloc (exp->connections_configured, sizeof *exp->conns);
    if (exp->name == NULL || exp->uri == NULL || exp->conns == NULL) {
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

/* The first connection is up: record what the server told us and
 * open the rest of the pool if the server allows several.
 */
static void
export_first_up (struct export *exp, const struct export_info *info)
{
  exp->info = *info;
  exp->have_info = true;
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
            info->can_cache ? "yes" : "no", info->block_min,
            info->block_pref, info->block_max, exp->nr_conns,
            exp->nr_conns == 1 ? "" : "s");
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

  if (ev->up && !conn->up) {
    conn->up = true;
    exp->nr_up++;
    if (!exp->have_info)
      export_first_up (exp, &ev->info);
  }
  else if (!ev->up && conn->up) {
    conn->up = false;
    exp->nr_up--;
  }
  exp->state = exp->nr_up > 0 ? EXPORT_UP : EXPORT_DOWN;
  if (exp->state == EXPORT_DOWN)
    requests_fail_pending (exp, ENOTCONN);
  if (old != exp->state && exp->state == EXPORT_DOWN)
    log_warnx ("export %s: down: %s", exp->name, ev->error);
  free (ev);
  if (old == EXPORT_CONNECTING)
    daemon_check_ready ();
  exp->pump_wanted = true;
}

void
exports_free (void)
{
  for (size_t i = 0; i < nr_exports; i++) {
    free (exports[i].name);
    free (exports[i].uri);
    free (exports[i].conns);
  }
  free (exports);
  exports = NULL;
  nr_exports = 0;
}
