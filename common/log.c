/* nbdcached: logging to stderr, with journald priority prefixes. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static const char *log_progname = "nbdcached";
static bool log_verbose;
static bool log_journal;
static __thread char last_warning[1024];

const char *
log_last_warning (void)
{
  return last_warning;
}

/* Call once from main before any thread starts. */
void
log_init (const char *progname, bool verbose)
{
  log_progname = progname;
  log_verbose = verbose;
  log_journal = getenv ("JOURNAL_STREAM") != NULL;
}

/* Format one line and write it with a single stdio call, so that lines
 * from different threads never interleave.  PRIO is an sd-daemon.h
 * SD_* string; ERRNUM, when non-zero, appends strerror.
 */
static void
log_vline (const char *prio, const char *level, int errnum,
           const char *fmt, va_list ap)
{
  char msg[1024];
  char line[1200];
  char errbuf[128];

  vsnprintf (msg, sizeof msg, fmt, ap);
  if (prio[1] <= SD_WARNING[1])  /* warnings and worse */
    snprintf (last_warning, sizeof last_warning, "%s", msg);
  if (errnum != 0) {
    const char *es = strerror_r (errnum, errbuf, sizeof errbuf);
    if (log_journal)
      snprintf (line, sizeof line, "%s%s: %s\n", prio, msg, es);
    else
      snprintf (line, sizeof line, "%s: %s%s: %s\n",
                log_progname, level, msg, es);
  }
  else {
    if (log_journal)
      snprintf (line, sizeof line, "%s%s\n", prio, msg);
    else
      snprintf (line, sizeof line, "%s: %s%s\n", log_progname, level, msg);
  }
  fputs (line, stderr);
}

#define DEFINE_LOG_FN(name, prio, level, use_errno)      \
  void                                                  \
  name (const char *fmt, ...)                           \
  {                                                     \
    int saved_errno = errno;                            \
    va_list ap;                                         \
    va_start (ap, fmt);                                 \
    log_vline (prio, level, use_errno ? saved_errno : 0, fmt, ap); \
    va_end (ap);                                        \
    errno = saved_errno;                                \
  }

DEFINE_LOG_FN (log_warn, SD_WARNING, "warning: ", 1)
DEFINE_LOG_FN (log_warnx, SD_WARNING, "warning: ", 0)
DEFINE_LOG_FN (log_info, SD_INFO, "", 0)

void
log_debug (const char *fmt, ...)
{
  va_list ap;

  if (!log_verbose)
    return;
  va_start (ap, fmt);
  log_vline (SD_DEBUG, "debug: ", 0, fmt, ap);
  va_end (ap);
}

void
fatal (const char *fmt, ...)
{
  int saved_errno = errno;
  va_list ap;

  va_start (ap, fmt);
  log_vline (SD_ERR, "error: ", saved_errno, fmt, ap);
  va_end (ap);
  exit (EXIT_FAILURE);
}

void
fatalx (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  log_vline (SD_ERR, "error: ", 0, fmt, ap);
  va_end (ap);
  exit (EXIT_FAILURE);
}
