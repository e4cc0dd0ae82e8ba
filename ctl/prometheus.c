/* nbdcachectl: "stats --prometheus", the daemon's statistics in the
 * Prometheus text exposition format (version 0.0.4), for example for
 * node_exporter's textfile collector.
 *
 * Every metric is named nbdcached_*; those of one export carry the
 * label export="NAME".  Members listed in the tables below get their
 * type and help text; any other integer or boolean member, such as a
 * counter added by a newer daemon, is still exported, as "untyped",
 * named after the member.  The samples of one family are printed
 * together after its "# HELP" and "# TYPE" lines, as the format
 * requires; a family without samples prints nothing.
 */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define PREFIX "nbdcached_"

/* A member of the stats with a known meaning. */
struct metric_rule {
  const char *key;              /* the member in the JSON */
  const char *name;             /* the metric, after PREFIX */
  const char *type;             /* "counter" or "gauge" */
  const char *help;
};

static const struct metric_rule global_rules[] = {
  { "uptime_seconds", "uptime_seconds", "gauge",
    "Seconds since the daemon started." },
  { "threads", "worker_threads", "gauge", "Worker threads." },
  { "clients", "clients", "gauge", "Clients connected now." },
  { "requests", "requests_total", "counter",
    "Cache requests accepted, all exports." },
  { "in_flight", "requests_in_flight", "gauge",
    "Accepted cache requests not yet completed, all exports." },
  { "draining", "draining", "gauge",
    "1 while the daemon finishes its requests before exiting." },
  /* In the JSON only when the daemon cut a list short (PROTOCOL.md
   * 4.4); 0 otherwise (zero_when_absent).
   */
  { "exports_omitted", "exports_omitted", "gauge",
    "Exports left out of the stats, whose reply must fit in 64 KiB: "
    "their metrics are missing." },
  { "clients_omitted", "clients_omitted", "gauge",
    "Clients left out of the stats' client list, whose reply must fit "
    "in 64 KiB." },
  { NULL },
};

static const struct metric_rule export_rules[] = {
  { "requests", "export_requests_total", "counter",
    "Cache requests accepted." },
  { "errors", "export_failed_requests_total", "counter",
    "Cache requests that completed with an error." },
  { "chunks", "export_chunks_total", "counter",
    "NBD cache commands sent to the server." },
  { "bytes", "export_bytes_total", "counter",
    "Bytes covered by the NBD cache commands sent." },
  { "in_flight", "export_requests_in_flight", "gauge",
    "Cache requests not yet completed." },
  { "queued", "export_requests_queued", "gauge",
    "Cache requests waiting for a turn in the pool." },
  { "chunks_in_flight", "export_chunks_in_flight", "gauge",
    "NBD cache commands outstanding." },
  { "connections_up", "export_connections_up", "gauge",
    "Pooled connections to the server that are up." },
  { "retries", "export_retries_total", "counter",
    "Chunks sent again after their connection was lost." },
  { "timeouts", "export_timeouts_total", "counter",
    "Cache requests completed at their deadline." },
  { "reconnects", "export_reconnects_total", "counter",
    "Connections to the server re-established after being lost." },
  { "paused", "export_paused", "gauge", "1 while the export is paused." },
  { "deduplicated", "export_deduplicated_total", "counter",
    "Chunks not sent: the same range was in flight or recently warmed." },
  { NULL },
};

/* Global members whose absence means 0: the gauge has a sample every
 * time, so that an alert on it needs no "or vector(0)".
 */
static const char *const zero_when_absent[] = {
  "exports_omitted", "clients_omitted", NULL,
};

/* Members of an export printed by code of their own below. */
static const char *const export_special[] = {
  "name", "state", "errors_by_errno", "latency", NULL,
};

static const char *const known_states[] = {
  "connecting", "up", "reconnecting", "down", NULL,
};

/* One metric family, whose header is printed before its first
 * sample.  family_init makes one, family_free releases it.
 */
struct family {
  char *name;                   /* PREFIX included */
  char *help;
  const char *type;
  bool started;
};

static void
family_init (struct family *f, const char *name, const char *type,
             const char *help)
{
  if (asprintf (&f->name, PREFIX "%s", name) == -1 ||
      (f->help = strdup (help)) == NULL)
    out_of_memory ();
  f->type = type;
  f->started = false;
}

static void
family_free (struct family *f)
{
  free (f->name);
  free (f->help);
}

/* Print S escaped as the format wants: backslash and newline always,
 * the double quote too inside label values (QUOTE).
 */
static void
print_escaped (const char *s, bool quote)
{
  for (; *s; s++) {
    if (*s == '\\')
      fputs ("\\\\", stdout);
    else if (*s == '\n')
      fputs ("\\n", stdout);
    else if (*s == '"' && quote)
      fputs ("\\\"", stdout);
    else
      putchar (*s);
  }
}

/* Print one sample of F: NAME SUFFIX {LABELS} VALUE.  LABELS is NULL
 * or a NULL-terminated list of label names and values.
 */
static void
sample (struct family *f, const char *suffix, const char *const *labels,
        const char *value)
{
  if (!f->started) {
    printf ("# HELP %s ", f->name);
    print_escaped (f->help, false);
    printf ("\n# TYPE %s %s\n", f->name, f->type);
    f->started = true;
  }
  printf ("%s%s", f->name, suffix);
  for (size_t i = 0; labels && labels[i]; i += 2) {
    printf ("%s%s=\"", i == 0 ? "{" : ",", labels[i]);
    print_escaped (labels[i + 1], true);
    putchar ('"');
  }
  printf ("%s %s\n", labels && labels[0] ? "}" : "", value);
}

/* V as a sample value in BUF; false if V is not a number or boolean. */
static bool
value_text (struct json_object *v, char *buf, size_t len)
{
  double d;

  switch (json_object_get_type (v)) {
  case json_type_boolean:
    snprintf (buf, len, "%d", json_object_get_boolean (v) ? 1 : 0);
    return true;
  case json_type_int:
    if (json_object_get_int64 (v) < 0)
      snprintf (buf, len, "%" PRIi64, json_object_get_int64 (v));
    else
      snprintf (buf, len, "%" PRIu64, json_object_get_uint64 (v));
    return true;
  case json_type_double:
    d = json_object_get_double (v);
    if (isnan (d))
      snprintf (buf, len, "NaN");
    else if (isinf (d))
      snprintf (buf, len, "%sInf", d < 0 ? "-" : "+");
    else
      snprintf (buf, len, "%.17g", d);
    return true;
  default:
    return false;
  }
}

/* US microseconds as exact decimal seconds: 100 -> "0.0001". */
static void
seconds_text (uint64_t us, char *buf, size_t len)
{
  uint64_t frac = us % 1000000;
  int digits = 6;

  if (frac == 0) {
    snprintf (buf, len, "%" PRIu64, us / 1000000);
    return;
  }
  while (frac % 10 == 0) {
    frac /= 10;
    digits--;
  }
  snprintf (buf, len, "%" PRIu64 ".%0*" PRIu64, us / 1000000, digits, frac);
}

static void
u64_text (uint64_t v, char *buf, size_t len)
{
  snprintf (buf, len, "%" PRIu64, v);
}

static bool
in_list (const char *const *list, const char *key)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp (list[i], key) == 0)
      return true;
  return false;
}

static bool
has_rule (const struct metric_rule *rules, const char *key)
{
  for (size_t i = 0; rules[i].key; i++)
    if (strcmp (rules[i].key, key) == 0)
      return true;
  return false;
}

/* The family of an unknown member KEY, named PREFIX NAME_PREFIX KEY
 * with every character a metric name may not hold made "_".
 */
static void
unknown_family (struct family *f, const char *name_prefix, const char *key)
{
  char *name, *help;

  if (asprintf (&name, "%s%s", name_prefix, key) == -1 ||
      asprintf (&help, "The daemon's stats member \"%s\", of a meaning "
                "unknown to " PROGRAM_NAME " " PACKAGE_VERSION ".", key) == -1)
    out_of_memory ();
  for (char *p = name + strlen (name_prefix); *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_'))
      *p = '_';
  family_init (f, name, "untyped", help);
  free (name);
  free (help);
}

/* The top-level scalar members: the known ones, then the others. */
static void
print_globals (struct json_object *stats)
{
  struct family f;
  char value[64];

  for (size_t i = 0; global_rules[i].key; i++) {
    const struct metric_rule *r = &global_rules[i];

    family_init (&f, r->name, r->type, r->help);
    if (value_text (json_member (stats, r->key), value, sizeof value))
      sample (&f, "", NULL, value);
    else if (in_list (zero_when_absent, r->key))
      sample (&f, "", NULL, "0");
    family_free (&f);
  }
  json_object_object_foreach (stats, key, v) {
    if (has_rule (global_rules, key) || !value_text (v, value, sizeof value))
      continue;
    unknown_family (&f, "", key);
    sample (&f, "", NULL, value);
    family_free (&f);
  }
}

/* Print the member KEY of every export as a sample of F, if it is a
 * number or boolean.
 */
static void
print_export_member (struct json_object *exports, const char *key,
                     struct family *f)
{
  size_t n = json_object_array_length (exports);
  char value[64];

  for (size_t i = 0; i < n; i++) {
    struct json_object *e = json_object_array_get_idx (exports, i);
    const char *name = json_member_string (e, "name");
    const char *labels[] = { "export", name, NULL };

    if (name && value_text (json_member (e, key), value, sizeof value))
      sample (f, "", labels, value);
  }
}

/* The members of exports that no rule or special code covers, each
 * once, in order of first appearance; borrowed from EXPORTS.
 */
static string_vector
unknown_export_members (struct json_object *exports)
{
  string_vector keys = { .ptr = NULL };
  size_t n = json_object_array_length (exports);
  char value[64];

  for (size_t i = 0; i < n; i++) {
    struct json_object *e = json_object_array_get_idx (exports, i);

    if (!json_object_is_type (e, json_type_object))
      continue;
    json_object_object_foreach (e, key, v) {
      bool seen = false;

      if (has_rule (export_rules, key) || in_list (export_special, key) ||
          !value_text (v, value, sizeof value))
        continue;
      for (size_t k = 0; k < keys.len && !seen; k++)
        seen = strcmp (keys.ptr[k], key) == 0;
      if (!seen && string_vector_append (&keys, key) == -1)
        out_of_memory ();
    }
  }
  return keys;
}

static void
print_export_scalars (struct json_object *exports)
{
  string_vector unknown = unknown_export_members (exports);
  struct family f;

  for (size_t i = 0; export_rules[i].key; i++) {
    family_init (&f, export_rules[i].name, export_rules[i].type,
                 export_rules[i].help);
    print_export_member (exports, export_rules[i].key, &f);
    family_free (&f);
  }
  for (size_t i = 0; i < unknown.len; i++) {
    unknown_family (&f, "export_", unknown.ptr[i]);
    print_export_member (exports, unknown.ptr[i], &f);
    family_free (&f);
  }
  string_vector_reset (&unknown);
}

/* The state as a state set: 1 for the current state, 0 for the other
 * known ones.
 */
static void
print_states (struct json_object *exports)
{
  size_t n = json_object_array_length (exports);
  struct family f;

  family_init (&f, "export_state", "gauge",
               "1 for the export's current state, else 0.");
  for (size_t i = 0; i < n; i++) {
    struct json_object *e = json_object_array_get_idx (exports, i);
    const char *name = json_member_string (e, "name");
    const char *state = json_member_string (e, "state");

    if (name == NULL || state == NULL)
      continue;
    for (size_t s = 0; known_states[s]; s++) {
      const char *labels[] = { "export", name, "state", known_states[s], NULL };

      sample (&f, "", labels, strcmp (state, known_states[s]) ? "0" : "1");
    }
    if (!in_list (known_states, state)) {
      const char *labels[] = { "export", name, "state", state, NULL };

      sample (&f, "", labels, "1");
    }
  }
  family_free (&f);
}

static void
print_errors_by_errno (struct json_object *exports)
{
  size_t n = json_object_array_length (exports);
  struct family f;
  char value[64];

  family_init (&f, "export_errors_total", "counter",
               "Cache requests that completed with an error, by errno.");
  for (size_t i = 0; i < n; i++) {
    struct json_object *e = json_object_array_get_idx (exports, i);
    const char *name = json_member_string (e, "name");
    struct json_object *errors = json_member (e, "errors_by_errno");

    if (name == NULL || !json_object_is_type (errors, json_type_object))
      continue;
    json_object_object_foreach (errors, errname, v) {
      const char *labels[] = { "export", name, "errno", errname, NULL };

      if (json_object_is_type (v, json_type_int) &&
          value_text (v, value, sizeof value))
        sample (&f, "", labels, value);
    }
  }
  family_free (&f);
}

/* One export's latency histogram: cumulative buckets, then the sum in
 * seconds and the count.  The count is the +Inf bucket, so that the
 * two agree as the format requires.
 */
static void
print_histogram (struct family *f, const char *name,
                 const struct histogram *hist)
{
  const char *labels[] = { "export", name, NULL };
  uint64_t cumulative = 0;
  char le[32], value[32];

  for (size_t b = 0; b <= hist->nbounds; b++) {
    const char *bucket_labels[] = { "export", name, "le", le, NULL };

    cumulative += histogram_count (hist, b);
    if (b < hist->nbounds)
      seconds_text (histogram_bound (hist, b), le, sizeof le);
    else
      snprintf (le, sizeof le, "+Inf");
    u64_text (cumulative, value, sizeof value);
    sample (f, "_bucket", bucket_labels, value);
  }
  seconds_text (hist->sum_us, value, sizeof value);
  sample (f, "_sum", labels, value);
  u64_text (cumulative, value, sizeof value);
  sample (f, "_count", labels, value);
}

static void
print_latency (struct json_object *exports)
{
  size_t n = json_object_array_length (exports);
  struct histogram hist;
  struct family f;

  family_init (&f, "request_duration_seconds", "histogram",
               "Time from accepting a cache request to its completion.");
  for (size_t i = 0; i < n; i++) {
    struct json_object *e = json_object_array_get_idx (exports, i);
    const char *name = json_member_string (e, "name");

    if (name && histogram_get (json_member (e, "latency"), &hist))
      print_histogram (&f, name, &hist);
  }
  family_free (&f);
}

int
render_prometheus (struct json_object *stats)
{
  struct json_object *exports = json_member (stats, "exports");

  print_globals (stats);
  if (json_object_is_type (exports, json_type_array)) {
    print_export_scalars (exports);
    print_states (exports);
    print_errors_by_errno (exports);
    print_latency (exports);
  }
  return EXIT_SUCCESS;
}
