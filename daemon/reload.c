/* nbdcached: reloading the configuration (SIGHUP, or the admin
 * "reload" op).  Main thread only.
 *
 * The new file is read whole first; if it is invalid nothing changes.
 * Otherwise exports configured identically keep running untouched,
 * removed and changed ones finish their requests and close, new ones
 * start (exports_reload).  Daemon settings that only mean something
 * at start (socket, pid file, threads) keep their old values.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *config_path;
static char *const *export_args;
static size_t nr_export_args;

/* Remember how the configuration was given, to read it again. */
void
reload_init (const char *file, char *const *args, size_t nr_args)
{
  config_path = file;
  export_args = args;
  nr_export_args = nr_args;
}

static bool
str_differs (const char *a, const char *b)
{
  return (a == NULL) != (b == NULL) || (a && strcmp (a, b) != 0);
}

/* Keep in NEW the settings that cannot change while running, warning
 * about any attempt, and take over OLD's strings for them.
 */
static void
keep_start_settings (struct config *new, struct config *old)
{
  char *tmp;

  if (str_differs (new->socket_path, old->socket_path) ||
      str_differs (new->pid_file, old->pid_file) ||
      (new->threads != THREADS_UNSET && new->threads != old->threads) ||
      new->socket_mode != old->socket_mode ||
      new->socket_owner != old->socket_owner ||
      new->socket_group != old->socket_group)
    log_warnx ("reload: socket, pid-file, threads and socket ownership "
               "changes take effect at the next restart");
  tmp = new->socket_path; new->socket_path = old->socket_path;
  old->socket_path = tmp;
  tmp = new->pid_file; new->pid_file = old->pid_file; old->pid_file = tmp;
  new->threads = old->threads;
  new->socket_mode = old->socket_mode;
  new->socket_owner = old->socket_owner;
  new->socket_group = old->socket_group;
}

/* Re-read and apply the configuration.  Returns 0, or -1 with a reason
 * in ERROR (also logged); the old configuration then stays in force.
 */
int
daemon_reload (char *error, size_t len)
{
  struct config newcfg;

  log_info ("reloading the configuration%s%s",
            config_path ? " from " : "", config_path ? config_path : "");
  notify_reloading ();
  if (config_read (&newcfg, config_path, export_args, nr_export_args) == -1) {
    snprintf (error, len, "invalid configuration, nothing changed: %s",
              log_last_warning ());
    log_warnx ("reload failed; the old configuration stays in force");
    config_free (&newcfg);
    notify_reloaded ();
    return -1;
  }
  if (config_apply_command_line (&newcfg) == -1 ||
      exports_reload (&newcfg) == -1) {
    snprintf (error, len, "out of memory applying the configuration");
    log_warnx ("reload failed; the old configuration stays in force");
    config_free (&newcfg);
    notify_reloaded ();
    return -1;
  }
  /* Only now: a failure above must leave CFG's strings where they were. */
  keep_start_settings (&newcfg, &cfg);
  config_free (&cfg);
  cfg = newcfg;
  loop_set_busy_poll (cfg.busy_poll_us);
  clients_limits_changed ();
  log_info ("reloaded: %zu export%s", exports.len,
            exports.len == 1 ? "" : "s");
  notify_reloaded ();
  return 0;
}
