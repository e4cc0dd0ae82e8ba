/* nbdcached: the configuration, from an INI file (inih) and from the
 * command line.  nbdcached(8), "CONFIGURATION FILE", documents every
 * key; the tables below are the single list of them.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-feed.h"
#include "human-size.h"
#include "internal.h"

/* At most this many keys in a section's table (the "seen" mask). */
#define MAX_SECTION_KEYS 64

struct parse_state {
  struct config *cfg;
  struct config_feed *feed;     /* the line inih is on */
  char error[512];              /* the first error, */
  int error_line;               /* on this line */
  int seen_section;             /* the line of the section SEEN is about */
  uint64_t seen;                /* keys of that section set so far */
  int seen_line[MAX_SECTION_KEYS];
};

/* Each value parser returns NULL on success or a reason. */
typedef const char *(*value_parser) (const char *value, void *field,
                                     long min, long max);

/* Read VALUE (trimmed by config_feed) as a whole number in BASE into
 * *FIELD: true if it is one from MIN to MAX.  Only digits of BASE, and
 * a minus sign for the range check to refuse; strtol's "+" is not
 * taken.
 */
static bool
parse_in_base (const char *value, int base, void *field, long min, long max)
{
  char *end;
  long n;

  if (*value == '+')
    return false;
  errno = 0;
  n = strtol (value, &end, base);
  if (errno != 0 || end == value || *end != '\0' || n < min || n > max ||
      (n == 0 && *value == '-'))
    return false;
  *(unsigned *) field = (unsigned) n;
  return true;
}

/* A count, in decimal always: "010" is ten, not eight, and "0x10" is
 * refused.
 */
static const char *
parse_uint (const char *value, void *field, long min, long max)
{
  static __thread char why[64];

  if (parse_in_base (value, 10, field, min, max))
    return NULL;
  snprintf (why, sizeof why, "must be %ld to %ld", min, max);
  return why;
}

/* A file mode, in octal with or without its leading 0 ("660" is
 * 0660, as chmod(1) reads it), from MIN to MAX.
 */
static const char *
parse_mode (const char *value, void *field, long min, long max)
{
  static __thread char why[64];

  if (parse_in_base (value, 8, field, min, max))
    return NULL;
  snprintf (why, sizeof why, "must be an octal mode, %lo to %#lo", min, max);
  return why;
}

/* Seconds, possibly fractional ("0.1"), stored as milliseconds. */
static const char *
parse_seconds (const char *value, void *field, long min_ms, long max_ms)
{
  char *end;
  double d;

  errno = 0;
  d = strtod (value, &end);
  if (errno != 0 || end == value || *end != '\0' || !isfinite (d) ||
      d * 1000 < (double) min_ms || d * 1000 > (double) max_ms) {
    static __thread char why[64];
    snprintf (why, sizeof why, "must be %g to %g seconds",
              min_ms / 1000.0, max_ms / 1000.0);
    return why;
  }
  *(unsigned *) field = (unsigned) lround (d * 1000);
  return NULL;
}

static const char *
parse_size (const char *value, void *field, long min, long max)
{
  const char *why;
  uint64_t n;

  if (parse_human_size (value, &n, &why) == -1)
    return why;
  if (max > 0 && (n < (uint64_t) min || n > (uint64_t) max)) {
    static __thread char range[64];
    char lo[HUMAN_SIZE_LEN], hi[HUMAN_SIZE_LEN];

    snprintf (range, sizeof range, "must be %s to %s",
              format_human_size ((uint64_t) min, lo, sizeof lo),
              format_human_size ((uint64_t) max, hi, sizeof hi));
    return range;
  }
  if (n < (uint64_t) min) {
    static __thread char least[64];
    char lo[HUMAN_SIZE_LEN];

    snprintf (least, sizeof least, "must be at least %s",
              format_human_size ((uint64_t) min, lo, sizeof lo));
    return least;
  }
  *(uint64_t *) field = n;
  return NULL;
}

static const char *
parse_string (const char *value, void *field, long min, long max)
{
  char **p = field;

  free (*p);
  *p = strdup (value);
  return *p ? NULL : "out of memory";
}

static const char *
parse_bool (const char *value, void *field, long min, long max)
{
  if (strcasecmp (value, "true") == 0 || strcasecmp (value, "yes") == 0 ||
      strcmp (value, "1") == 0 || strcasecmp (value, "on") == 0)
    *(bool *) field = true;
  else if (strcasecmp (value, "false") == 0 || strcasecmp (value, "no") == 0 ||
           strcmp (value, "0") == 0 || strcasecmp (value, "off") == 0)
    *(bool *) field = false;
  else
    return "expected true or false";
  return NULL;
}

static const char *
parse_fallback (const char *value, void *field, long min, long max)
{
  if (strcmp (value, "error") == 0)
    *(enum fallback_mode *) field = FALLBACK_ERROR;
  else if (strcmp (value, "read") == 0)
    *(enum fallback_mode *) field = FALLBACK_READ;
  else
    return "expected error or read";
  return NULL;
}

static const char *
parse_tls (const char *value, void *field, long min, long max)
{
  if (strcmp (value, "off") == 0)
    *(int *) field = LIBNBD_TLS_DISABLE;
  else if (strcmp (value, "allow") == 0)
    *(int *) field = LIBNBD_TLS_ALLOW;
  else if (strcmp (value, "require") == 0)
    *(int *) field = LIBNBD_TLS_REQUIRE;
  else
    return "expected off, allow or require";
  return NULL;
}

/* "tcp, unix" -> LIBNBD_ALLOW_TRANSPORT_TCP | LIBNBD_ALLOW_TRANSPORT_UNIX */
static const char *
parse_transports (const char *value, void *field, long min, long max)
{
  char *copy = strdup (value), *tok, *save = NULL;
  uint32_t mask = 0;
  const char *why = NULL;

  if (copy == NULL)
    return "out of memory";
  for (tok = strtok_r (copy, ", ", &save); tok && !why;
       tok = strtok_r (NULL, ", ", &save)) {
    if (strcmp (tok, "tcp") == 0)
      mask |= LIBNBD_ALLOW_TRANSPORT_TCP;
    else if (strcmp (tok, "unix") == 0)
      mask |= LIBNBD_ALLOW_TRANSPORT_UNIX;
    else if (strcmp (tok, "vsock") == 0)
      mask |= LIBNBD_ALLOW_TRANSPORT_VSOCK;
    else
      why = "expected a list of tcp, unix, vsock";
  }
  free (copy);
  if (why == NULL && mask == 0)
    why = "no transport listed";
  if (why == NULL)
    *(uint32_t *) field = mask;
  return why;
}

/* Resolve a user or group NAME (or a number) to an id. */
static int
lookup_id (const char *name, bool group, unsigned *id)
{
  char *end;
  unsigned long n;

  errno = 0;
  n = strtoul (name, &end, 10);
  if (errno == 0 && end != name && *end == '\0') {
    *id = (unsigned) n;
    return 0;
  }
  if (group) {
    struct group *gr = getgrnam (name);
    if (gr == NULL)
      return -1;
    *id = gr->gr_gid;
  }
  else {
    struct passwd *pw = getpwnam (name);
    if (pw == NULL)
      return -1;
    *id = pw->pw_uid;
  }
  return 0;
}

/* "alice, bob, 1000" -> uids (MAX != 0 means groups). */
static const char *
parse_id_list (const char *value, void *field, long min, long max)
{
  id_list *list = field;
  char *copy = strdup (value), *tok, *save = NULL;
  const char *why = NULL;
  unsigned id;

  if (copy == NULL)
    return "out of memory";
  for (tok = strtok_r (copy, ", ", &save); tok && !why;
       tok = strtok_r (NULL, ", ", &save)) {
    if (lookup_id (tok, max != 0, &id) == -1)
      why = max ? "unknown group" : "unknown user";
    else if (id_list_append (list, id) == -1)
      why = "out of memory";
  }
  free (copy);
  /* An empty list would leave the export open to everyone (no list
   * at all means that), the opposite of what was surely meant.
   */
  if (why == NULL && list->len == 0)
    why = max ? "names no group (without allow-users and allow-groups "
      "an export is open to every user)"
      : "names no user (without allow-users and allow-groups an export "
      "is open to every user)";
  return why;
}

static const char *
parse_owner (const char *value, void *field, long min, long max)
{
  unsigned id;

  if (lookup_id (value, max != 0, &id) == -1)
    return max ? "unknown group" : "unknown user";
  *(unsigned *) field = id;
  return NULL;
}

struct key {
  const char *name;
  value_parser parse;
  size_t offset;
  long min, max;
};

#define DKEY(n, p, member, lo, hi) \
  { n, p, offsetof (struct config, member), lo, hi }
static const struct key daemon_keys[] = {
  DKEY ("socket", parse_string, socket_path, 0, 0),
  DKEY ("pid-file", parse_string, pid_file, 0, 0),
  DKEY ("threads", parse_uint, threads, 0, MAX_THREADS),
  DKEY ("socket-mode", parse_mode, socket_mode, 0, 0777),
  DKEY ("socket-owner", parse_owner, socket_owner, 0, 0),
  DKEY ("socket-group", parse_owner, socket_group, 0, 1),
  DKEY ("max-client-requests", parse_uint, max_client_requests, 1, 1 << 20),
  DKEY ("max-client-bytes", parse_size, max_client_bytes, 1, 0),
  DKEY ("max-client-output", parse_size, max_client_output, 65536, 0),
  DKEY ("max-user-clients", parse_uint, max_user_clients, 1, 65536),
  DKEY ("max-user-requests", parse_uint, max_user_requests, 1, 1 << 24),
  DKEY ("drain-timeout", parse_seconds, drain_timeout_ms, 0, 3600000),
  DKEY ("hello-timeout", parse_seconds, hello_timeout_ms, 100, 3600000),
  DKEY ("busy-poll-us", parse_uint, busy_poll_us, 0, MAX_BUSY_POLL_US),
  { NULL },
};

#define EKEY(n, p, member, lo, hi) \
  { n, p, offsetof (struct export_config, member), lo, hi }
static const struct key export_keys[] = {
  EKEY ("uri", parse_string, uri, 0, 0),
  EKEY ("connections", parse_uint, connections, 1, MAX_CONNECTIONS),
  EKEY ("max-in-flight", parse_uint, max_in_flight, 1, MAX_IN_FLIGHT_LIMIT),
  EKEY ("connect-timeout", parse_seconds, connect_timeout_ms, 100, 3600000),
  EKEY ("request-timeout", parse_seconds, request_timeout_ms, 100, 86400000),
  EKEY ("reconnect-delay", parse_seconds, reconnect_min_ms, 10, 3600000),
  EKEY ("reconnect-max-delay", parse_seconds, reconnect_max_ms, 10, 3600000),
  EKEY ("warm-ttl", parse_seconds, warm_ttl_ms, 0, 86400000),
  EKEY ("coalesce", parse_bool, coalesce, 0, 0),
  EKEY ("max-chunk", parse_size, max_chunk, MAX_CHUNK_MIN, MAX_CHUNK_MAX),
  EKEY ("fallback", parse_fallback, fallback, 0, 0),
  EKEY ("allow-users", parse_id_list, allow_uids, 0, 0),
  EKEY ("allow-groups", parse_id_list, allow_gids, 0, 1),
  EKEY ("uri-allow-local-file", parse_bool, uri_allow_local_file, 0, 0),
  EKEY ("allow-transports", parse_transports, allow_transports, 0, 0),
  EKEY ("tls", parse_tls, tls, 0, 0),
  EKEY ("tls-certificates", parse_string, tls_certificates, 0, 0),
  EKEY ("tls-psk-file", parse_string, tls_psk_file, 0, 0),
  EKEY ("tls-username", parse_string, tls_username, 0, 0),
  { NULL },
};

/* Find KEY in KEYS and parse VALUE into the struct at BASE.  Returns
 * 0, or -1 with a message in ps->error.  A key set twice in a section
 * is an error, also when the second is an indented continuation line.
 */
static int
set_key (struct parse_state *ps, const struct key *keys, void *base,
         const char *section, const char *key, const char *value)
{
  const char *why;

  if (ps->seen_section != ps->feed->section_lineno) {
    ps->seen_section = ps->feed->section_lineno;
    ps->seen = 0;
  }
  for (unsigned i = 0; keys[i].name; i++) {
    if (strcmp (keys[i].name, key) != 0)
      continue;
    if (ps->seen & (UINT64_C (1) << i)) {
      snprintf (ps->error, sizeof ps->error,
                "[%s] %s is set twice (first on line %d)",
                section, key, ps->seen_line[i]);
      return -1;
    }
    ps->seen |= UINT64_C (1) << i;
    ps->seen_line[i] = ps->feed->lineno;
    why = keys[i].parse (value, (char *) base + keys[i].offset,
                         keys[i].min, keys[i].max);
    if (why == NULL)
      return 0;
    snprintf (ps->error, sizeof ps->error, "[%s] %s = %s: %s",
              section, key, value, why);
    return -1;
  }
  snprintf (ps->error, sizeof ps->error, "[%s]: unknown key \"%s\"",
            section, key);
  return -1;
}

static struct export_config *
find_export (struct config *c, const char *name)
{
  for (size_t i = 0; i < c->exports.len; i++)
    if (strcmp (c->exports.ptr[i].name, name) == 0)
      return &c->exports.ptr[i];
  return NULL;
}

/* An export name is 1 to NBDC_MAX_EXPORT_NAME bytes of UTF-8 without
 * control characters.
 */
static const char *
check_export_name (const char *name)
{
  size_t len = strlen (name);

  if (len == 0)
    return "export name is empty";
  if (len > NBDC_MAX_EXPORT_NAME)
    return "export name is longer than " NBDC_STR (NBDC_MAX_EXPORT_NAME)
      " bytes";
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return "export name contains a control character";
  /* Names travel in JSON, which must be UTF-8. */
  if (!nbdc_utf8_valid (name, len))
    return "export name is not valid UTF-8";
  return NULL;
}

/* Add an export named NAME with every default set.  Returns it, or
 * NULL with a reason in *WHY.
 */
static struct export_config *
add_export (struct config *c, const char *name, const char **why)
{
  struct export_config ec = {
    .max_in_flight = DEFAULT_MAX_IN_FLIGHT,
    .connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS,
    .request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS,
    .reconnect_min_ms = DEFAULT_RECONNECT_MIN_MS,
    .reconnect_max_ms = DEFAULT_RECONNECT_MAX_MS,
    .warm_ttl_ms = DEFAULT_WARM_TTL_MS,
    .coalesce = true,
    .max_chunk = DEFAULT_MAX_CHUNK,
    .fallback = FALLBACK_ERROR,
    .allow_transports = LIBNBD_ALLOW_TRANSPORT_MASK,
    .tls = -1,
  };

  *why = check_export_name (name);
  if (*why != NULL)
    return NULL;
  if (find_export (c, name) != NULL) {
    *why = "export is defined twice";
    return NULL;
  }
  ec.name = strdup (name);
  if (ec.name == NULL || export_config_list_append (&c->exports, ec) == -1) {
    free (ec.name);
    *why = "out of memory";
    return NULL;
  }
  return &c->exports.ptr[c->exports.len - 1];
}

/* inih's callback: returns 1 to go on, 0 after an error.  inih's
 * SECTION may be cut short, and its VALUE is a stand-in for a long
 * line: the feed has both whole (config-feed.c).  Only the first error
 * is kept, with its line: inih goes on after one.
 */
static int
config_ini_handler (void *opaque, const char *inih_section, const char *key,
                    const char *value)
{
  struct parse_state *ps = opaque;
  const char *section = ps->feed->section;
  struct export_config *ec;
  int r;

  if (ps->error[0] != '\0')
    return 0;
  if (ps->feed->long_line)
    value = config_feed_long_value (ps->feed);
  if (section == NULL) {
    snprintf (ps->error, sizeof ps->error,
              "\"%s\" comes before any [section]", key);
    r = -1;
  }
  else if (strcmp (section, "daemon") == 0)
    r = set_key (ps, daemon_keys, ps->cfg, section, key, value);
  else {
    /* scan_sections allowed no other section, and made every export. */
    ec = find_export (ps->cfg, section + 7);
    assert (strncmp (section, "export ", 7) == 0 && ec != NULL);
    r = set_key (ps, export_keys, ec, section, key, value);
  }
  if (r == -1)
    ps->error_line = ps->feed->lineno;
  return r == 0;
}

/* Set the daemon-wide defaults.  Call once before anything else. */
void
config_init (struct config *c)
{
  memset (c, 0, sizeof *c);
  c->socket_mode = DEFAULT_SOCKET_MODE;
  c->threads = THREADS_UNSET;
  c->socket_owner = (uid_t) -1;
  c->socket_group = (gid_t) -1;
  c->max_client_requests = DEFAULT_MAX_CLIENT_REQUESTS;
  c->max_client_bytes = DEFAULT_MAX_CLIENT_BYTES;
  c->max_client_output = DEFAULT_MAX_CLIENT_OUTPUT;
  c->max_user_clients = DEFAULT_MAX_USER_CLIENTS;
  c->max_user_requests = DEFAULT_MAX_USER_REQUESTS;
  c->hello_timeout_ms = DEFAULT_HELLO_TIMEOUT_MS;
  c->drain_timeout_ms = DEFAULT_DRAIN_TIMEOUT_MS;
}

/* inih only reports key lines, so read the section headers first:
 * each [export NAME] creates its export (a repeated or empty one is
 * then caught), and an unknown section is an error even when empty.
 * Returns 0, or -1 after logging.
 */
static int
scan_sections (struct config *c, const char *path, struct config_feed *f)
{
  bool seen_daemon = false;

  while (config_feed_next (f)) {
    const char *p = f->section, *why = NULL;

    if (!f->is_section)
      continue;
    if (strcmp (p, "daemon") == 0) {
      if (seen_daemon)
        why = "[daemon] appears twice";
      seen_daemon = true;
    }
    else if (strncmp (p, "export ", 7) == 0) {
      struct export_config *ec = add_export (c, p + 7, &why);

      if (ec != NULL)
        ec->line = f->lineno;
    }
    else
      why = "unknown section";
    if (why != NULL) {
      log_warnx ("%s:%d: [%s]: %s", path, f->lineno, p, why);
      return -1;
    }
  }
  return 0;
}

/* Read PATH into C.  Returns 0, or -1 after logging the file, line
 * and reason.
 */
static int
config_load_file (struct config *c, const char *path)
{
  struct config_feed feed;
  struct parse_state ps = { .cfg = c, .feed = &feed };
  FILE *fp = fopen (path, "r");
  int r = 0, read_errno;

  if (fp == NULL) {
    log_warn ("%s", path);
    return -1;
  }
  config_feed_init (&feed, fp);
  if (scan_sections (c, path, &feed) == -1) {
    config_feed_free (&feed);
    fclose (fp);
    return -1;
  }
  if (feed.read_errno == 0) {
    rewind (fp);
    config_feed_free (&feed);
    config_feed_init (&feed, fp);
    r = ini_parse_stream (config_feed_inih_reader, &feed,
                          config_ini_handler, &ps);
  }
  read_errno = feed.read_errno;
  config_feed_free (&feed);
  fclose (fp);
  if (read_errno != 0) {
    errno = read_errno;
    log_warn ("%s: reading", path);
    return -1;
  }
  if (r > 0)
    /* inih's line is the first error's: ours, or a syntax error. */
    log_warnx ("%s:%d: %s", path, r,
               r == ps.error_line ? ps.error : "syntax error");
  else if (r < 0)
    log_warnx ("%s: cannot parse: out of memory", path);
  return r == 0 ? 0 : -1;
}

/* -e NAME=URI */
int
config_add_export_arg (struct config *c, const char *arg)
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
  ec = add_export (c, name, &why);
  if (ec == NULL) {
    log_warnx ("--export %s: %s", name, why);
    free (name);
    return -1;
  }
  free (name);
  ec->uri = strdup (eq + 1);
  if (ec->uri == NULL)
    return (log_warn ("strdup"), -1);
  return 0;
}

/* Check the whole configuration once everything is read.  An
 * export's mistake is reported at its section in FILE (an export from
 * -e always has its uri and the default delays).
 */
static int
config_finish (struct config *c, const char *file)
{
  for (size_t i = 0; i < c->exports.len; i++) {
    struct export_config *ec = &c->exports.ptr[i];
    const char *why = NULL;

    if (ec->uri == NULL)
      why = "no uri";
    else if (ec->reconnect_max_ms < ec->reconnect_min_ms)
      why = "reconnect-max-delay is below reconnect-delay";
    if (why != NULL) {
      log_warnx ("%s:%d: [export %s]: %s", file, ec->line, ec->name, why);
      return -1;
    }
    ec->restricted = ec->allow_uids.len > 0 || ec->allow_gids.len > 0;
  }
  if (c->exports.len == 0)
    log_warnx ("no exports are configured: use -e NAME=URI or -c FILE");
  return 0;
}

/* Read a whole configuration: defaults, then the -e NAME=URI
 * arguments, then FILE (may be NULL), then the checks.  So the -e
 * exports come first wherever exports are listed in order (the
 * "exports" and "stats" replies, and which ones a reply too long for
 * its bound leaves out).  Used at start and on every reload, so both
 * see the same rules.  Returns 0, or -1 after logging; C must then be
 * freed.
 */
int
config_read (struct config *c, const char *file, char *const *export_args,
             size_t nr_export_args)
{
  config_init (c);
  for (size_t i = 0; i < nr_export_args; i++)
    if (config_add_export_arg (c, export_args[i]) == -1)
      return -1;
  if (file && config_load_file (c, file) == -1)
    return -1;
  return config_finish (c, file);
}

static int
copy_string (char **dst, const char *src)
{
  *dst = src ? strdup (src) : NULL;
  return src && *dst == NULL ? -1 : 0;
}

static int
copy_ids (id_list *dst, const id_list *src)
{
  *dst = (id_list) { 0 };
  for (size_t i = 0; i < src->len; i++)
    if (id_list_append (dst, src->ptr[i]) == -1)
      return -1;
  return 0;
}

/* A deep copy, so that an export keeps its settings when a reload
 * frees the configuration it came from.  Returns 0 or -1 (ENOMEM;
 * DST must still be freed).  Every pointer of DST is its own or NULL
 * before the first copy that can fail: freeing DST after a failure
 * must never free SRC's strings, which a running export still uses.
 */
int
export_config_copy (struct export_config *dst,
                    const struct export_config *src)
{
  *dst = *src;
  dst->name = dst->uri = NULL;
  dst->tls_certificates = dst->tls_psk_file = dst->tls_username = NULL;
  dst->allow_uids = dst->allow_gids = (id_list) { 0 };
  if (copy_string (&dst->name, src->name) == -1 ||
      copy_string (&dst->uri, src->uri) == -1 ||
      copy_string (&dst->tls_certificates, src->tls_certificates) == -1 ||
      copy_string (&dst->tls_psk_file, src->tls_psk_file) == -1 ||
      copy_string (&dst->tls_username, src->tls_username) == -1 ||
      copy_ids (&dst->allow_uids, &src->allow_uids) == -1 ||
      copy_ids (&dst->allow_gids, &src->allow_gids) == -1)
    return -1;
  return 0;
}

static bool
str_equal (const char *a, const char *b)
{
  return a == b || (a && b && strcmp (a, b) == 0);
}

static bool
ids_equal (const id_list *a, const id_list *b)
{
  return a->len == b->len &&
    (a->len == 0 || memcmp (a->ptr, b->ptr, a->len * sizeof *a->ptr) == 0);
}

/* Are two exports configured identically?  A reload keeps an export
 * (and its connections and requests) only then.
 */
bool
export_config_equal (const struct export_config *a,
                     const struct export_config *b)
{
  return str_equal (a->name, b->name) && str_equal (a->uri, b->uri) &&
    a->connections == b->connections &&
    a->max_in_flight == b->max_in_flight &&
    a->connect_timeout_ms == b->connect_timeout_ms &&
    a->request_timeout_ms == b->request_timeout_ms &&
    a->reconnect_min_ms == b->reconnect_min_ms &&
    a->reconnect_max_ms == b->reconnect_max_ms &&
    a->warm_ttl_ms == b->warm_ttl_ms && a->coalesce == b->coalesce &&
    a->max_chunk == b->max_chunk &&
    a->fallback == b->fallback && a->restricted == b->restricted &&
    ids_equal (&a->allow_uids, &b->allow_uids) &&
    ids_equal (&a->allow_gids, &b->allow_gids) &&
    a->uri_allow_local_file == b->uri_allow_local_file &&
    a->allow_transports == b->allow_transports && a->tls == b->tls &&
    str_equal (a->tls_certificates, b->tls_certificates) &&
    str_equal (a->tls_psk_file, b->tls_psk_file) &&
    str_equal (a->tls_username, b->tls_username);
}

void
export_config_free (struct export_config *ec)
{
  free (ec->name);
  free (ec->uri);
  free (ec->tls_certificates);
  free (ec->tls_psk_file);
  free (ec->tls_username);
  id_list_reset (&ec->allow_uids);
  id_list_reset (&ec->allow_gids);
}

void
config_free (struct config *c)
{
  for (size_t i = 0; i < c->exports.len; i++)
    export_config_free (&c->exports.ptr[i]);
  export_config_list_reset (&c->exports);
  free (c->socket_path);
  free (c->pid_file);
}
