/* nbdcached: the listening Unix socket.  Main thread only. */
#include <config.h>

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>
#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "internal.h"

/* After EMFILE or ENFILE, stop accepting for this long rather than
 * spin on a listening socket that stays readable.
 */
#define ACCEPT_PAUSE_MS 250

static struct evconnlistener *listener;
static struct event *resume_ev;
static uint64_t resume_lost_due_ns; /* when a pause whose timer could
                                       not be added ends; 0: none */
static char *listen_path;

static void
on_accept (struct evconnlistener *l, evutil_socket_t fd,
           struct sockaddr *addr, int len, void *opaque)
{
  client_accept (fd);
}

static void
on_resume (evutil_socket_t fd, short what, void *opaque)
{
  if (listener)
    evconnlistener_enable (listener);
}

static void
on_accept_error (struct evconnlistener *l, void *opaque)
{
  int err = EVUTIL_SOCKET_ERROR ();

  errno = err;
  if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
    log_warn ("accept");
    return;
  }
  log_warn ("accept (pausing for %d ms; %u clients connected)",
            ACCEPT_PAUSE_MS, nr_clients);
  evconnlistener_disable (listener);
  /* Without the timer to resume (libevent could not grow its heap),
   * main's janitor ends the pause (listener_janitor).
   */
  if (timer_add_or_note (resume_ev, ACCEPT_PAUSE_MS,
                         &resume_lost_due_ns) == -1)
    log_warn ("cannot start the timer to resume accepting; the janitor "
              "keeps its time");
}

/* From main's janitor: end a pause whose timer could not be added, once
 * it is due.
 */
void
listener_janitor (uint64_t now)
{
  if (timer_lost_is_due (&resume_lost_due_ns, now))
    on_resume (-1, EV_TIMEOUT, NULL);
}

/* If PATH exists, remove it only when it is a socket nobody listens
 * on (left behind by a crash).  Returns 0, or -1 (logged) when it is
 * in use or not a socket.
 */
static int
remove_stale_socket (const char *path, const struct sockaddr_un *addr)
{
  struct stat st;
  int fd, r;

  if (lstat (path, &st) == -1)
    return errno == ENOENT ? 0 : (log_warn ("%s", path), -1);
  if (!S_ISSOCK (st.st_mode)) {
    log_warnx ("%s exists and is not a socket; not touching it", path);
    return -1;
  }
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd == -1)
    return (log_warn ("socket"), -1);
  r = connect (fd, (const struct sockaddr *) addr, sizeof *addr);
  close (fd);
  if (r == 0) {
    log_warnx ("%s: another nbdcached is already listening there", path);
    return -1;
  }
  log_info ("removing stale socket %s", path);
  if (unlink (path) == -1)
    return (log_warn ("unlink %s", path), -1);
  return 0;
}

/* Create the directory holding the socket if it is missing. */
static void
make_parent_dir (const char *path)
{
  CLEANUP_FREE char *copy = strdup (path);

  if (copy == NULL)
    log_warn ("%s: not creating its directory", path);
  else if (mkdir (dirname (copy), 0755) == 0)
    log_debug ("created %s", dirname (copy));
}

/* Wrap the listening socket FD in an evconnlistener, disabled.  FD
 * already listens: with backlog 0 libevent leaves it so, where -1
 * would listen again with 128, shrinking our SOMAXCONN and the
 * Backlog= of a socket systemd passed.  Returns 0, or -1 (logged)
 * with FD closed.
 */
static int
listener_wrap (int fd)
{
  /* Made now: on_accept_error runs when resources are short. */
  resume_ev = evtimer_new (main_loop.base, on_resume, NULL);
  if (resume_ev == NULL) {
    log_warn ("evtimer_new");
    close (fd);
    return -1;
  }
  listener = evconnlistener_new (main_loop.base, on_accept, NULL,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED,
                                 0, fd);
  if (listener == NULL) {
    log_warn ("evconnlistener_new");
    event_free (resume_ev);
    resume_ev = NULL;
    close (fd);
    return -1;
  }
  evconnlistener_set_error_cb (listener, on_accept_error);
  return 0;
}

/* systemd socket activation: use the one socket passed to us.  It is
 * systemd's: we never unlink it or shut it down (only close our copy
 * at exit).  Returns 1 if a socket was passed, 0 if none, -1 on error.
 */
static int
listener_activated (void)
{
  int n = sd_listen_fds (1);
  int fd = SD_LISTEN_FDS_START;

  if (n == 0)
    return 0;
  if (n < 0) {
    errno = -n;
    log_warn ("sd_listen_fds");
    return -1;
  }
  if (n > 1) {
    log_warnx ("systemd passed %d sockets; nbdcached takes exactly one", n);
    return -1;
  }
  if (sd_is_socket_unix (fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
    log_warnx ("the socket systemd passed is not a listening Unix "
               "stream socket");
    return -1;
  }
  if (evutil_make_socket_nonblocking (fd) == -1 ||
      evutil_make_socket_closeonexec (fd) == -1) {
    log_warn ("fcntl");
    return -1;
  }
  log_info ("listening on the socket passed by systemd");
  return listener_wrap (fd) == -1 ? -1 : 1;
}

/* Bind FD to ADDR, creating the socket file with socket-mode.  The
 * mode is set at creation, by the umask, rather than by a chmod
 * afterwards: chmod follows symbolic links, so whoever could replace
 * the file between the two calls (in a directory they can write to)
 * would have the daemon change the mode of a file of their choosing.
 * The umask is the process's, so this is called only at start, before
 * any other thread exists.  Returns bind's result, with its errno.
 */
static int
bind_with_mode (int fd, const struct sockaddr_un *addr)
{
  mode_t old = umask (~cfg.socket_mode & 0777);
  int r = bind (fd, (const struct sockaddr *) addr, sizeof *addr);
  int saved = errno;

  umask (old);
  errno = saved;
  return r;
}

/* Listen on the socket systemd passed, else bind and listen on PATH.
 * Accepting starts with listener_enable.  Returns 0 or -1 (logged).
 */
int
listener_open (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd, r;

  r = listener_activated ();
  if (r != 0)
    return r == 1 ? 0 : -1;

  if (strlen (path) >= sizeof addr.sun_path) {
    log_warnx ("socket path too long (%zu bytes, at most %zu): %s",
               strlen (path), sizeof addr.sun_path - 1, path);
    return -1;
  }
  strcpy (addr.sun_path, path);
  make_parent_dir (path);
  if (remove_stale_socket (path, &addr) == -1)
    return -1;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd == -1)
    return (log_warn ("socket"), -1);
  if (bind_with_mode (fd, &addr) == -1) {
    log_warn ("bind %s", path);
    close (fd);
    return -1;
  }
  /* From here on, a failure removes the socket file it made. */
  listen_path = strdup (path);   /* to remove it at exit */
  if (listen_path == NULL) {
    log_warn ("%s: copying the path", path);
    goto fail;
  }
  /* lchown: whatever is at PATH by now, a link is not followed. */
  if ((cfg.socket_owner != (uid_t) -1 || cfg.socket_group != (gid_t) -1) &&
      lchown (path, cfg.socket_owner, cfg.socket_group) == -1) {
    log_warn ("setting the owner of %s", path);
    goto fail;
  }
  if (listen (fd, SOMAXCONN) == -1) {
    log_warn ("listen %s", path);
    goto fail;
  }
  if (listener_wrap (fd) == -1) {
    unlink (path);              /* listener_wrap closed FD */
    goto forget;
  }
  log_info ("listening on %s", path);
  return 0;

 fail:
  close (fd);
  unlink (path);
 forget:
  free (listen_path);
  listen_path = NULL;
  return -1;
}

void
listener_enable (void)
{
  if (listener)
    evconnlistener_enable (listener);
}

/* Stop accepting and remove the socket file we created. */
void
listener_close (void)
{
  if (listener) {
    evconnlistener_free (listener);
    listener = NULL;
  }
  if (resume_ev) {
    event_free (resume_ev);
    resume_ev = NULL;
  }
  if (listen_path) {
    unlink (listen_path);
    free (listen_path);
    listen_path = NULL;
  }
}
