/* nbdcachectl: the "clients" command, the daemon's connected clients. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

/* The columns, and the client members they show. */
static const struct {
  const char *header;
  const char *key;
  bool number;
} columns[] = {
  { "ID", "id", true },
  { "PID", "pid", true },
  { "UID", "uid", true },
  { "NAME", "name", false },
  { "REQUESTS", "requests", true },
  { "IN-FLIGHT", "in_flight", true },
  { "QUEUED", "queued", true },
  { "HELD", "held", false },
};
#define NR_COLUMNS (sizeof columns / sizeof columns[0])

static void
add_client (struct table *t, struct json_object *client)
{
  for (size_t c = 0; c < NR_COLUMNS; c++) {
    uint64_t v;

    if (!columns[c].number)
      table_add (t, json_member_string (client, columns[c].key));
    else if (json_member_u64 (client, columns[c].key, &v))
      table_addf (t, "%" PRIu64, v);
    else
      table_add (t, NULL);
  }
}

/* Print the array CLIENTS as a table, one row per client. */
static int
render_clients (struct json_object *clients)
{
  size_t n = json_object_array_length (clients);
  struct table t;

  table_init (&t, NR_COLUMNS);
  for (size_t c = 0; c < NR_COLUMNS; c++) {
    table_add (&t, columns[c].header);
    if (columns[c].number)
      table_align_right (&t, c);
  }
  for (size_t i = 0; i < n; i++)
    add_client (&t, json_object_array_get_idx (clients, i));
  table_print (&t, stdout);
  table_free (&t);
  return EXIT_SUCCESS;
}

static int
run_clients (const struct command *cmd, int argc, char **argv)
{
  static const struct json_command jc = {
    .fetch = nbdcache_get_clients_reply_json,
    .member = "clients",
    .type = json_type_array,
    .render = render_clients,
    .lists = { { "clients", "clients_omitted", "clients" } },
  };

  return run_json_command (cmd, &jc, argc, argv);
}

const struct command clients_command = {
  .name = "clients",
  .synopsis = "[--json]",
  .summary = "List the clients of the daemon (admin)",
  .options =
  "      --json   print the daemon's JSON, indented, instead of a table\n"
  HELP_OPTION,
  .run = run_clients,
};
