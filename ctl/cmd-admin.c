/* nbdcachectl: the admin commands "pause", "resume" and "reload".
 *
 * Each is one request that the daemon answers with ok or an error;
 * nothing is printed on success.  The daemon allows them only to root
 * and to its own user.
 */
#include <config.h>

#include <stdlib.h>

#include "ctl.h"

/* One library call; EXPORT_NAME is NULL for calls without one. */
typedef int (*admin_call) (struct nbdcache_handle *h,
                           const char *export_name);

static const char *const export_operand[] = { "EXPORT", NULL };
static const char *const no_operands[] = { NULL };

/* Run CMD, which takes the operand EXPORT or (TAKES_EXPORT false)
 * none, by CALL.
 */
static int
run_admin (const struct command *cmd, int argc, char **argv,
           bool takes_export, admin_call call)
{
  struct nbdcache_handle *h;
  struct operands ops;
  int r;

  r = parse_args (cmd, argc, argv, NULL, NULL, NULL, &ops);
  if (r == KEEP_GOING)
    r = expect_operands (cmd, &ops,
                         takes_export ? export_operand : no_operands);
  if (r != KEEP_GOING)
    return r;

  h = connect_daemon (NULL);
  if (h == NULL)
    return EXIT_FAILURE;
  r = EXIT_SUCCESS;
  deadline_waiting_for ("waiting for the daemon's reply to %s", cmd->name);
  if (call (h, takes_export ? ops.arg[0] : NULL) == -1)
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
  return run_admin (cmd, argc, argv, true, nbdcache_pause_export);
}

static int
run_resume (const struct command *cmd, int argc, char **argv)
{
  return run_admin (cmd, argc, argv, true, nbdcache_resume_export);
}

static int
run_reload (const struct command *cmd, int argc, char **argv)
{
  return run_admin (cmd, argc, argv, false, reload);
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
