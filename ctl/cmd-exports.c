/* nbdcachectl: the "exports" command, a table of the daemon's exports. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "human-size.h"

static const char *const headers[] = {
  "NAME", "STATE", "SIZE", "CACHE", "MULTI-CONN",
  "BLOCK(min/pref/max)", "CONNS(up/configured)",
};
#define NR_COLUMNS (sizeof headers / sizeof headers[0])
#define SIZE_COLUMN 2

/* The integer member KEY of OBJ as a size ("4K"), or "-". */
static const char *
size_text (struct json_object *obj, const char *key, char *buf, size_t len)
{
  uint64_t v;

  if (!json_member_u64 (obj, key, &v))
    return "-";
  return format_human_size (v, buf, len);
}

/* The integer member KEY of OBJ in decimal, or "-". */
static const char *
count_text (struct json_object *obj, const char *key, char *buf, size_t len)
{
  uint64_t v;

  if (!json_member_u64 (obj, key, &v))
    return "-";
  snprintf (buf, len, "%" PRIu64, v);
  return buf;
}

static const char *
bool_text (struct json_object *obj, const char *key)
{
  bool v;

  if (!json_member_bool (obj, key, &v))
    return "-";
  return v ? "yes" : "no";
}

/* "min/pref/max", or "-" while the export has never connected. */
static void
add_block_size (struct table *t, struct json_object *e)
{
  struct json_object *bs = json_member (e, "block_size");
  char min[HUMAN_SIZE_LEN], pref[HUMAN_SIZE_LEN], max[HUMAN_SIZE_LEN];

  if (bs == NULL) {
    table_add (t, NULL);
    return;
  }
  table_addf (t, "%s/%s/%s",
              size_text (bs, "minimum", min, sizeof min),
              size_text (bs, "preferred", pref, sizeof pref),
              size_text (bs, "maximum", max, sizeof max));
}

static void
add_connections (struct table *t, struct json_object *e)
{
  struct json_object *c = json_member (e, "connections");
  char up[HUMAN_SIZE_LEN], configured[HUMAN_SIZE_LEN];

  if (c == NULL) {
    table_add (t, NULL);
    return;
  }
  table_addf (t, "%s/%s",
              count_text (c, "up", up, sizeof up),
              count_text (c, "configured", configured, sizeof configured));
}

/* The state, with ",paused" after it while the export is paused. */
static void
add_state (struct table *t, struct json_object *e)
{
  const char *state = json_member_string (e, "state");
  bool paused;

  if (state && json_member_bool (e, "paused", &paused) && paused)
    table_addf (t, "%s,paused", state);
  else
    table_add (t, state);
}

static void
add_export (struct table *t, struct json_object *e)
{
  char size[HUMAN_SIZE_LEN];

  table_add (t, json_member_string (e, "name"));
  add_state (t, e);
  table_add (t, size_text (e, "size", size, sizeof size));
  table_add (t, bool_text (e, "can_cache"));
  table_add (t, bool_text (e, "can_multi_conn"));
  add_block_size (t, e);
  add_connections (t, e);
}

/* After the table, "NAME: STATE: REASON" for each export the daemon
 * says is not up and why (it tells root and its own user only).
 */
static void
print_reasons (struct json_object *exports)
{
  size_t n = json_object_array_length (exports);
  bool first = true;

  for (size_t i = 0; i < n; i++) {
    struct json_object *e = json_object_array_get_idx (exports, i);
    const char *reason = json_member_string (e, "reason");
    const char *name = json_member_string (e, "name");
    const char *state = json_member_string (e, "state");

    if (reason == NULL || name == NULL || state == NULL)
      continue;
    if (first)
      putchar ('\n');
    first = false;
    printf ("%s: %s: %s\n", name, state, reason);
  }
}

/* Print the array EXPORTS as a table, one row per export, then the
 * reasons of those that are not up.
 */
static int
render_exports (struct json_object *exports)
{
  struct table t;
  size_t n = json_object_array_length (exports);

  table_init (&t, NR_COLUMNS);
  table_align_right (&t, SIZE_COLUMN);
  for (size_t i = 0; i < NR_COLUMNS; i++)
    table_add (&t, headers[i]);
  for (size_t i = 0; i < n; i++)
    add_export (&t, json_object_array_get_idx (exports, i));
  table_print (&t, stdout);
  table_free (&t);
  print_reasons (exports);
  return EXIT_SUCCESS;
}

static int
run_exports (const struct command *cmd, int argc, char **argv)
{
  static const struct json_command jc = {
    .fetch = nbdcache_get_exports_reply_json,
    .member = "exports",
    .type = json_type_array,
    .render = render_exports,
    .lists = { { "exports", "exports_omitted", "exports" } },
  };

  return run_json_command (cmd, &jc, argc, argv);
}

const struct command exports_command = {
  .name = "exports",
  .synopsis = "[--json]",
  .summary = "List the exports the daemon serves",
  .options =
  "      --json   print the daemon's JSON, indented, instead of a table\n"
  HELP_OPTION,
  .run = run_exports,
};
