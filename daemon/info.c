/* nbdcached: the members of the "hello", "exports", "stats" and
 * "clients" replies, written with the codec's struct nbdc_members
 * (proto/encode.c), which fails the whole reply on the first append
 * that fails for want of memory.  Main thread only.  Field names are
 * part of the protocol: see proto/PROTOCOL.md before changing one.
 */
#include <config.h>

#include "internal.h"

#define U64(key, n) nbdc_members_u64 (m, (key), (uint64_t) (n))
#define BOOL(key, b) nbdc_members_bool (m, (key), (b))
#define STR(key, s) nbdc_members_string (m, (key), (s))
#define OPEN(key, bracket) nbdc_members_open (m, (key), (bracket))
#define CLOSE(bracket) nbdc_members_close (m, (bracket))

/* Every reply must fit in one message (PROTOCOL.md section 1), also
 * with thousands of clients or hundreds of exports.  A list that grows
 * with them ends before the entry that would take the members past
 * REPLY_BUDGET bytes, which leaves room for the closing brackets, the
 * counts of what was left out, and the reply's "id" and "ok"; the
 * entries left out are counted in "<list>_omitted".
 */
#define REPLY_BUDGET (NBDC_MAX_MESSAGE - 1 - 256)

struct bounded_list {
  const char *omitted_key;      /* "exports_omitted", ... */
  size_t len;                   /* the members' length before the entry */
  bool comma;
  uint64_t omitted;
};

/* Start an entry of list L: false if it is left out (the list is
 * full already).
 */
static bool
entry_begin (struct nbdc_members *m, struct bounded_list *l)
{
  if (l->omitted > 0) {
    l->omitted++;
    return false;
  }
  l->len = m->sb->len;
  l->comma = m->comma;
  return true;
}

/* End the entry: take it back out if it went past the budget. */
static void
entry_end (struct nbdc_members *m, struct bounded_list *l)
{
  if (m->sb->len > REPLY_BUDGET) {
    m->sb->len = l->len;
    m->comma = l->comma;
    l->omitted++;
  }
}

/* After the list's closing bracket: say how many entries it lacks. */
static void
list_end (struct nbdc_members *m, const struct bounded_list *l)
{
  if (l->omitted > 0)
    U64 (l->omitted_key, l->omitted);
}

/* The reply to CLIENT's "hello", once its version is settled. */
void
info_hello (struct nbdc_members *m, const struct client *client)
{
  U64 ("version", client->version);
  STR ("server", PACKAGE_NAME " " PACKAGE_VERSION);
  U64 ("max_message", NBDC_MAX_MESSAGE);
}

/* One export of the "exports" reply, as an array element.  ADMIN:
 * also say why it is down or reconnecting (the reason can name the
 * server's host or socket, which the other users are not shown).
 */
static void
export_members (struct nbdc_members *m, const struct export *exp,
                bool admin)
{
  OPEN (NULL, '{');
  STR ("name", exp->name);
  STR ("state", export_state_name (exp->state));
  BOOL ("paused", exp->paused);
  if (admin && exp->down_reason[0] != '\0' &&
      (exp->state == EXPORT_DOWN || exp->state == EXPORT_RECONNECTING))
    STR ("reason", exp->down_reason);
  if (exp->have_info) {
    U64 ("size", exp->info.size);
    BOOL ("can_cache", exp->info.can_cache);
    BOOL ("can_multi_conn", exp->info.can_multi_conn);
    OPEN ("block_size", '{');
    U64 ("minimum", exp->info.block_min);
    U64 ("preferred", exp->info.block_pref);
    U64 ("maximum", exp->info.block_max);
    BOOL ("advertised", exp->info.block_advertised);
    CLOSE ('}');
  }
  OPEN ("connections", '{');
  U64 ("configured", exp->connections_configured);
  U64 ("used", exp->nr_conns);
  U64 ("up", exp->nr_up);
  CLOSE ('}');
  CLOSE ('}');
}

/* "exports": [ ... ], listing only what CLIENT may use; only ONLY, if
 * it is not NULL (the caller checked that CLIENT may use it).
 */
void
info_exports (struct nbdc_members *m, const struct client *client,
              const struct export *only)
{
  bool admin = client_is_admin (client);
  struct bounded_list l = { .omitted_key = "exports_omitted" };

  OPEN ("exports", '[');
  for (size_t i = 0; i < exports.len; i++)
    if ((only == NULL || exports.ptr[i] == only) &&
        export_allowed (exports.ptr[i], client) && entry_begin (m, &l)) {
      export_members (m, exports.ptr[i], admin);
      entry_end (m, &l);
    }
  CLOSE (']');
  list_end (m, &l);
}

/* "errors_by_errno": {"EIO": 3, ...}: only the errnos that occurred. */
static void
errno_members (struct nbdc_members *m, const struct export *exp)
{
  OPEN ("errors_by_errno", '{');
  for (int e = 1; e < ERRNO_SLOTS; e++)
    if (exp->st_errno[e] > 0)
      U64 (nbdc_errno_name (e), exp->st_errno[e]);
  CLOSE ('}');
}

/* "latency": the histogram, per-bucket (not cumulative) counts, one
 * more than the bounds (the last bucket has no upper bound).
 */
static void
latency_members (struct nbdc_members *m, const struct export *exp)
{
  uint64_t total = 0;

  OPEN ("latency", '{');
  OPEN ("bounds_us", '[');
  for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
    U64 (NULL, latency_bounds_us[b]);
  CLOSE (']');
  OPEN ("counts", '[');
  for (unsigned b = 0; b <= LATENCY_BUCKETS; b++) {
    U64 (NULL, exp->st_latency[b]);
    total += exp->st_latency[b];
  }
  CLOSE (']');
  U64 ("sum_us", exp->st_latency_sum_us);
  U64 ("count", total);
  CLOSE ('}');
}

static void
client_members (struct nbdc_members *m, const struct client *c)
{
  OPEN (NULL, '{');
  U64 ("id", c->serial);
  nbdc_members_i64 (m, "pid", c->pid);
  U64 ("uid", c->uid);
  U64 ("gid", c->gid);
  STR ("name", c->name);
  U64 ("requests", c->st_requests);
  U64 ("in_flight", c->in_flight);
  U64 ("queued", c->nr_pending);
  U64 ("bytes_in_flight", c->bytes_in_flight);
  if (c->held_at != NULL)
    STR ("held", c->held_at);
  CLOSE ('}');
}

/* KEY: [ the connected clients: all of them for an admin, else only
 * CLIENT ], then "clients_omitted" if they did not all fit.
 */
static void
client_list_members (struct nbdc_members *m, const char *key,
                     const struct client *client)
{
  struct bounded_list l = { .omitted_key = "clients_omitted" };
  struct client *c;

  OPEN (key, '[');
  TAILQ_FOREACH (c, &clients, entry)
    if ((c == client || client_is_admin (client)) && entry_begin (m, &l)) {
      client_members (m, c);
      entry_end (m, &l);
    }
  CLOSE (']');
  list_end (m, &l);
}

/* "clients": [ ... ] (admin op) */
void
info_clients (struct nbdc_members *m, const struct client *client)
{
  client_list_members (m, "clients", client);
}

static void
export_stats_members (struct nbdc_members *m, const struct export *exp)
{
  OPEN (NULL, '{');
  STR ("name", exp->name);
  STR ("state", export_state_name (exp->state));
  U64 ("requests", exp->st_requests);
  U64 ("errors", exp->st_errors);
  U64 ("chunks", exp->st_chunks);
  U64 ("bytes", exp->st_bytes);
  BOOL ("paused", exp->paused);
  U64 ("in_flight", exp->in_flight);
  U64 ("queued", exp->nr_pending);
  U64 ("retries", exp->st_retries);
  U64 ("timeouts", exp->st_timeouts);
  U64 ("reconnects", exp->st_reconnects);
  U64 ("deduplicated", exp->st_dedup);
  U64 ("chunks_in_flight", exp->chunks_out);
  U64 ("connections_up", exp->nr_up);
  errno_members (m, exp);
  latency_members (m, exp);
  CLOSE ('}');
}

/* The daemon-wide counters and one object per export CLIENT may use;
 * the request totals are over those exports only: those hidden from
 * CLIENT must not show through them.
 */
void
info_stats (struct nbdc_members *m, const struct client *client)
{
  uint64_t requests = 0, in_flight = 0;
  struct bounded_list l = { .omitted_key = "exports_omitted" };

  for (size_t i = 0; i < exports.len; i++) {
    if (!export_allowed (exports.ptr[i], client))
      continue;
    requests += exports.ptr[i]->st_requests;
    in_flight += exports.ptr[i]->in_flight;
  }
  U64 ("uptime_seconds", (now_ns () - start_time_ns) / 1000000000);
  U64 ("threads", nr_threads);
  U64 ("clients", nr_clients);
  U64 ("requests", requests);
  U64 ("in_flight", in_flight);
  BOOL ("draining", daemon_draining);
  OPEN ("exports", '[');
  for (size_t i = 0; i < exports.len; i++)
    if (export_allowed (exports.ptr[i], client) && entry_begin (m, &l)) {
      export_stats_members (m, exports.ptr[i]);
      entry_end (m, &l);
    }
  CLOSE (']');
  list_end (m, &l);
  client_list_members (m, "client_list", client);
}
