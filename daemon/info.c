/* nbdcached: the bodies of the "exports" and "stats" replies.  Main
 * thread only.  Field names are part of the protocol: see
 * proto/PROTOCOL.md before changing one.
 */
#include <config.h>

#include "internal.h"

#define ADD(obj, key, val) json_object_object_add ((obj), (key), (val))
#define U64(n) json_object_new_int64 ((int64_t) (n))

static struct json_object *
export_json (const struct export *exp)
{
  struct json_object *e = json_object_new_object ();
  struct json_object *bs, *conns;

  ADD (e, "name", json_object_new_string (exp->name));
  ADD (e, "state", json_object_new_string (export_state_name (exp->state)));
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

  for (size_t i = 0; i < nr_exports; i++)
    if (export_allowed (&exports[i], client))
      json_object_array_add (list, export_json (&exports[i]));
  ADD (fields, "exports", list);
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
  ADD (e, "in_flight", U64 (exp->in_flight));
  ADD (e, "retries", U64 (exp->st_retries));
  ADD (e, "timeouts", U64 (exp->st_timeouts));
  ADD (e, "reconnects", U64 (exp->st_reconnects));
  ADD (e, "chunks_in_flight", U64 (exp->chunks_out));
  ADD (e, "connections_up", U64 (exp->nr_up));
  return e;
}

/* The daemon-wide counters and one object per export CLIENT may use. */
struct json_object *
info_stats (const struct client *client)
{
  struct json_object *fields = json_object_new_object ();
  struct json_object *list = json_object_new_array ();
  uint64_t requests = 0, in_flight = 0;

  for (size_t i = 0; i < nr_exports; i++) {
    requests += exports[i].st_requests;
    in_flight += exports[i].in_flight;
    if (export_allowed (&exports[i], client))
      json_object_array_add (list, export_stats_json (&exports[i]));
  }
  ADD (fields, "uptime_seconds", U64 ((now_ns () - start_time_ns) / 1000000000));
  ADD (fields, "threads", U64 (nr_workers));
  ADD (fields, "clients", U64 (nr_clients));
  ADD (fields, "requests", U64 (requests));
  ADD (fields, "in_flight", U64 (in_flight));
  ADD (fields, "exports", list);
  return fields;
}
