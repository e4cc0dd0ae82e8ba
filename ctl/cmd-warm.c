/* nbdcachectl: the "warm" command, warming a whole export or the
 * ranges of a manifest.
 */
#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "human-size.h"

#define DEFAULT_REQUEST_SIZE (UINT64_C (64) << 20)
#define DEFAULT_IN_FLIGHT 8
#define MAX_IN_FLIGHT 1024

enum {
  OPT_NO_PROGRESS = 256, OPT_REQUEST_SIZE, OPT_IN_FLIGHT, OPT_MANIFEST,
};

struct warm_options {
  bool no_progress;
  const char *manifest;         /* --manifest FILE, or NULL */
  const char *export_name;      /* the operand, without --manifest */
  /* The values as given, checked after parse_args. */
  const char *in_flight, *request_size;
};

/* Note an option of warm in OPTS (an option_fn). */
static void
note_warm_option (int opt, const char *arg, void *opts)
{
  struct warm_options *o = opts;

  switch (opt) {
  case OPT_IN_FLIGHT: o->in_flight = arg; break;
  case OPT_MANIFEST: o->manifest = arg; break;
  case OPT_NO_PROGRESS: o->no_progress = true; break;
  case OPT_REQUEST_SIZE: o->request_size = arg; break;
  }
}

/* Check the values of the options in OPTS into W.  Returns KEEP_GOING,
 * or EXIT_USAGE after reporting the bad one.
 */
static int
check_warm_values (const struct command *cmd,
                   const struct warm_options *opts, struct warm *w)
{
  if (opts->manifest && opts->manifest[0] == '\0')
    return usage_error (cmd, "--manifest: the file name is empty");
  if (opts->in_flight &&
      parse_count_arg (cmd, "--in-flight", opts->in_flight, 1,
                       MAX_IN_FLIGHT, &w->max_in_flight) == -1)
    return EXIT_USAGE;
  if (opts->request_size) {
    if (parse_size_arg (cmd, "--request-size", opts->request_size,
                        &w->request_size) == -1)
      return EXIT_USAGE;
    if (w->request_size == 0)
      return usage_error (cmd, "--request-size '%s': must not be 0",
                          opts->request_size);
  }
  return KEEP_GOING;
}

/* Parse the arguments of warm into W and *OPTS.  Returns KEEP_GOING,
 * or an exit status.
 */
static int
parse_warm_options (const struct command *cmd, int argc, char **argv,
                    struct warm *w, struct warm_options *opts)
{
  static const struct option long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "in-flight", required_argument, NULL, OPT_IN_FLIGHT },
    { "manifest", required_argument, NULL, OPT_MANIFEST },
    { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
    { "request-size", required_argument, NULL, OPT_REQUEST_SIZE },
    { NULL, 0, NULL, 0 }
  };
  static const char *const export_operand[] = { "EXPORT", NULL };
  struct operands ops;
  int r;

  r = parse_args (cmd, argc, argv, long_options, note_warm_option, opts,
                  &ops);
  if (r == KEEP_GOING)
    r = check_warm_values (cmd, opts, w);
  if (r != KEEP_GOING)
    return r;
  if (opts->manifest && ops.n > 0)
    return usage_error (cmd, "--manifest replaces EXPORT: unexpected '%s'",
                        ops.arg[0]);
  if (opts->manifest)
    return KEEP_GOING;
  if (ops.n == 0)
    return usage_error (cmd, "missing EXPORT, or --manifest FILE");
  r = expect_operands (cmd, &ops, export_operand);
  if (r == KEEP_GOING)
    opts->export_name = ops.arg[0];
  return r;
}

/* "SIZE in SECONDS (RATE/s)" of DONE bytes. */
static void
print_amount (uint64_t done, double elapsed)
{
  char size_s[HUMAN_SIZE_LEN], rate_s[HUMAN_SIZE_LEN];
  double rate = elapsed > 0 ? (double) done / elapsed : 0;

  printf ("%s in %.2fs (%s/s)",
          format_human_size (done, size_s, sizeof size_s), elapsed,
          format_human_size ((uint64_t) rate, rate_s, sizeof rate_s));
}

static const char *
plural (size_t n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

/* Report every failed entry of a manifest on stderr, as
 * "FILE:LINE: export "NAME" [offset O count C]: ERROR".  If the run
 * stopped (the connection to the daemon was lost), its error comes
 * first, once, and the entries it cut short say only "not warmed".
 */
static void
report_failures (const struct warm *w, const char *name)
{
  if (w->error)
    error_msg ("%s", w->error);
  for (size_t i = 0; i < w->entries.len; i++) {
    const struct warm_entry *e = &w->entries.ptr[i];
    const char *error = warm_entry_error (w, e);
    char range[64] = "";

    if (error == NULL)
      continue;
    if (warm_entry_cut_short (w, e))
      error = "not warmed";
    if (!e->whole)
      snprintf (range, sizeof range, " offset %" PRIu64 " count %" PRIu64,
                e->offset, e->count);
    error_msg ("%s:%lu: export \"%s\"%s: %s", name, e->line,
               w->exports.ptr[e->export], range, error);
  }
}

/* A manifest's summary: a line per export, then the total. */
static void
print_manifest_summary (const struct warm *w)
{
  size_t ranges = 0, failed = 0;

  for (size_t x = 0; x < w->exports.len; x++) {
    size_t ok = 0, bad = 0;
    uint64_t done = 0;
    char size_s[HUMAN_SIZE_LEN];

    for (size_t i = 0; i < w->entries.len; i++) {
      const struct warm_entry *e = &w->entries.ptr[i];

      if (e->export != x)
        continue;
      done += e->done;
      if (warm_entry_error (w, e))
        bad++;
      else
        ok++;
    }
    printf ("  %s: %zu %s, %s", w->exports.ptr[x], ok,
            plural (ok, "range", "ranges"),
            format_human_size (done, size_s, sizeof size_s));
    printf (bad ? ", %zu failed\n" : "\n", bad);
    ranges += ok;
    failed += bad;
  }
  printf ("warmed %zu %s of %zu %s: ", ranges, plural (ranges, "range", "ranges"),
          w->exports.len, plural (w->exports.len, "export", "exports"));
  print_amount (w->done, w->elapsed);
  printf (failed ? ", %zu failed\n" : "\n", failed);
}

/* Connect, warm W's entries and close.  Returns 0 if all were warmed,
 * 1 if some failed (see warm_entry_error), or -1 if the daemon could
 * not be reached (already reported).
 */
static int
warm_all (struct warm *w, bool no_progress)
{
  struct nbdcache_handle *h;
  struct progress p;
  int r;

  h = connect_daemon (NULL);
  if (h == NULL)
    return -1;
  warm_resolve (h, w);
  progress_init (&p, !no_progress && isatty (STDERR_FILENO), w->total);
  r = warm_run (h, w, &p);
  /* Callbacks of requests left in flight may run here: W is alive. */
  disconnect_daemon (h);
  return r == 0 ? 0 : 1;
}

/* warm EXPORT: the whole export; the first error, or a one-line
 * summary.
 */
static int
warm_export (struct warm *w, const char *export_name, bool no_progress)
{
  int r;

  warm_add (w, export_name, true, 0, 0, 0);
  r = warm_all (w, no_progress);
  if (r == 1)
    error_msg ("%s", warm_entry_error (w, &w->entries.ptr[0]));
  if (r != 0)
    return EXIT_FAILURE;
  printf ("warmed %s: ", export_name);
  print_amount (w->done, w->elapsed);
  putchar ('\n');
  return EXIT_SUCCESS;
}

/* warm --manifest FILE: the failed entries and the summary. */
static int
warm_manifest (struct warm *w, const char *path, bool no_progress)
{
  int r;

  if (manifest_read (path, w) == -1)
    return EXIT_FAILURE;
  r = warm_all (w, no_progress);
  if (r == -1)
    return EXIT_FAILURE;
  report_failures (w, manifest_name (path));
  print_manifest_summary (w);
  return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
run_warm (const struct command *cmd, int argc, char **argv)
{
  struct warm w = {
    .request_size = DEFAULT_REQUEST_SIZE,
    .max_in_flight = DEFAULT_IN_FLIGHT,
  };
  struct warm_options opts = { .manifest = NULL };
  int r;

  r = parse_warm_options (cmd, argc, argv, &w, &opts);
  if (r != KEEP_GOING)
    return r;
  if (opts.manifest)
    r = warm_manifest (&w, opts.manifest, opts.no_progress);
  else
    r = warm_export (&w, opts.export_name, opts.no_progress);
  warm_free (&w);
  return r;
}

const struct command warm_command = {
  .name = "warm",
  .synopsis = "EXPORT|--manifest FILE",
  .summary = "Warm an export or a manifest's ranges",
  .options =
  "      --manifest FILE      warm the ranges FILE lists (JSON Lines,\n"
  "                           '-' for standard input) instead of EXPORT\n"
  "      --no-progress        no progress bar on stderr\n"
  "      --request-size SIZE  bytes per request (default 64M)\n"
  "      --in-flight N        requests outstanding at once, 1 to 1024\n"
  "                           (default 8)\n"
  "  -h, --help               print this help and exit\n",
  .run = run_warm,
};
