/* nbdcachectl: the command-line client of nbdcached.
 *
 * Private header of ctl/.  Each section lists what one source file
 * exports.  The program is single-threaded: everything here runs in
 * the main thread, including the completion callbacks, which
 * libnbdcache calls from inside nbdcache_poll and nbdcache_close.
 */
#ifndef NBDCACHED_CTL_CTL_H
#define NBDCACHED_CTL_CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "human-size.h"
#include "nbdcache.h"
#include "vector.h"

#define PROGRAM_NAME "nbdcachectl"

/* Exit statuses; EXIT_SUCCESS and EXIT_FAILURE (1) come from stdlib.h. */
#define EXIT_USAGE 2
#define EXIT_TIMEOUT 124        /* --timeout passed; as timeout(1) */

/* What option parsers return when the subcommand should go on; any
 * other value is the exit status to stop with.
 */
#define KEEP_GOING (-1)

DEFINE_VECTOR_TYPE (string_vector, char *)

/* One subcommand.  RUN gets the subcommand's own arguments: argv[0]
 * is "nbdcachectl: NAME" (so that getopt's messages read well) and
 * the rest follow it.  RUN returns the exit status.
 */
struct command {
  const char *name;
  const char *synopsis;         /* arguments, after the name */
  const char *summary;          /* one line for the main --help */
  const char *options;          /* the options part of NAME --help, or NULL */
  int (*run) (const struct command *cmd, int argc, char **argv);
};

/* The -h line of OPTIONS, in the columns of commands whose other
 * options, if any, are no longer than --json.
 */
#define HELP_OPTION "  -h, --help   print this help and exit\n"

/* main.c */
extern const char *socket_path;
extern void command_help (const struct command *cmd);

/* errors.c */
extern int try_help (const struct command *cmd);
extern int usage_error (const struct command *cmd, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
extern void error_msg (const char *fs, ...)
  __attribute__ ((format (printf, 1, 2)));
extern const char *library_error_text (void);
extern int library_error (void);
extern void out_of_memory (void) __attribute__ ((noreturn));

/* args.c */
extern int parse_size_arg (const struct command *cmd, const char *what,
                           const char *str, uint64_t *size);
extern int parse_count_arg (const struct command *cmd, const char *what,
                            const char *str, unsigned min, unsigned max,
                            unsigned *n);
extern int parse_seconds_arg (const struct command *cmd, const char *what,
                              const char *str, double *seconds);
/* The operands of a subcommand, in order, borrowed from its argv. */
#define MAX_OPERANDS 3          /* the most any command takes */
struct operands {
  size_t n;                     /* how many were given */
  const char *arg[MAX_OPERANDS + 1]; /* the first ones, and an extra */
};
/* Notes an option OPT (getopt's code) with its argument ARG (or NULL)
 * in OPTS, a command's own struct.
 */
typedef void (*option_fn) (int opt, const char *arg, void *opts);
extern int parse_args (const struct command *cmd, int argc, char **argv,
                       const struct option *long_options,
                       option_fn on_option, void *opts,
                       struct operands *ops);
extern int expect_operands (const struct command *cmd,
                            const struct operands *ops,
                            const char *const *names);

/* connect.c */
extern struct nbdcache_handle *connect_daemon (const char *export_name);
extern void disconnect_daemon (struct nbdcache_handle *h);

/* deadline.c */
extern void deadline_set (double seconds);
extern int deadline_start (void);
extern void deadline_waiting_for (const char *fs, ...)
  __attribute__ ((format (printf, 1, 2)));
extern void deadline_mid_line (bool mid);
extern void deadline_stop (void);

/* table.c */
struct table {
  size_t ncols;
  string_vector cells;          /* row-major, each cell owned */
  bool *right;                  /* per column: align to the right */
};
extern void table_init (struct table *t, size_t ncols);
extern void table_align_right (struct table *t, size_t col);
extern void table_add (struct table *t, const char *cell);
extern void table_add_owned (struct table *t, char *cell);
extern void table_addf (struct table *t, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
extern void table_print (const struct table *t, FILE *fp);
extern void table_free (struct table *t);

/* json-util.c */
extern struct json_object *json_member (struct json_object *obj,
                                        const char *key);
extern const char *json_member_string (struct json_object *obj,
                                       const char *key);
extern bool json_member_u64 (struct json_object *obj, const char *key,
                             uint64_t *v);
extern bool json_member_bool (struct json_object *obj, const char *key,
                              bool *v);
extern bool json_is_number (struct json_object *v);
extern char *json_value_text (struct json_object *v, bool human);
extern void print_json_pretty (struct json_object *v, FILE *fp);

/* json-cmd.c */
/* A list of a reply that the daemon may cut short, to keep the reply
 * within one message (PROTOCOL.md section 1).
 */
struct json_list {
  const char *key;              /* the list, "exports" */
  const char *omitted_key;      /* what counts the entries left out */
  const char *noun;             /* what its entries are, "exports" */
};
#define JSON_MAX_LISTS 2

struct json_command {
  /* The daemon's whole reply, a JSON object. */
  char *(*fetch) (struct nbdcache_handle *h);
  /* The member of the reply that render and --json show, or NULL for
   * the whole reply; and what that must be.
   */
  const char *member;
  json_type type;
  int (*render) (struct json_object *shown);
  /* Offers --prometheus when not NULL; gets the whole reply. */
  int (*render_prometheus) (struct json_object *reply);
  /* The lists that may be cut short; unused ones have a NULL key. */
  struct json_list lists[JSON_MAX_LISTS];
};
extern int run_json_command (const struct command *cmd,
                             const struct json_command *jc,
                             int argc, char **argv);

/* flatten.c */
struct leaf {
  char *key;                    /* "a.b.c", owned */
  struct json_object *value;    /* borrowed from the parsed reply */
};
DEFINE_VECTOR_TYPE (leaves, struct leaf)
extern void flatten_member (leaves *out, const char *prefix,
                            const char *key, struct json_object *v);
extern void flatten_object (leaves *out, const char *prefix,
                            struct json_object *obj);
extern struct json_object *leaves_find (const leaves *l,
                                        const char *key);
extern void leaves_free (leaves *l);

/* histogram.c */
struct histogram {
  struct json_object *bounds_us;  /* borrowed: increasing bucket bounds */
  struct json_object *counts;     /* borrowed: one more than bounds_us */
  size_t nbounds;
  uint64_t sum_us;
};
extern bool histogram_get (struct json_object *v, struct histogram *hist);
extern uint64_t histogram_bound (const struct histogram *hist, size_t i);
extern uint64_t histogram_count (const struct histogram *hist, size_t i);
extern uint64_t histogram_total (const struct histogram *hist);

/* prometheus.c */
extern int render_prometheus (struct json_object *stats);

/* progress.c */
struct progress {
  bool enabled;
  uint64_t total;
  double last_draw;             /* elapsed seconds at the last draw, or < 0 */
  int last_len;                 /* visible length of the last line drawn */
};
extern void progress_init (struct progress *p, bool enabled, uint64_t total);
extern void progress_update (struct progress *p, uint64_t done,
                             double elapsed);
extern void progress_finish (struct progress *p, uint64_t done,
                             double elapsed);

/* warm.c */
/* One range to warm, of the export named w->exports.ptr[export]. */
struct warm_entry {
  size_t export;
  bool whole;                   /* all of it: warm_resolve sets count */
  bool resolved;                /* warm_resolve checked it */
  uint64_t offset;
  uint64_t count;
  unsigned long line;           /* in the manifest, or 0 */
  uint64_t next_offset;         /* first byte not yet submitted */
  uint64_t done;                /* bytes completed successfully */
  char *error;                  /* first error, owned, or NULL */
  int errnum;                   /* its errno, if a request's own error */
};
DEFINE_VECTOR_TYPE (warm_entries, struct warm_entry)

struct warm {
  /* Set by the caller before warm_run. */
  string_vector exports;        /* distinct names, owned, by first use */
  warm_entries entries;         /* filled by warm_add */
  uint64_t request_size;
  unsigned max_in_flight;

  /* Progress, updated by warm_resolve, warm_run and the callback. */
  uint64_t total;               /* bytes of the entries to warm */
  uint64_t done;                /* bytes completed successfully */
  size_t current;               /* the entry being submitted */
  size_t handle_export;         /* the handle's export, or SIZE_MAX */
  unsigned in_flight;
  char *error;                  /* why the whole run stopped, or NULL */
  double elapsed;               /* seconds, set when warm_run returns */
};
extern void warm_add (struct warm *w, const char *export_name, bool whole,
                      uint64_t offset, uint64_t count, unsigned long line);
extern void warm_resolve (struct nbdcache_handle *h, struct warm *w);
extern int warm_run (struct nbdcache_handle *h, struct warm *w,
                     struct progress *p);
extern bool warm_entry_cut_short (const struct warm *w,
                                  const struct warm_entry *e);
extern const char *warm_entry_error (const struct warm *w,
                                     const struct warm_entry *e);
extern void warm_free (struct warm *w);

/* manifest.c */
extern int manifest_read (const char *path, struct warm *w);
extern const char *manifest_name (const char *path);

/* cmd-admin.c */
extern const struct command pause_command;
extern const struct command resume_command;
extern const struct command reload_command;

/* cmd-cache.c */
extern const struct command cache_command;

/* cmd-clients.c */
extern const struct command clients_command;

/* cmd-exports.c */
extern const struct command exports_command;

/* cmd-stats.c */
extern const struct command stats_command;

/* cmd-warm.c */
extern const struct command warm_command;

#endif /* NBDCACHED_CTL_CTL_H */
