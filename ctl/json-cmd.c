/* nbdcachectl: the common shape of "exports", "clients" and "stats".
 *
 * Each fetches one JSON document from the daemon, then prints it
 * either as it is (--json, for scripts), or rendered for a human, or
 * (stats --prometheus) for a metrics scraper.  Whatever the format, a
 * list the daemon cut short to fit its reply in one message is
 * reported on stderr, so that no table silently lacks rows.
 */
#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cleanup.h"
#include "ctl.h"
#include "protocol.h"

enum output_format { OUTPUT_HUMAN, OUTPUT_JSON, OUTPUT_PROMETHEUS };

/* The options given, for parse_args. */
struct json_options {
  bool json, prometheus;
};

/* Note --json or --prometheus in OPTS (an option_fn). */
static void
note_json_option (int opt, const char *arg, void *opts)
{
  struct json_options *o = opts;

  if (opt == 'j')
    o->json = true;
  else
    o->prometheus = true;
}

/* Parse [--json | --prometheus] [--help], --prometheus only if JC
 * offers it, and no operand.  Returns KEEP_GOING, or an exit status.
 */
static int
parse_json_options (const struct command *cmd, const struct json_command *jc,
                    int argc, char **argv, enum output_format *format)
{
  static const struct option json_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "json", no_argument, NULL, 'j' },
    { NULL, 0, NULL, 0 }
  };
  static const struct option prometheus_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "json", no_argument, NULL, 'j' },
    { "prometheus", no_argument, NULL, 'p' },
    { NULL, 0, NULL, 0 }
  };
  static const char *const no_operands[] = { NULL };
  const struct option *long_options =
    jc->render_prometheus ? prometheus_options : json_options;
  struct json_options o = { .json = false };
  struct operands ops;
  int r;

  r = parse_args (cmd, argc, argv, long_options, note_json_option, &o, &ops);
  if (r == KEEP_GOING)
    r = expect_operands (cmd, &ops, no_operands);
  if (r != KEEP_GOING)
    return r;
  if (o.json && o.prometheus)
    return usage_error (cmd, "--json and --prometheus are mutually exclusive");
  *format = o.json ? OUTPUT_JSON :
    o.prometheus ? OUTPUT_PROMETHEUS : OUTPUT_HUMAN;
  return KEEP_GOING;
}

/* Ask the daemon with JC->fetch, for CMD.  Returns the JSON text,
 * which the caller frees, or reports the error and returns NULL.
 */
static char *
fetch_reply (const struct command *cmd, const struct json_command *jc)
{
  struct nbdcache_handle *h;
  char *text;

  h = connect_daemon (NULL);
  if (h == NULL)
    return NULL;
  deadline_waiting_for ("waiting for the daemon's reply to %s", cmd->name);
  text = jc->fetch (h);
  if (text == NULL)
    library_error ();
  disconnect_daemon (h);
  return text;
}

/* Parse TEXT.  Returns a new json-c reference, or reports the error
 * and returns NULL.
 */
static struct json_object *
parse_reply (const struct command *cmd, const char *text)
{
  enum json_tokener_error jerr;
  struct json_object *reply;

  reply = json_tokener_parse_verbose (text, &jerr);
  if (reply == NULL)
    error_msg ("%s: the daemon sent invalid JSON: %s",
               cmd->name, json_tokener_error_desc (jerr));
  return reply;
}

/* Say on stderr how many entries the daemon left out of each list of
 * REPLY that JC names, if any: the table or JSON printed lacks them.
 * This is no failure; the daemon has no way to send the rest.
 */
static void
warn_omitted (const struct command *cmd, const struct json_command *jc,
              struct json_object *reply)
{
  for (size_t i = 0; i < JSON_MAX_LISTS && jc->lists[i].key; i++) {
    const struct json_list *l = &jc->lists[i];
    struct json_object *list = json_member (reply, l->key);
    uint64_t omitted, shown = 0;

    if (!json_member_u64 (reply, l->omitted_key, &omitted) || omitted == 0)
      continue;
    if (json_object_is_type (list, json_type_array))
      shown = json_object_array_length (list);
    error_msg ("%s: the daemon left %" PRIu64 " of %" PRIu64 " %s out of "
               "its reply (a reply holds at most %d KiB)",
               cmd->name, omitted, shown + omitted, l->noun,
               NBDC_MAX_MESSAGE / 1024);
  }
}

/* Run CMD, a command with JSON output described by JC, with the
 * subcommand arguments ARGC, ARGV.  Returns the exit status.
 */
int
run_json_command (const struct command *cmd, const struct json_command *jc,
                  int argc, char **argv)
{
  CLEANUP_FREE char *text = NULL;
  CLEANUP_JSON_PUT struct json_object *reply = NULL;
  struct json_object *shown;
  enum output_format format = OUTPUT_HUMAN;
  int r;

  r = parse_json_options (cmd, jc, argc, argv, &format);
  if (r != KEEP_GOING)
    return r;

  text = fetch_reply (cmd, jc);
  if (text == NULL)
    return EXIT_FAILURE;
  reply = parse_reply (cmd, text);
  if (reply == NULL)
    return EXIT_FAILURE;
  /* The library checked that the member is there. */
  shown = jc->member ? json_member (reply, jc->member) : reply;
  warn_omitted (cmd, jc, reply);

  /* --json passes on whatever the daemon said, newer shapes too. */
  if (format == OUTPUT_JSON) {
    print_json_pretty (shown, stdout);
    return EXIT_SUCCESS;
  }
  if (!json_object_is_type (shown, jc->type)) {
    error_msg ("%s: the daemon's %s is not a JSON %s", cmd->name,
               jc->member ? jc->member : "reply",
               json_type_to_name (jc->type));
    return EXIT_FAILURE;
  }
  if (format == OUTPUT_PROMETHEUS)
    return jc->render_prometheus (reply);
  return jc->render (shown);
}
