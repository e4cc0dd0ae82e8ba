/* nbdcachectl: the "stats" command, the daemon's counters for a human.
 *
 * Nothing here knows the names of the counters.  The top-level
 * members print as "key: value" lines (nested objects as dotted
 * keys); each top-level array of objects, such as "exports", prints
 * as a table whose columns are the union of its elements' members,
 * "name" first.  A counter the daemon adds later therefore shows up
 * by itself.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

DEFINE_VECTOR_TYPE (key_vector, const char *)

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

/* Print the array of objects ARR, the member KEY, as a table. */
static void
render_array (const char *key, struct json_object *arr)
{
  size_t n = json_object_array_length (arr);
  leaves *rows;
  key_vector cols;
  struct table t;

  if (n == 0) {
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

static int
render_stats (struct json_object *stats)
{
  bool printed = render_scalars (stats);

  json_object_object_foreach (stats, key, v) {
    if (is_table_array (v)) {
      if (printed)
        putchar ('\n');
      render_array (key, v);
      printed = true;
    }
  }
  return EXIT_SUCCESS;
}

static int
run_stats (const struct command *cmd, int argc, char **argv)
{
  static const struct json_command jc = {
    .fetch = nbdcache_get_stats_json,
    .type = json_type_object,
    .render = render_stats,
  };

  return run_json_command (cmd, &jc, argc, argv);
}

const struct command stats_command = {
  .name = "stats",
  .synopsis = "[--json]",
  .summary = "Show the daemon's statistics",
  .options =
  "      --json   print the daemon's JSON, indented, instead of a summary\n"
  "  -h, --help   print this help and exit\n",
  .run = run_stats,
};
