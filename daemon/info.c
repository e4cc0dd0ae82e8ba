/* nbdcached: the bodies of the "exports", "stats" and "clients"
 * replies.  Main thread only.  Field names are part of the protocol: see
 * proto/PROTOCOL.md before changing one.
 */
#include <config.h>

#include "internal.h"

#define ADD(obj, key, val) json_object_object_add ((obj), (key), (val))
#define U64(n) json_object_new_int64 ((int64_t) (n))

/* One export of the "exports" reply.  ADMIN: also say why it is down
 * or reconnecting (the reason can name the server's host or socket,
 * which the other users are not shown).
 */
static struct json_object *
export_json (const struct export *exp, bool admin)
{
  struct json_object *e = json_object_new_object ();
  struct json_object *bs, *conns;

  ADD (e, "name", json_object_new_string (exp->name));
  ADD (e, "state", json_object_new_string (export_state_name (exp->state)));
  ADD (e, "paused", json_object_new_boolean (exp->paused));
  if (admin && exp->down_reason[0] != '\0' &&
      (exp->state == EXPORT_DOWN || exp->state == EXPORT_RECONNECTING))
    ADD (e, "reason", json_object_new_string (exp->down_reason));
  if (exp->have_info) {
    ADD (e, "size", U64 (exp->info.size));
    ADD (e, "can_cache", json_object_new_boolean (exp->info.can_cache));
    ADD (e, "can_multi_conn",
         json_object_new_boolean (exp->info.can_multi_conn));
    bs = json_object_new_object ();
    ADD (bs, "minimum", U64 (exp->info.block_min));
    ADD (bs, "preferred", U64 (exp->info.block_pref));
    ADD (bs, "maximum", U64 (exp->info.block_max));
    ADD (bs, "advertised",
         json_object_new_boolean (exp->info.block_advertised));
    ADD (e, "block_size", bs);
  }
  conns = json_object_new_object ();
  ADD (conns, "configured", U64 (exp->connections_configured));
  ADD (conns, "used", U64 (exp->nr_conns));
  ADD (conns, "up", U64 (exp->nr_up));
  ADD (e, "connections", conns);
  return e;
}

/* { "exports": [ ... ] }, listing only what CLIENT may use. */
struct json_object *
info_exports (const struct client *client)
{
  struct json_object *list = json_object_new_array ();
  struct json_object *fields = json_object_new_object ();
  bool admin = client_is_admin (client);

  for (size_t i = 0; i < exports.len; i++)
    if (export_allowed (exports.ptr[i], client))
      json_object_array_add (list, export_json (exports.ptr[i], admin));
  ADD (fields, "exports", list);
  return fields;
}

/* {"EIO": 3, ...}: only the errnos that occurred. */
static struct json_object *
errno_json (const struct export *exp)
{
  struct json_object *o = json_object_new_object ();

  for (int e = 1; e < ERRNO_SLOTS; e++)
    if (exp->st_errno[e] > 0)
      ADD (o, nbdc_errno_name (e), U64 (exp->st_errno[e]));
  return o;
}

/* The latency histogram: per-bucket (not cumulative) counts, one more
 * than the bounds (the last bucket has no upper bound).
 */
static struct json_object *
latency_json (const struct export *exp)
{
  struct json_object *o = json_object_new_object ();
  struct json_object *bounds = json_object_new_array ();
  struct json_object *counts = json_object_new_array ();
  uint64_t total = 0;

  for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
    json_object_array_add (bounds, U64 (latency_bounds_us[b]));
  for (unsigned b = 0; b <= LATENCY_BUCKETS; b++) {
    json_object_array_add (counts, U64 (exp->st_latency[b]));
    total += exp->st_latency[b];
  }
  ADD (o, "bounds_us", bounds);
  ADD (o, "counts", counts);
  ADD (o, "sum_us", U64 (exp->st_latency_sum_us));
  ADD (o, "count", U64 (total));
  return o;
}

static struct json_object *
client_json (const struct client *c)
{
  struct json_object *o = json_object_new_object ();

  ADD (o, "id", U64 (c->serial));
  ADD (o, "pid", json_object_new_int64 (c->pid));
  ADD (o, "uid", U64 (c->uid));
  ADD (o, "gid", U64 (c->gid));
  ADD (o, "name", json_object_new_string (c->name));
  ADD (o, "requests", U64 (c->st_requests));
  ADD (o, "in_flight", U64 (c->in_flight));
  ADD (o, "queued", U64 (c->nr_pending));
  ADD (o, "bytes_in_flight", U64 (c->bytes_in_flight));
  return o;
}

/* The connected clients: all of them for an admin, else only CLIENT. */
static struct json_object *
client_list_json (const struct client *client)
{
  struct json_object *list = json_object_new_array ();
  struct client *c;

  TAILQ_FOREACH (c, &clients, entry)
    if (c == client || client_is_admin (client))
      json_object_array_add (list, client_json (c));
  return list;
}

/* { "clients": [ ... ] } (admin op) */
struct json_object *
info_clients (const struct client *client)
{
  struct json_object *fields = json_object_new_object ();

  ADD (fields, "clients", client_list_json (client));
  return fields;
}

static struct json_object *
export_stats_json (const struct export *exp)
{
  struct json_object *e = json_object_new_object ();

  ADD (e, "name", json_object_new_string (exp->name));
  ADD (e, "state", json_object_new_string (export_state_name (exp->state)));
  ADD (e, "requests", U64 (exp->st_requests));
  ADD (e, "errors", U64 (exp->st_errors));
  ADD (e, "chunks", U64 (exp->st_chunks));
  ADD (e, "bytes", U64 (exp->st_bytes));
  ADD (e, "paused", json_object_new_boolean (exp->paused));
  ADD (e, "in_flight", U64 (exp->in_flight));
  ADD (e, "queued", U64 (exp->nr_pending));
  ADD (e, "retries", U64 (exp->st_retries));
  ADD (e, "timeouts", U64 (exp->st_timeouts));
  ADD (e, "reconnects", U64 (exp->st_reconnects));
  ADD (e, "deduplicated", U64 (exp->st_dedup));
  ADD (e, "chunks_in_flight", U64 (exp->chunks_out));
  ADD (e, "connections_up", U64 (exp->nr_up));
  ADD (e, "errors_by_errno", errno_json (exp));
  ADD (e, "latency", latency_json (exp));
  return e;
}

/* The daemon-wide counters and one object per export CLIENT may use;
 * the request totals are over those exports only.
 */
struct json_object *
info_stats (const struct client *client)
{
  struct json_object *fields = json_object_new_object ();
  struct json_object *list = json_object_new_array ();
  uint64_t requests = 0, in_flight = 0;

  /* The totals cover only the exports listed: those hidden from
   * CLIENT must not show through them.
   */
  for (size_t i = 0; i < exports.len; i++) {
    if (!export_allowed (exports.ptr[i], client))
      continue;
    requests += exports.ptr[i]->st_requests;
    in_flight += exports.ptr[i]->in_flight;
    json_object_array_add (list, export_stats_json (exports.ptr[i]));
  }
  ADD (fields, "uptime_seconds", U64 ((now_ns () - start_time_ns) / 1000000000));
  ADD (fields, "threads", U64 (nr_threads));
  ADD (fields, "clients", U64 (nr_clients));
  ADD (fields, "requests", U64 (requests));
  ADD (fields, "in_flight", U64 (in_flight));
  ADD (fields, "draining", json_object_new_boolean (daemon_draining));
  ADD (fields, "exports", list);
  ADD (fields, "client_list", client_list_json (client));
  return fields;
}
