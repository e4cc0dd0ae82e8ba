/* nbdcached: logging, after OpenBSD relayd's log.h.
 *
 *   log_warn    a warning with ": strerror(errno)" appended
 *   log_warnx   a warning
 *   log_info    an informational line
 *   log_debug   only with -v
 *   fatal       log_warn, then exit (1)
 *   fatalx      log_warnx, then exit (1)
 *
 * Each call writes one whole line to stderr.  When stderr is connected
 * to journald (JOURNAL_STREAM is set) the line starts with a "<N>"
 * syslog priority that journald understands; otherwise it starts with
 * the program name.  Callers put a context prefix ("export foo: ",
 * "client 3: ") in the format string.  Safe to call from any thread.
 */
#ifndef NBDCACHED_COMMON_LOG_H
#define NBDCACHED_COMMON_LOG_H

#include <stdbool.h>

void log_init (const char *progname, bool verbose);

/* The text of the last warning logged by this thread (without the
 * prefix), for passing a reason on to a client; "" if none.
 */
const char *log_last_warning (void);

void log_warn (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));
void log_warnx (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));
void log_info (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));
void log_debug (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));
void fatal (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2), noreturn));
void fatalx (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2), noreturn));

#endif /* NBDCACHED_COMMON_LOG_H */
