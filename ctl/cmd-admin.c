/* nbdcachectl: the admin commands "pause", "resume" and "reload".
 *
 * Each is one request that the daemon answers with ok or an error;
 * nothing is printed on success.  The daemon allows them only to root
 * and to its own user.
 */
#include <config.h>

#include <getopt.h>
#include <stdlib.h>

#include "ctl.h"

/* One library call; EXPORT_NAME is NULL for calls without one. */
typedef int (*admin_call) (struct nbdcache_handle *h,
                           const char *export_name);

/* Run CMD, which takes NARGS (0 or 1) operands, by CALL. */
static int
run_admin (const struct command *cmd, int argc, char **argv, int nargs,
           admin_call call)
{
  struct nbdcache_handle *h;
  int r;

  r = parse_no_options (cmd, argc, argv);
  if (r != KEEP_GOING)
    return r;
  if (argc - optind != nargs)
    return nargs ? usage_error (cmd, "expected one EXPORT")
      : usage_error (cmd, "unexpected argument '%s'", argv[optind]);

  h = connect_daemon (NULL);
  if (h == NULL)
    return EXIT_FAILURE;
  r = EXIT_SUCCESS;
  deadline_waiting_for ("waiting for the daemon's reply to %s", cmd->name);
  if (call (h, nargs ? argv[optind] : NULL) == -1)
    r = library_error ();
  disconnect_daemon (h);
  return r;
}

static int
reload (struct nbdcache_handle *h, const char *unused)
{
  return nbdcache_reload (h);
}

static int
run_pause (const struct command *cmd, int argc, char **argv)
{
  return run_admin (cmd, argc, argv, 1, nbdcache_pause_export);
}

static int
run_resume (const struct command *cmd, int argc, char **argv)
{
  return run_admin (cmd, argc, argv, 1, nbdcache_resume_export);
}

static int
run_reload (const struct command *cmd, int argc, char **argv)
{
  return run_admin (cmd, argc, argv, 0, reload);
}

const struct command pause_command = {
  .name = "pause",
  .synopsis = "EXPORT",
  .summary = "Hold back the cache commands of EXPORT (admin)",
  .options = HELP_OPTION,
  .run = run_pause,
};

const struct command resume_command = {
  .name = "resume",
  .synopsis = "EXPORT",
  .summary = "Let EXPORT's cache commands go again (admin)",
  .options = HELP_OPTION,
  .run = run_resume,
};

const struct command reload_command = {
  .name = "reload",
  .synopsis = "",
  .summary = "Make the daemon re-read its config (admin)",
  .options = HELP_OPTION,
  .run = run_reload,
};
