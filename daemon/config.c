/* nbdcached: the configuration, from an INI file (inih) and from the
 * command line.  See nbdcached(8), "CONFIGURATION FILE".
 *
 *   [daemon]
 *   socket = PATH
 *   threads = N
 *   pid-file = PATH
 *
 *   [export NAME]
 *   uri = nbd+unix:///?socket=/run/disk.sock
 *   connections = 4
 *   max-in-flight = 64
 *   connect-timeout = 10        (seconds)
 */
#include <config.h>

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include "internal.h"

struct parse_state {
  struct config *cfg;
  const char *path;
  char error[512];
};

/* Parse VALUE as an integer in [MIN, MAX]. */
static int
parse_uint (const char *value, unsigned min, unsigned max, unsigned *out)
{
  char *end;
  unsigned long n;

  errno = 0;
  n = strtoul (value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
      n < min || n > max)
    return -1;
  *out = (unsigned) n;
  return 0;
}

static struct export_config *
find_export (struct config *cfg, const char *name)
{
  for (size_t i = 0; i < cfg->exports.len; i++)
    if (strcmp (cfg->exports.ptr[i].name, name) == 0)
      return &cfg->exports.ptr[i];
  return NULL;
}

/* Check NAME can be used as an export name: 1 to 255 bytes, no
 * control characters.
 */
static const char *
check_export_name (const char *name)
{
  size_t len = strlen (name);

  if (len == 0)
    return "export name is empty";
  if (len > NBDC_MAX_EXPORT_NAME)
    return "export name is longer than 255 bytes";
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return "export name contains a control character";
  /* Names travel in JSON, which must be UTF-8. */
  if (!nbdc_utf8_valid (name, len))
    return "export name is not valid UTF-8";
  return NULL;
}

/* Add a new export named NAME with defaults.  Returns it or NULL with
 * a reason in *WHY.
 */
static struct export_config *
add_export (struct config *cfg, const char *name, const char **why)
{
  struct export_config ec = {
    .max_in_flight = DEFAULT_MAX_IN_FLIGHT,
    .connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS,
  };

  *why = check_export_name (name);
  if (*why != NULL)
    return NULL;
  if (find_export (cfg, name) != NULL) {
    *why = "export is defined twice";
    return NULL;
  }
  ec.name = strdup (name);
  if (ec.name == NULL || export_config_list_append (&cfg->exports, ec) == -1) {
    free (ec.name);
    *why = "out of memory";
    return NULL;
  }
  return &cfg->exports.ptr[cfg->exports.len - 1];
}

static int
set_string (char **field, const char *value)
{
  free (*field);
  *field = strdup (value);
  return *field != NULL;
}

static int
daemon_key (struct parse_state *ps, const char *key, const char *value)
{
  struct config *cfg = ps->cfg;

  if (strcmp (key, "socket") == 0)
    return set_string (&cfg->socket_path, value);
  if (strcmp (key, "pid-file") == 0)
    return set_string (&cfg->pid_file, value);
  if (strcmp (key, "threads") == 0) {
    if (parse_uint (value, 1, MAX_THREADS, &cfg->threads) == -1) {
      snprintf (ps->error, sizeof ps->error,
                "threads must be 1 to %d", MAX_THREADS);
      return 0;
    }
    return 1;
  }
  snprintf (ps->error, sizeof ps->error,
            "unknown key \"%s\" in [daemon]", key);
  return 0;
}

static int
export_key (struct parse_state *ps, const char *name, const char *key,
            const char *value)
{
  struct export_config *ec = find_export (ps->cfg, name);
  unsigned n;

  if (ec == NULL) {             /* scan_sections created every export */
    snprintf (ps->error, sizeof ps->error, "[export %s]: not found", name);
    return 0;
  }
  if (strcmp (key, "uri") == 0)
    return set_string (&ec->uri, value);
  if (strcmp (key, "connections") == 0) {
    if (parse_uint (value, 1, MAX_CONNECTIONS, &ec->connections) == 0)
      return 1;
    snprintf (ps->error, sizeof ps->error,
              "[export %s]: connections must be 1 to %d",
              name, MAX_CONNECTIONS);
    return 0;
  }
  if (strcmp (key, "max-in-flight") == 0) {
    if (parse_uint (value, 1, MAX_IN_FLIGHT_LIMIT, &ec->max_in_flight) == 0)
      return 1;
    snprintf (ps->error, sizeof ps->error,
              "[export %s]: max-in-flight must be 1 to %d",
              name, MAX_IN_FLIGHT_LIMIT);
    return 0;
  }
  if (strcmp (key, "connect-timeout") == 0) {
    if (parse_uint (value, 1, 3600, &n) == 0) {
      ec->connect_timeout_ms = n * 1000;
      return 1;
    }
    snprintf (ps->error, sizeof ps->error,
              "[export %s]: connect-timeout must be 1 to 3600 seconds", name);
    return 0;
  }
  snprintf (ps->error, sizeof ps->error,
            "[export %s]: unknown key \"%s\"", name, key);
  return 0;
}

/* inih's callback: returns 1 to go on, 0 to stop with an error. */
static int
config_ini_handler (void *opaque, const char *section, const char *key,
             const char *value)
{
  struct parse_state *ps = opaque;

  if (strcmp (section, "daemon") == 0)
    return daemon_key (ps, key, value);
  if (strncmp (section, "export ", 7) == 0)
    return export_key (ps, section + 7, key, value);
  snprintf (ps->error, sizeof ps->error, "unknown section [%s]", section);
  return 0;
}

/* inih only reports key lines, so read the section headers first:
 * each [export NAME] creates its export (a repeated or empty one is
 * then caught), and an unknown section is an error even when empty.
 * Returns 0, or -1 after logging.
 */
static int
scan_sections (struct config *cfg, const char *path, FILE *fp)
{
  char line[1024];
  int lineno = 0;
  bool seen_daemon = false;

  while (fgets (line, sizeof line, fp) != NULL) {
    char *p = line + strspn (line, " \t"), *end;
    const char *why = NULL;

    lineno++;
    if (*p != '[')
      continue;
    end = strchr (p, ']');
    if (end == NULL)
      continue;                 /* inih reports the syntax error */
    *end = '\0';
    p++;
    if (strcmp (p, "daemon") == 0) {
      if (seen_daemon)
        why = "[daemon] appears twice";
      seen_daemon = true;
    }
    else if (strncmp (p, "export ", 7) == 0)
      add_export (cfg, p + 7, &why);
    else
      why = "unknown section";
    if (why != NULL) {
      log_warnx ("%s:%d: [%s]: %s", path, lineno, p, why);
      return -1;
    }
  }
  rewind (fp);
  return 0;
}

/* Read PATH into CFG.  Returns 0, or -1 after logging the file, line
 * and reason.
 */
int
config_load_file (struct config *cfg, const char *path)
{
  struct parse_state ps = { .cfg = cfg, .path = path };
  FILE *fp = fopen (path, "r");
  int r;

  if (fp == NULL) {
    log_warn ("%s", path);
    return -1;
  }
  if (scan_sections (cfg, path, fp) == -1) {
    fclose (fp);
    return -1;
  }
  r = ini_parse_file (fp, config_ini_handler, &ps);
  fclose (fp);
  if (r != 0) {
    if (r > 0)
      log_warnx ("%s:%d: %s", path, r,
                 ps.error[0] ? ps.error : "syntax error");
    else
      log_warnx ("%s: cannot parse (out of memory?)", path);
    return -1;
  }
  return 0;
}

/* -e NAME=URI */
int
config_add_export_arg (struct config *cfg, const char *arg)
{
  const char *eq = strchr (arg, '=');
  struct export_config *ec;
  const char *why;
  char *name;

  if (eq == NULL || eq[1] == '\0') {
    log_warnx ("--export %s: expected NAME=URI", arg);
    return -1;
  }
  name = strndup (arg, (size_t) (eq - arg));
  if (name == NULL)
    return (log_warn ("strndup"), -1);
  ec = add_export (cfg, name, &why);
  if (ec == NULL) {
    log_warnx ("--export %s: %s", name, why);
    free (name);
    return -1;
  }
  free (name);
  if (!set_string (&ec->uri, eq + 1))
    return (log_warn ("strdup"), -1);
  return 0;
}

/* Check the whole configuration once everything is read. */
int
config_finish (struct config *cfg)
{
  for (size_t i = 0; i < cfg->exports.len; i++) {
    if (cfg->exports.ptr[i].uri == NULL) {
      log_warnx ("export %s has no uri", cfg->exports.ptr[i].name);
      return -1;
    }
  }
  if (cfg->exports.len == 0)
    log_warnx ("no exports are configured: use -e NAME=URI or -c FILE");
  return 0;
}

void
config_free (struct config *cfg)
{
  for (size_t i = 0; i < cfg->exports.len; i++) {
    free (cfg->exports.ptr[i].name);
    free (cfg->exports.ptr[i].uri);
  }
  export_config_list_reset (&cfg->exports);
  free (cfg->socket_path);
  free (cfg->pid_file);
}
