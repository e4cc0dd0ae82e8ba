/* nbdcached: start-up, the main loop and shutdown. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <event2/thread.h>

#if defined (__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define HAVE_LEAK_CHECK 1
#endif

#include "cleanup.h"
#include "default-socket.h"
#include "internal.h"

struct loop main_loop;
bool daemon_stopping;           /* shutting down: fail what is left */
bool daemon_draining;           /* SIGTERM: letting requests finish */
bool daemon_ready;              /* serving; READY=1 was sent */
uint64_t start_time_ns;

struct config cfg;
static uint64_t drain_deadline_ns;

/* -c and -e, kept for reloads. */
static const char *config_file;
/* -s, -P and -t, which win over the file (config_apply_command_line). */
static const char *cmdline_socket, *cmdline_pid_file;
static long cmdline_threads = -1;
DEFINE_VECTOR_TYPE (arg_list, char *)
static arg_list export_args;

uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void
usage (FILE *fp)
{
  fprintf (fp,
"Usage: nbdcached [OPTIONS]\n"
"Pool libnbd connections to NBD exports and warm ranges of them\n"
"(NBD_CMD_CACHE) on behalf of local clients.\n"
"\n"
"  -c, --config FILE       read exports and settings from an INI file\n"
"  -e, --export NAME=URI   serve an export (repeatable), e.g.\n"
"                          -e disk=nbd+unix:///?socket=/run/disk.sock\n"
"  -s, --socket PATH       listen here (default: $NBDCACHE_SOCKET, else\n"
"                          " NBDCACHE_SYSTEM_SOCKET " for root,\n"
"                          else $XDG_RUNTIME_DIR/" NBDCACHE_SOCKET_NAME ")\n"
"  -t, --threads N         worker threads owning NBD connections beyond\n"
"                          each export's first (which the main loop\n"
"                          drives); 0: the main loop drives them all\n"
"                          (default: the number of CPUs, at most 8)\n"
"  -P, --pid-file FILE     write the pid here once serving\n"
"      --check-config      parse the configuration and exit\n"
"  -v, --verbose           debug messages\n"
"  -h, --help              this help\n"
"  -V, --version           print the version\n"
"\n"
"nbdcached runs in the foreground; see nbdcached(8).\n");
}

/* Parse the command line into CFG.  Exits on --help and --version
 * (status 0), usage errors (2) and configuration errors (1).
 */
static void
parse_args (int argc, char **argv, bool *check_only)
{
  enum { OPT_CHECK_CONFIG = 256 };
  static const struct option longopts[] = {
    { "config", required_argument, NULL, 'c' },
    { "export", required_argument, NULL, 'e' },
    { "socket", required_argument, NULL, 's' },
    { "threads", required_argument, NULL, 't' },
    { "pid-file", required_argument, NULL, 'P' },
    { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL },
  };
  struct config scratch;
  char *socket_arg = NULL, *pid_arg = NULL;
  bool verbose = false;
  long threads = -1;
  char *end;
  int c;

  config_init (&scratch);
  while ((c = getopt_long (argc, argv, "c:e:s:t:P:vhV", longopts, NULL)) != -1) {
    switch (c) {
    case 'c': config_file = optarg; break;
    case 'e':
      /* A malformed -e is a usage error, found now; the export itself
       * is added by config_read, at start and at every reload.
       */
      if (config_add_export_arg (&scratch, optarg) == -1 ||
          arg_list_append (&export_args, optarg) == -1)
        exit (2);
      break;
    case 's': socket_arg = optarg; break;
    case 't':
      errno = 0;
      threads = strtol (optarg, &end, 10);
      if (errno || *end || threads < 0 || threads > MAX_THREADS) {
        fprintf (stderr, "nbdcached: --threads must be 0 to %d\n",
                 MAX_THREADS);
        exit (2);
      }
      break;
    case 'P': pid_arg = optarg; break;
    case OPT_CHECK_CONFIG: *check_only = true; break;
    case 'v': verbose = true; break;
    case 'h': usage (stdout); exit (0);
    case 'V': printf ("nbdcached %s\n", PACKAGE_VERSION); exit (0);
    default:
      fprintf (stderr, "Try 'nbdcached --help' for more information.\n");
      exit (2);
    }
  }
  if (optind < argc) {
    fprintf (stderr, "nbdcached: unexpected argument '%s'\n"
             "Try 'nbdcached --help' for more information.\n", argv[optind]);
    exit (2);
  }
  config_free (&scratch);
  log_init ("nbdcached", verbose);
  if (config_read (&cfg, config_file, export_args.ptr, export_args.len) == -1)
    exit (1);
  cmdline_socket = socket_arg;
  cmdline_pid_file = pid_arg;
  cmdline_threads = threads;
  if (config_apply_command_line (&cfg) == -1)
    fatalx ("cannot start");
}

/* The command line wins over the file: at start, and over each file
 * read again by a reload (reload.c), so that a reload compares like
 * with like.  Returns 0, or -1 (logged, naming the option) for want
 * of memory.
 */
int
config_apply_command_line (struct config *c)
{
  if (cmdline_socket) {
    free (c->socket_path);
    c->socket_path = strdup (cmdline_socket);
    if (c->socket_path == NULL)
      return (log_warn ("applying --socket %s", cmdline_socket), -1);
  }
  if (cmdline_pid_file) {
    free (c->pid_file);
    c->pid_file = strdup (cmdline_pid_file);
    if (c->pid_file == NULL)
      return (log_warn ("applying --pid-file %s", cmdline_pid_file), -1);
  }
  if (cmdline_threads >= 0)
    c->threads = (unsigned) cmdline_threads;
  return 0;
}

/* The path to listen on, the caller's to free: -s or the file's, else
 * the default.  Exits if there is none, or no memory for it.
 */
static char *
choose_socket_path (void)
{
  char *path = cfg.socket_path ? strdup (cfg.socket_path)
                               : default_socket_path ();

  if (path == NULL && errno == ENOENT)
    fatalx ("no socket path: use -s PATH, or set NBDCACHE_SOCKET or "
            "XDG_RUNTIME_DIR");
  if (path == NULL)
    fatal ("cannot start: copying the socket path");
  return path;
}

static unsigned
default_threads (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);

  return n < 1 ? 1 : n > 8 ? 8 : (unsigned) n;
}

/* Write our pid to the pid file, or exit.  A symbolic link there is
 * refused (ELOOP), not followed: whoever could place one, in a
 * directory the daemon shares, would have it overwrite and truncate
 * any file it can write, as root perhaps.
 */
static void
write_pid_file (void)
{
  FILE *fp = NULL;
  int fd;

  if (cfg.pid_file == NULL)
    return;
  fd = open (cfg.pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
             O_CLOEXEC | O_NOCTTY, 0644);
  if (fd == -1 || (fp = fdopen (fd, "w")) == NULL ||
      fprintf (fp, "%d\n", (int) getpid ()) < 0 || fclose (fp) == EOF)
    fatal ("%s", cfg.pid_file);
}

/* Called whenever an export's first connection attempt ends: once all
 * have, start serving.  Clients that connected early wait in the
 * listen backlog, so they never see an export still connecting.
 */
void
daemon_check_ready (void)
{
  if (daemon_ready || !exports_first_attempts_done ())
    return;
  daemon_ready = true;
  listener_enable ();
  write_pid_file ();
  log_info ("ready: %zu export%s, %u worker thread%s",
            exports.len, exports.len == 1 ? "" : "s",
            nr_threads, nr_threads == 1 ? "" : "s");
  notify_ready ();
}

static void
main_dispatch (struct loop *loop, struct msg *m)
{
  switch (m->type) {
  case MSG_CHUNK_DONE:
    request_chunk_done (container_of (m, struct chunk, msg));
    break;
  case MSG_CONN_EVENT:
    export_conn_event (container_of (m, struct nbdconn, report_msg));
    break;
  case MSG_CONN_STOPPED:
    export_stopped (container_of (m, struct nbdconn, stopped_msg));
    break;
  default:                      /* for workers[0], on this loop */
    worker_handle_msg (loop, m);
  }
}

static void
main_after_batch (struct loop *loop)
{
  if (workers != NULL)          /* NULL at shutdown, after workers_stop */
    worker_flush (&workers[0]);
  requests_pump_wanted ();
}

/* Every JANITOR_MS: deadlines and hung connections. */
#define JANITOR_MS 100

/* While draining: once no request is left (or the drain timeout has
 * passed, failing what is left with ESHUTDOWN), close every client
 * after its last events are written, then leave the loop.
 */
static void
drain_step (uint64_t now)
{
  size_t n = exports_in_flight ();
  struct export *exp;

  if (n > 0 && now < drain_deadline_ns)
    return;
  if (n > 0) {
    log_warnx ("drain timeout: failing %zu request%s with ESHUTDOWN",
               n, n == 1 ? "" : "s");
    for_each_export (exp)
      requests_fail_all (exp, ESHUTDOWN, "the daemon is stopping");
  }
  clients_close_all_after_flush ();
  /* Give slow readers two seconds to take their last events. */
  if (nr_clients == 0 || now >= drain_deadline_ns + 2000000000ULL)
    event_base_loopbreak (main_loop.base);
}

static void
on_janitor (evutil_socket_t fd, short what, void *opaque)
{
  static unsigned ticks;
  uint64_t now = now_ns ();

  exports_janitor (now);
  clients_janitor (now);
  workers_janitor ();
  listener_janitor (now);
  if (daemon_draining)
    drain_step (now);
  if (++ticks % 10 == 0)
    daemon_notify_status ();
}

/* Each client and each NBD connection costs a descriptor: allow as
 * many as the hard limit does.
 */
static void
raise_fd_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit (RLIMIT_NOFILE, &rl) == -1)
      log_warn ("setrlimit RLIMIT_NOFILE");
  }
}

/* SIGTERM, SIGINT: stop accepting and reading, let the requests in
 * flight finish (up to drain-timeout), deliver their events, exit 0.
 * A second signal stops at once.
 */
static void
on_stop_signal (evutil_socket_t sig, short what, void *opaque)
{
  if (daemon_draining) {
    log_info ("caught %s again, stopping now", strsignal (sig));
    event_base_loopbreak (main_loop.base);
    return;
  }
  log_info ("caught %s: draining %zu request%s (at most %.1f s)",
            strsignal (sig), exports_in_flight (),
            exports_in_flight () == 1 ? "" : "s",
            cfg.drain_timeout_ms / 1000.0);
  daemon_draining = true;
  drain_deadline_ns = now_ns () + (uint64_t) cfg.drain_timeout_ms * 1000000;
  notify_stopping ();
  listener_close ();
  clients_stop_reading ();
  drain_step (now_ns ());
}

static void
on_reload_signal (evutil_socket_t sig, short what, void *opaque)
{
  char error[512];

  if (!daemon_draining)
    daemon_reload (error, sizeof error);
}

/* Route libevent's own messages into our log. */
static void
on_libevent_log (int severity, const char *msg)
{
  if (severity == EVENT_LOG_DEBUG)
    log_debug ("libevent: %s", msg);
  else
    log_warnx ("libevent: %s", msg);
}

/* Stop everything in an order that completes or drops every request
 * exactly once and frees all memory.
 */
static void
shutdown_daemon (void)
{
  struct export *exp;

  daemon_stopping = true;
  notify_watchdog_stop ();
  listener_close ();
  clients_close_all ();
  workers_stop ();
  /* The main loop may have been stopped in the middle of a pass, with
   * messages to itself (and to workers[0], which it runs) still in its
   * inbox: handle them, and what they post in turn, before the
   * workers go.
   */
  loop_drain (&main_loop);
  workers_free ();
  for_each_export (exp)
    requests_fail_all (exp, ESHUTDOWN, "the daemon is stopping");
  exports_free ();
  request_caches_free ();
  /* A reload keeps the pid file's name (reload.c). */
  if (cfg.pid_file)
    unlink (cfg.pid_file);
}

/* Exit at once, without exit handlers and destructors, because a
 * connect job thread is still stuck in a name lookup (connect-job.c):
 * when the lookup returns, the thread goes on in libnbd, and libnbd's
 * destructor would have freed its per-thread error state under it
 * (an assertion failure in libnbd, and a core dump instead of a clean
 * exit).  Everything of the daemon's is freed already; flush stdio and
 * run the leak check that AddressSanitizer runs at exit.
 */
static void __attribute__ ((noreturn))
exit_leaving_threads (int status)
{
  fflush (NULL);
#ifdef HAVE_LEAK_CHECK
  __lsan_do_leak_check ();
#endif
  _exit (status);
}

int
main (int argc, char **argv)
{
  CLEANUP_FREE char *socket_path = NULL;
  struct event *sigint_ev, *sigterm_ev, *sighup_ev, *janitor_ev;
  struct timeval janitor_tv = { 0, JANITOR_MS * 1000 };
  bool check_only = false;

  parse_args (argc, argv, &check_only);
  if (check_only) {
    printf ("configuration OK: %zu export%s\n", cfg.exports.len,
            cfg.exports.len == 1 ? "" : "s");
    config_free (&cfg);
    arg_list_reset (&export_args);
    return 0;
  }
  socket_path = choose_socket_path ();
  reload_init (config_file, export_args.ptr, export_args.len);
  start_time_ns = now_ns ();

  signal (SIGPIPE, SIG_IGN);
  raise_fd_limit ();
  event_set_log_callback (on_libevent_log);
  if (evthread_use_pthreads () == -1)
    fatalx ("evthread_use_pthreads failed");
  if (loop_init (&main_loop, "main", main_dispatch) == -1)
    exit (1);
  main_loop.after_batch = main_after_batch;
  sigint_ev = evsignal_new (main_loop.base, SIGINT, on_stop_signal, NULL);
  sigterm_ev = evsignal_new (main_loop.base, SIGTERM, on_stop_signal, NULL);
  sighup_ev = evsignal_new (main_loop.base, SIGHUP, on_reload_signal, NULL);
  if (!sigint_ev || !sigterm_ev || !sighup_ev ||
      evsignal_add (sigint_ev, NULL) == -1 ||
      evsignal_add (sigterm_ev, NULL) == -1 ||
      evsignal_add (sighup_ev, NULL) == -1)
    fatalx ("cannot install signal handlers");
  janitor_ev = event_new (main_loop.base, -1, EV_PERSIST, on_janitor, NULL);
  if (janitor_ev == NULL || event_add (janitor_ev, &janitor_tv) == -1)
    fatalx ("cannot start the janitor timer");
  clients_init ();
  peer_ids_init ();

  if (listener_open (socket_path) == -1)
    fatalx ("cannot start: no socket to listen on");
  loop_set_busy_poll (cfg.busy_poll_us);
  if (workers_start (cfg.threads != THREADS_UNSET ? cfg.threads
                     : default_threads ()) == -1 ||
      exports_create (&cfg) == -1) {
    /* Leave nothing behind: no socket file, no thread running. */
    listener_close ();
    if (workers != NULL)
      workers_stop ();
    fatalx ("cannot start");
  }
  exports_start ();
  notify_watchdog_start ();
  daemon_check_ready ();
  if (!daemon_ready)
    notify_starting ();

  loop_run (&main_loop);

  shutdown_daemon ();
  event_free (janitor_ev);
  event_free (sigint_ev);
  event_free (sigterm_ev);
  event_free (sighup_ev);
  loop_free (&main_loop);
  config_free (&cfg);
  arg_list_reset (&export_args);
  log_info ("stopped");
  if (connect_jobs_left ()) {
    free (socket_path);         /* CLEANUP_FREE does not run */
    exit_leaving_threads (0);
  }
  return 0;
}
