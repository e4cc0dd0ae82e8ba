/* nbdcachectl: the "warm" command, warming a whole export. */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "human-size.h"

#define DEFAULT_REQUEST_SIZE (UINT64_C (64) << 20)
#define DEFAULT_IN_FLIGHT 8
#define MAX_IN_FLIGHT 1024

enum { OPT_NO_PROGRESS = 256, OPT_REQUEST_SIZE, OPT_IN_FLIGHT };

/* Parse the options of warm into W and *NO_PROGRESS.  Returns
 * KEEP_GOING with argv[optind] the export name, or an exit status.
 */
static int
parse_warm_options (const struct command *cmd, int argc, char **argv,
                    struct warm *w, bool *no_progress)
{
  static const struct option long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "in-flight", required_argument, NULL, OPT_IN_FLIGHT },
    { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
    { "request-size", required_argument, NULL, OPT_REQUEST_SIZE },
    { NULL, 0, NULL, 0 }
  };
  int c;

  while ((c = getopt_long (argc, argv, "h", long_options, NULL)) != -1) {
    switch (c) {
    case 'h':
      command_help (cmd);
      return EXIT_SUCCESS;
    case OPT_IN_FLIGHT:
      if (parse_count_arg (cmd, "--in-flight", optarg, 1, MAX_IN_FLIGHT,
                           &w->max_in_flight) == -1)
        return EXIT_USAGE;
      break;
    case OPT_NO_PROGRESS:
      *no_progress = true;
      break;
    case OPT_REQUEST_SIZE:
      if (parse_size_arg (cmd, "--request-size", optarg,
                          &w->request_size) == -1)
        return EXIT_USAGE;
      if (w->request_size == 0)
        return usage_error (cmd, "--request-size must not be 0");
      break;
    default:
      return try_help (cmd);
    }
  }
  if (argc - optind != 1)
    return usage_error (cmd, "expected one EXPORT");
  return KEEP_GOING;
}

static void
print_summary (const char *export_name, const struct warm *w)
{
  char size_s[HUMAN_SIZE_LEN], rate_s[HUMAN_SIZE_LEN];
  double rate = w->elapsed > 0 ? (double) w->done / w->elapsed : 0;

  printf ("warmed %s: %s in %.2fs (%s/s)\n", export_name,
          format_human_size (w->done, size_s, sizeof size_s), w->elapsed,
          format_human_size ((uint64_t) rate, rate_s, sizeof rate_s));
}

/* Connect, warm and close.  Returns 0, or reports the error and
 * returns -1.
 */
static int
warm_export (const char *export_name, struct warm *w, bool no_progress)
{
  struct nbdcache_handle *h;
  struct progress p;
  int64_t size;
  int r;

  h = connect_daemon (export_name);
  if (h == NULL)
    return -1;
  size = nbdcache_get_size (h);
  if (size < 0) {
    library_error ();
    nbdcache_close (h);
    return -1;
  }
  w->size = (uint64_t) size;
  progress_init (&p, !no_progress && isatty (STDERR_FILENO), w->size);
  r = warm_run (h, w, &p);
  /* Callbacks of requests left in flight may run here: W is alive. */
  nbdcache_close (h);
  if (r == -1)
    error_msg ("%s", w->error);
  return r;
}

static int
run_warm (const struct command *cmd, int argc, char **argv)
{
  struct warm w = {
    .request_size = DEFAULT_REQUEST_SIZE,
    .max_in_flight = DEFAULT_IN_FLIGHT,
  };
  bool no_progress = false;
  const char *export_name;
  int r;

  r = parse_warm_options (cmd, argc, argv, &w, &no_progress);
  if (r != KEEP_GOING)
    return r;
  export_name = argv[optind];

  r = warm_export (export_name, &w, no_progress);
  if (r == 0)
    print_summary (export_name, &w);
  warm_free (&w);
  return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const struct command warm_command = {
  .name = "warm",
  .synopsis = "EXPORT [OPTIONS]",
  .summary = "Warm a whole export, with a progress bar",
  .options =
  "      --no-progress        no progress bar on stderr\n"
  "      --request-size SIZE  bytes per request (default 64M)\n"
  "      --in-flight N        requests outstanding at once, 1 to 1024\n"
  "                           (default 8)\n"
  "  -h, --help               print this help and exit\n",
  .run = run_warm,
};
