/* nbdcachectl: --timeout, one deadline on all the waiting for the
 * daemon.
 *
 * The deadline starts when nbdcachectl first contacts the daemon
 * (connect_daemon) and ends when it hangs up (disconnect_daemon): it
 * bounds the connect, the handshake, every reply, and the completions
 * of cache and warm, together.  When it passes, nbdcachectl says what
 * it was waiting for and exits with EXIT_TIMEOUT (124, as timeout(1)).
 *
 * Why a timer and not the timeouts of nbdcache_poll: only the
 * completions of nbdcache_aio_cache are waited for through
 * nbdcache_poll.  nbdcache_connect (whose handshake is where a stopped
 * daemon holds a client), the queries of exports, stats, clients and
 * the admin commands, nbdcache_get_size and nbdcache_cache all wait
 * inside libnbdcache, without a timeout, and restart their wait after
 * a signal.  Bounding them by poll would mean a timeout parameter on
 * each of those calls; a deadline through poll alone would leave the
 * handshake unbounded.  So one POSIX timer on CLOCK_MONOTONIC (immune
 * to changes of the wall clock) covers every wait alike, and its
 * signal handler ends the program: writing the message prepared in
 * advance and calling _exit are async-signal-safe, and nothing else
 * happens there.  Exiting is also what leaves nothing behind: the
 * kernel closes the socket, and the daemon drops the requests of a
 * client that has gone (PROTOCOL.md section 1).  Nothing is printed
 * on stdout while the deadline runs (the commands print after they
 * hang up), so no output is cut in half.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

/* The --timeout, and its text for the message ("0.5"); zero: none. */
static struct timespec timeout;
static char timeout_text[32];

/* Whether --timeout was given. */
static bool
have_timeout (void)
{
  return timeout.tv_sec != 0 || timeout.tv_nsec != 0;
}

static timer_t timer;
static bool started;            /* once: the deadline is for the run */
static bool timer_created;

/* What the handler writes: the message for what nbdcachectl waits for
 * now.  Two buffers, so that a new message is written in full into
 * the one the handler does not read before it switches to it.
 */
static char messages[2][1024];
static size_t message_lens[2];
static volatile sig_atomic_t current;

/* Set while the deadline runs: a signal that was already on its way
 * when it ended must not end the program.
 */
static volatile sig_atomic_t running;

/* Set while the progress bar of warm ends its line on stderr without
 * a newline: the message then starts on a line of its own.
 */
static volatile sig_atomic_t mid_line;

/* write(2) for the handler, which can do nothing about a failure. */
static void
write_stderr (const char *s, size_t len)
{
  ssize_t r = write (STDERR_FILENO, s, len);

  (void) r;
}

static void
on_deadline (int sig)
{
  int i = current;

  if (!running)
    return;
  if (mid_line)
    write_stderr ("\n", 1);
  write_stderr (messages[i], message_lens[i]);
  _exit (EXIT_TIMEOUT);
}

/* Set the timeout to SECONDS, which is above 0 and fits in a time_t
 * (parse_seconds_arg checked it).
 */
void
deadline_set (double seconds)
{
  timeout.tv_sec = (time_t) seconds;
  timeout.tv_nsec = (long) ((seconds - (double) timeout.tv_sec) * 1e9);
  if (timeout.tv_sec == 0 && timeout.tv_nsec == 0)
    timeout.tv_nsec = 1;        /* less than a nanosecond, but not none */
  snprintf (timeout_text, sizeof timeout_text, "%g", seconds);
}

/* Start the deadline, if there is a timeout and it has not started
 * before: it is one for the whole run.  Returns 0, or reports the
 * error and returns -1.
 */
int
deadline_start (void)
{
  struct sigevent sev = {
    .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM,
  };
  struct sigaction sa = { .sa_handler = on_deadline };
  struct itimerspec its = { .it_value = timeout };

  if (!have_timeout () || started)
    return 0;
  started = true;
  sigemptyset (&sa.sa_mask);
  if (sigaction (SIGALRM, &sa, NULL) == -1) {
    error_msg ("sigaction: %s", strerror (errno));
    return -1;
  }
  if (timer_create (CLOCK_MONOTONIC, &sev, &timer) == -1) {
    error_msg ("timer_create: %s", strerror (errno));
    return -1;
  }
  timer_created = true;
  running = 1;
  if (timer_settime (timer, 0, &its, NULL) == -1) {
    error_msg ("timer_settime: %s", strerror (errno));
    deadline_stop ();
    return -1;
  }
  return 0;
}

/* Say what nbdcachectl waits for from now on, for the message if the
 * deadline passes: "waiting for the daemon's reply to stats".  Cheap
 * enough to call without a timeout too.
 */
void
deadline_waiting_for (const char *fs, ...)
{
  int next = !current;
  char what[sizeof messages[0]];
  va_list args;
  int len;

  if (!have_timeout ())
    return;
  va_start (args, fs);
  vsnprintf (what, sizeof what, fs, args);
  va_end (args);
  len = snprintf (messages[next], sizeof messages[next],
                  "%s: timed out after %s s %s\n",
                  PROGRAM_NAME, timeout_text, what);
  if (len < 0)
    return;
  if ((size_t) len >= sizeof messages[next]) {
    /* Cut, but still a line. */
    len = sizeof messages[next] - 1;
    messages[next][len - 1] = '\n';
  }
  message_lens[next] = (size_t) len;
  /* The handler must not see the switch before the message. */
  atomic_signal_fence (memory_order_seq_cst);
  current = next;
}

/* Whether stderr is in the middle of a line (the progress bar). */
void
deadline_mid_line (bool mid)
{
  mid_line = mid;
}

/* End the deadline: nbdcachectl waits for the daemon no more. */
void
deadline_stop (void)
{
  running = 0;
  if (timer_created) {
    timer_delete (timer);
    timer_created = false;
  }
}
