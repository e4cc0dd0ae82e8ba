/* nbdcachectl: the "stats" command, the daemon's counters for a human.
 *
 * Nothing here knows the names of the counters.  The top-level
 * members print as "key: value" lines (nested objects as dotted
 * keys); each top-level array of objects, such as "exports", prints
 * as a table whose columns are the union of its elements' members,
 * "name" first.  A counter the daemon adds later therefore shows up
 * by itself.  Histograms, whatever their name, are summarised as
 * their count, mean and 99th percentile.  --prometheus is in
 * prometheus.c.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

DEFINE_VECTOR_TYPE (key_vector, const char *)
DEFINE_VECTOR_TYPE (object_vector, struct json_object *)

/* Whether V is an array of objects (possibly empty), shown as a table. */
static bool
is_table_array (struct json_object *v)
{
  size_t n;

  if (!json_object_is_type (v, json_type_array))
    return false;
  n = json_object_array_length (v);
  for (size_t i = 0; i < n; i++)
    if (!json_object_is_type (json_object_array_get_idx (v, i),
                              json_type_object))
      return false;
  return true;
}

/* Whether KEY counts bytes, so that its value reads best as "1.5G":
 * one of its "_" or "." separated words is "bytes" or "size".
 */
static bool
is_size_key (const char *key)
{
  while (*key) {
    size_t len = strcspn (key, "_.");

    if ((len == 5 && strncmp (key, "bytes", 5) == 0) ||
        (len == 4 && strncmp (key, "size", 4) == 0))
      return true;
    key += len;
    key += strspn (key, "_.");
  }
  return false;
}

/* Print the leaves of STATS other than table arrays as aligned
 * "key: value" lines.  Returns whether anything was printed.
 */
static bool
render_scalars (struct json_object *stats)
{
  leaves l = { .ptr = NULL };
  struct table t;
  bool any;

  json_object_object_foreach (stats, key, v)
    if (!is_table_array (v))
      flatten_member (&l, NULL, key, v);

  table_init (&t, 2);
  for (size_t i = 0; i < l.len; i++) {
    table_addf (&t, "%s:", l.ptr[i].key);
    table_add_owned (&t, json_value_text (l.ptr[i].value,
                                          is_size_key (l.ptr[i].key)));
  }
  table_print (&t, stdout);
  any = l.len > 0;
  table_free (&t);
  leaves_free (&l);
  return any;
}

static void
add_column (key_vector *cols, const char *key)
{
  for (size_t i = 0; i < cols->len; i++)
    if (strcmp (cols->ptr[i], key) == 0)
      return;
  if (key_vector_append (cols, key) == -1)
    out_of_memory ();
}

/* The columns of a table of ROWS: "name" if any row has it, then
 * every other key in the order it first appears.  The keys are
 * borrowed from ROWS.
 */
static key_vector
collect_columns (const leaves *rows, size_t n)
{
  key_vector cols = { .ptr = NULL };

  for (size_t r = 0; r < n; r++)
    for (size_t i = 0; i < rows[r].len; i++)
      if (strcmp (rows[r].ptr[i].key, "name") == 0)
        add_column (&cols, "name");
  for (size_t r = 0; r < n; r++)
    for (size_t i = 0; i < rows[r].len; i++)
      add_column (&cols, rows[r].ptr[i].key);
  return cols;
}

/* Fill T from ROWS under the headers COLS.  A column is aligned to
 * the right when all its values are numbers.
 */
static void
fill_table (struct table *t, const key_vector *cols,
            const leaves *rows, size_t n)
{
  for (size_t c = 0; c < cols->len; c++) {
    bool numeric = true;

    table_add (t, cols->ptr[c]);
    for (size_t r = 0; r < n; r++) {
      struct json_object *v = leaves_find (&rows[r], cols->ptr[c]);

      if (v && !json_is_number (v))
        numeric = false;
    }
    if (numeric)
      table_align_right (t, c);
  }
  for (size_t r = 0; r < n; r++)
    for (size_t c = 0; c < cols->len; c++)
      table_add_owned (t, json_value_text (leaves_find (&rows[r],
                                                        cols->ptr[c]),
                                           is_size_key (cols->ptr[c])));
}

/* Print the array of objects ARR, the member KEY, as a table.  An
 * empty one is "none", unless the daemon left OMITTED entries out of
 * its reply (a line on stderr says so too).
 */
static void
render_array (const char *key, struct json_object *arr, int64_t omitted)
{
  size_t n = json_object_array_length (arr);
  leaves *rows;
  key_vector cols;
  struct table t;

  if (n == 0) {
    if (omitted > 0)
      printf ("%s: none in the reply, which left %" PRIi64 " out\n",
              key, omitted);
    else
      printf ("%s: none\n", key);
    return;
  }
  rows = calloc (n, sizeof *rows);
  if (rows == NULL)
    out_of_memory ();
  for (size_t r = 0; r < n; r++)
    flatten_object (&rows[r], NULL, json_object_array_get_idx (arr, r));
  cols = collect_columns (rows, n);

  printf ("%s:\n", key);
  table_init (&t, cols.len);
  fill_table (&t, &cols, rows, n);
  table_print (&t, stdout);

  table_free (&t);
  key_vector_reset (&cols);
  for (size_t r = 0; r < n; r++)
    leaves_free (&rows[r]);
  free (rows);
}

/* US microseconds as "250us", "1.5ms" or "2.5s". */
static char *
duration_text (double us)
{
  char *s;
  int r;

  if (us < 1000)
    r = asprintf (&s, "%.0fus", us);
  else if (us < 1000000)
    r = asprintf (&s, "%.3gms", us / 1000);
  else
    r = asprintf (&s, "%.3gs", us / 1000000);
  if (r == -1)
    out_of_memory ();
  return s;
}

/* The bound of the bucket holding the 99th percentile of HIST, which
 * holds TOTAL > 0 values: "<=5ms", or ">10s" above every bound.
 */
static char *
p99_text (const struct histogram *hist, uint64_t total)
{
  uint64_t rank = total - total / 100, cumulative = 0;
  bool above = true;
  char *bound, *s;
  size_t b;

  for (b = 0; b < hist->nbounds && above; b++) {
    cumulative += histogram_count (hist, b);
    above = cumulative < rank;
  }
  /* B is one past the bucket found, or nbounds for the last bound. */
  bound = duration_text ((double) histogram_bound (hist, b - 1));
  if (asprintf (&s, "%s%s", above ? ">" : "<=", bound) == -1)
    out_of_memory ();
  free (bound);
  return s;
}

/* A histogram as {"count": N, "mean": "1.2ms", "p99": "<=5ms"}. */
static struct json_object *
summarise_histogram (const struct histogram *hist)
{
  struct json_object *summary = json_object_new_object ();
  uint64_t total = histogram_total (hist);
  char *mean, *p99;

  if (summary == NULL)
    out_of_memory ();
  json_object_object_add (summary, "count", json_object_new_uint64 (total));
  if (total > 0 && hist->nbounds > 0) {
    mean = duration_text ((double) hist->sum_us / (double) total);
    p99 = p99_text (hist, total);
    json_object_object_add (summary, "mean", json_object_new_string (mean));
    json_object_object_add (summary, "p99", json_object_new_string (p99));
    free (mean);
    free (p99);
  }
  return summary;
}

static void
push_object (object_vector *v, struct json_object *obj)
{
  if (object_vector_append (v, obj) == -1)
    out_of_memory ();
}

/* Replace every histogram in OBJ, and in the objects and arrays of
 * objects it holds, by its summary.
 */
static void
summarise_histograms (struct json_object *obj)
{
  object_vector inner = { .ptr = NULL };
  struct histogram hist;

  json_object_object_foreach (obj, key, v) {
    if (histogram_get (v, &hist))
      /* Replacing the value of an existing key keeps the iteration
       * valid; V is not used again.
       */
      json_object_object_add (obj, key, summarise_histogram (&hist));
    else if (json_object_is_type (v, json_type_object))
      push_object (&inner, v);
    else if (is_table_array (v))
      for (size_t i = 0; i < json_object_array_length (v); i++)
        push_object (&inner, json_object_array_get_idx (v, i));
  }
  for (size_t i = 0; i < inner.len; i++)
    summarise_histograms (inner.ptr[i]);
  object_vector_reset (&inner);
}

/* The lists of a stats reply that may be cut short. */
static const struct json_list stats_lists[] = {
  { "exports", "exports_omitted", "exports" },
  { "client_list", "clients_omitted", "clients" },
};

/* How many entries of the list KEY the reply STATS left out. */
static int64_t
omitted_from (struct json_object *stats, const char *key)
{
  struct json_object *count;

  for (size_t i = 0; i < sizeof stats_lists / sizeof stats_lists[0]; i++)
    if (strcmp (stats_lists[i].key, key) == 0 &&
        json_object_object_get_ex (stats, stats_lists[i].omitted_key,
                                   &count))
      return json_object_get_int64 (count);
  return 0;
}

static int
render_stats (struct json_object *stats)
{
  bool printed;

  summarise_histograms (stats);
  printed = render_scalars (stats);

  json_object_object_foreach (stats, key, v) {
    if (is_table_array (v)) {
      if (printed)
        putchar ('\n');
      render_array (key, v, omitted_from (stats, key));
      printed = true;
    }
  }
  return EXIT_SUCCESS;
}

static int
run_stats (const struct command *cmd, int argc, char **argv)
{
  const struct json_command jc = {   /* not static: it copies stats_lists */
    .fetch = nbdcache_get_stats_json,
    .type = json_type_object,
    .render = render_stats,
    .render_prometheus = render_prometheus,
    .lists = { stats_lists[0], stats_lists[1] },
  };

  return run_json_command (cmd, &jc, argc, argv);
}

const struct command stats_command = {
  .name = "stats",
  .synopsis = "[--json|--prometheus]",
  .summary = "Show the daemon's statistics",
  .options =
  "      --json         print the daemon's JSON, indented, instead of a\n"
  "                     summary\n"
  "      --prometheus   print them in the Prometheus text format\n"
  "  -h, --help         print this help and exit\n",
  .run = run_stats,
};
