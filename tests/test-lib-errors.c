/* nbdcached tests: how libnbdcache reports errors, against a real
 * daemon (see test-lib-errors.sh) that serves the 1G export "disk".
 *
 * Usage: test-lib-errors SOCKET
 *
 * Each failing call returns -1 (or NULL) with the documented errno
 * and a message prefixed by the call's name; a failed submission
 * never calls the completion callback but calls .free exactly once;
 * errors found by the daemon arrive as the command's error; a signal
 * interrupts nbdcache_poll (EINTR) but not the synchronous calls; the
 * last error is per thread.
 */
#include <config.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbdcache.h"
#include "test-lib.h"

#define EXPORT_SIZE (1024 * 1024 * 1024LL)

static const char *sock;

/* On a new handle, nbdcache_connect (h, PATH) must fail with ERRNUM,
 * name NAMED in its message (unless NAMED is NULL), and leave the
 * handle with nothing to wait for.
 */
#define CHECK_CONNECT_FAILS(xpath, xerrno, named)                      \
  do {                                                                 \
    struct nbdcache_handle *h_ = nbdcache_create ();                   \
    const char *named_ = (named);                                      \
    CHECK (h_ != NULL);                                                \
    CHECK_INT (nbdcache_connect (h_, (xpath)), ==, -1);                \
    CHECK_ERROR ("nbdcache_connect", xerrno);                          \
    if (named_ != NULL)                                                \
      CHECK_CONTAINS (nbdcache_get_error (), named_);                  \
    CHECK_INT (nbdcache_aio_get_direction (h_), ==, 0);                \
    nbdcache_close (h_);                                               \
  } while (0)

/* Submit, then drive the handle until the command completes; its
 * callback must see ERRNUM, and .free run once.
 */
#define CHECK_AIO_COMPLETES_WITH(h, xcount, xoffset, xerrno)           \
  do {                                                                 \
    struct cmd c_ = { .retire = 0 };                                   \
    int64_t ck_ = nbdcache_aio_cache ((h), (xcount), (xoffset),        \
                                      cmd_completion (&c_), 0);        \
    int r_;                                                            \
    CHECK_OK (ck_);                                                    \
    while ((r_ = nbdcache_aio_command_completed ((h), (uint64_t) ck_)) == 0) \
      CHECK_OK (nbdcache_poll ((h), -1));                              \
    CHECK_INT (c_.calls, ==, 1);                                       \
    CHECK_INT (c_.error, ==, (xerrno));                                \
    CHECK_INT (c_.frees, ==, 1);                                       \
    if ((xerrno) == 0)                                                 \
      CHECK_INT (r_, ==, 1);                                           \
    else {                                                             \
      CHECK_INT (r_, ==, -1);                                          \
      CHECK_ERROR ("nbdcache_aio_command_completed", xerrno);          \
    }                                                                  \
  } while (0)

/* Before connecting, everything that needs the daemon is ENOTCONN. */
static void
test_not_connected (void)
{
  struct nbdcache_handle *h = nbdcache_create ();

  CHECK (h != NULL);
  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  CHECK_AIO_FAILS (h, 512, 0, 0, ENOTCONN);
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", ENOTCONN);
  CHECK_INT (nbdcache_get_size (h), ==, -1);
  CHECK_ERROR ("nbdcache_get_size", ENOTCONN);
  CHECK (nbdcache_get_exports_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_exports_json", ENOTCONN);
  CHECK (nbdcache_get_exports_reply_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_exports_reply_json", ENOTCONN);
  CHECK (nbdcache_get_clients_reply_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_clients_reply_json", ENOTCONN);
  CHECK (nbdcache_get_stats_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", ENOTCONN);
  CHECK_INT (nbdcache_poll (h, 0), ==, -1);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);
  CHECK_INT (nbdcache_aio_get_fd (h), ==, -1);
  CHECK_ERROR ("nbdcache_aio_get_fd", ENOTCONN);
  CHECK_INT (nbdcache_aio_get_direction (h), ==, 0);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);
  CHECK_ERROR ("nbdcache_aio_peek_command_completed", EINVAL);
  CHECK_INT (nbdcache_aio_command_completed (h, 1), ==, -1);
  CHECK_ERROR ("nbdcache_aio_command_completed", EINVAL);
  nbdcache_close (h);
  nbdcache_close (NULL);
}

static void
test_export_names (void)
{
  struct nbdcache_handle *h = nbdcache_create ();
  char name[300], *copy, *copy2;

  CHECK (h != NULL);
  CHECK (nbdcache_get_export_name (h) == NULL);
  CHECK_ERROR ("nbdcache_get_export_name", EINVAL);

  CHECK_INT (nbdcache_set_export_name (h, ""), ==, -1);
  CHECK_ERROR ("nbdcache_set_export_name", EINVAL);
  CHECK_INT (nbdcache_set_export_name (h, NULL), ==, -1);
  CHECK_ERROR ("nbdcache_set_export_name", EINVAL);
  memset (name, 'x', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  CHECK_INT (nbdcache_set_export_name (h, name), ==, -1);
  CHECK_ERROR ("nbdcache_set_export_name", EINVAL);
  name[256] = '\0';
  CHECK_INT (nbdcache_set_export_name (h, name), ==, -1);
  CHECK_ERROR ("nbdcache_set_export_name", EINVAL);
  /* A failed call leaves no name behind. */
  CHECK (nbdcache_get_export_name (h) == NULL);

  name[255] = '\0';
  CHECK_OK (nbdcache_set_export_name (h, name));
  /* The library keeps its own copy ... */
  name[0] = 'y';
  copy = nbdcache_get_export_name (h);
  CHECK (copy != NULL);
  CHECK (copy != name);
  CHECK_INT (strlen (copy), ==, 255);
  CHECK_INT (copy[0], ==, 'x');
  /* ... and returns a new one each time, the caller's to free. */
  copy[0] = 'z';
  copy2 = nbdcache_get_export_name (h);
  CHECK (copy2 != NULL && copy2 != copy);
  CHECK_INT (copy2[0], ==, 'x');
  free (copy);
  free (copy2);

  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  copy = nbdcache_get_export_name (h);
  CHECK_STR (copy, "disk");
  free (copy);
  /* A failed set keeps the previous name. */
  CHECK_INT (nbdcache_set_export_name (h, ""), ==, -1);
  copy = nbdcache_get_export_name (h);
  CHECK_STR (copy, "disk");
  free (copy);
  nbdcache_close (h);
}

static void
test_connect_errors (void)
{
  struct nbdcache_handle *h;
  char *dir, path[PATH_MAX], longpath[300];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  dir = strdup (sock);
  CHECK (dir != NULL);
  snprintf (path, sizeof path, "%s/missing.sock", dirname (dir));

  /* No socket at all. */
  CHECK_CONNECT_FAILS (path, ENOENT, path);

  /* A socket that nobody listens on. */
  snprintf (path, sizeof path, "%s/refused.sock", dirname (dir));
  fd = socket (AF_UNIX, SOCK_STREAM, 0);
  CHECK (fd >= 0);
  CHECK (strlen (path) < sizeof addr.sun_path);
  strcpy (addr.sun_path, path);
  CHECK (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
  close (fd);
  CHECK_CONNECT_FAILS (path, ECONNREFUSED, path);
  unlink (path);

  /* An empty path, which would name an abstract socket (anyone's). */
  CHECK_CONNECT_FAILS ("", EINVAL, "empty");

  /* A path too long for sockaddr_un. */
  memset (longpath, 'a', sizeof longpath - 1);
  longpath[0] = '/';
  longpath[sizeof longpath - 1] = '\0';
  CHECK_CONNECT_FAILS (longpath, ENAMETOOLONG, NULL);

  /* No path: $NBDCACHE_SOCKET, which the error names when it fails. */
  CHECK (setenv ("NBDCACHE_SOCKET", sock, 1) == 0);
  h = nbdcache_create ();
  CHECK (h != NULL);
  CHECK_OK (nbdcache_connect (h, NULL));
  nbdcache_close (h);
  snprintf (path, sizeof path, "%s/missing.sock", dirname (dir));
  CHECK (setenv ("NBDCACHE_SOCKET", path, 1) == 0);
  CHECK_CONNECT_FAILS (NULL, ENOENT, path);
  CHECK (unsetenv ("NBDCACHE_SOCKET") == 0);
  free (dir);

  /* Connecting twice. */
  h = connect_to (sock, "disk");
  CHECK_INT (nbdcache_connect (h, sock), ==, -1);
  CHECK_ERROR ("nbdcache_connect", EISCONN);
  /* The first connection is unharmed. */
  CHECK_INT (nbdcache_get_size (h), ==, EXPORT_SIZE);
  CHECK_OK (nbdcache_cache (h, 512, 0, 0));
  nbdcache_close (h);
}

/* Errors the library finds before sending anything. */
static void
test_submit_errors (void)
{
  struct nbdcache_handle *h = connect_to (sock, NULL);

  /* No export name. */
  CHECK_AIO_FAILS (h, 512, 0, 0, EINVAL);
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  CHECK_INT (nbdcache_get_size (h), ==, -1);
  CHECK_ERROR ("nbdcache_get_size", EINVAL);

  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  /* count 0, flags, and ranges beyond 2^63-1: before get_size. */
  CHECK_AIO_FAILS (h, 0, 0, 0, EINVAL);
  CHECK_AIO_FAILS (h, 0, 4096, 0, EINVAL);
  CHECK_AIO_FAILS (h, 512, 0, 1, EINVAL);
  CHECK_AIO_FAILS (h, 512, 0, 0x80000000U, EINVAL);
  CHECK_AIO_FAILS (h, 2, (uint64_t) INT64_MAX, 0, EINVAL);
  CHECK_AIO_FAILS (h, UINT64_MAX, 0, 0, EINVAL);
  CHECK_AIO_FAILS (h, 1, UINT64_MAX, 0, EINVAL);
  CHECK_INT (nbdcache_cache (h, 0, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  CHECK_INT (nbdcache_cache (h, 512, 0, 2), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  /* An admin call on an empty export name (nbdcachectl refuses one
   * itself, so this is the only test of it).
   */
  CHECK_INT (nbdcache_pause_export (h, ""), ==, -1);
  CHECK_ERROR ("nbdcache_pause_export", EINVAL);
  CHECK_INT (nbdcache_resume_export (h, ""), ==, -1);
  CHECK_ERROR ("nbdcache_resume_export", EINVAL);

  /* Nothing was submitted by any of those. */
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);
  CHECK_INT (nbdcache_aio_peek_command_completed (h), ==, -1);

  /* The edges themselves are fine. */
  CHECK_OK (nbdcache_cache (h, 1, EXPORT_SIZE - 1, 0));
  CHECK_OK (nbdcache_cache (h, EXPORT_SIZE, 0, 0));
  CHECK_AIO_COMPLETES_WITH (h, 4096, EXPORT_SIZE - 4096, 0);
  nbdcache_close (h);
}

/* S, from a nbdcache_get_*_reply_json call, is the whole reply: it
 * starts with its list (PREFIX), holds NEEDLE, has no "ok", and left
 * nothing out of a list this short.
 */
static void
check_whole_reply (const char *s, const char *prefix, const char *needle)
{
  CHECK (s != NULL);
  CHECK (strncmp (s, prefix, strlen (prefix)) == 0);
  CHECK_CONTAINS (s, needle);
  CHECK (strstr (s, "\"ok\"") == NULL);
  CHECK (strstr (s, "omitted") == NULL);
}

/* Errors the daemon finds: they arrive as the command's error. */
static void
test_daemon_errors (void)
{
  struct nbdcache_handle *h;

  /* The daemon checks the end, whether or not the caller has asked
   * for the size (which may change: test-lib-resize).
   */
  h = connect_to (sock, "disk");
  CHECK_INT (nbdcache_cache (h, 1, EXPORT_SIZE, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  CHECK_INT (nbdcache_cache (h, 2, EXPORT_SIZE - 1, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  CHECK_AIO_COMPLETES_WITH (h, 4096, EXPORT_SIZE, EINVAL);
  CHECK_AIO_COMPLETES_WITH (h, 1, (uint64_t) INT64_MAX - 1, EINVAL);
  /* The handle carries on after command errors. */
  CHECK_OK (nbdcache_cache (h, 4096, 0, 0));
  CHECK_INT (nbdcache_get_size (h), ==, EXPORT_SIZE);
  CHECK_INT (nbdcache_cache (h, 4096, EXPORT_SIZE, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);
  CHECK_AIO_COMPLETES_WITH (h, 1, EXPORT_SIZE, EINVAL);
  CHECK_AIO_COMPLETES_WITH (h, EXPORT_SIZE + 1, 0, EINVAL);

  /* An export the daemon does not have. */
  CHECK_OK (nbdcache_set_export_name (h, "nosuch"));
  CHECK_INT (nbdcache_get_size (h), ==, -1);
  CHECK_ERROR ("nbdcache_get_size", ENOENT);
  CHECK_CONTAINS (nbdcache_get_error (), "nosuch");
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", ENOENT);
  CHECK_AIO_COMPLETES_WITH (h, 512, 0, ENOENT);
  CHECK_INT (nbdcache_aio_in_flight (h), ==, 0);

  /* And back: the handle still works. */
  CHECK_OK (nbdcache_set_export_name (h, "disk"));
  CHECK_OK (nbdcache_cache (h, 512, 0, 0));

  /* A command keeps the export it was submitted with. */
  {
    struct cmd good = { .retire = 1 }, bad = { .retire = 1 };

    CHECK_OK (nbdcache_aio_cache (h, 512, 0, cmd_completion (&good), 0));
    CHECK_OK (nbdcache_set_export_name (h, "nosuch"));
    CHECK_OK (nbdcache_aio_cache (h, 512, 0, cmd_completion (&bad), 0));
    CHECK_OK (nbdcache_set_export_name (h, "disk"));
    while (nbdcache_aio_in_flight (h) > 0)
      CHECK_OK (nbdcache_poll (h, -1));
    CHECK_INT (good.calls, ==, 1);
    CHECK_INT (good.error, ==, 0);
    CHECK_INT (good.frees, ==, 1);
    CHECK_INT (bad.calls, ==, 1);
    CHECK_INT (bad.error, ==, ENOENT);
    CHECK_INT (bad.frees, ==, 1);
  }
  nbdcache_close (h);
}

/* The info calls return JSON the caller frees. */
static void
test_info (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  char *s;

  s = nbdcache_get_exports_json (h);
  CHECK (s != NULL);
  CHECK (s[0] == '[');
  CHECK_CONTAINS (s, "\"disk\"");
  free (s);
  s = nbdcache_get_stats_json (h);
  CHECK (s != NULL);
  CHECK (s[0] == '{');
  CHECK (strstr (s, "\"ok\"") == NULL);
  free (s);
  /* The whole replies: the list, without "id" and "ok", and with
   * nothing left out of so short a list.
   */
  s = nbdcache_get_exports_reply_json (h);
  check_whole_reply (s, "{\"exports\":[", "\"disk\"");
  CHECK (strstr (s, "\"id\"") == NULL);   /* a client's has ids */
  free (s);
  s = nbdcache_get_clients_reply_json (h);
  check_whole_reply (s, "{\"clients\":[", "\"libnbdcache ");
  free (s);
  nbdcache_close (h);
}

static volatile sig_atomic_t alarms;

static void
on_alarm (int sig)
{
  (void) sig;
  alarms++;
}

/* Deliver SIGALRM after FIRST_US microseconds, then every
 * INTERVAL_US (0: once).
 */
static void
set_alarm (long first_us, long interval_us)
{
  struct itimerval it = {
    .it_value = { .tv_sec = first_us / 1000000,
                  .tv_usec = first_us % 1000000 },
    .it_interval = { .tv_sec = interval_us / 1000000,
                     .tv_usec = interval_us % 1000000 },
  };

  CHECK_INT (setitimer (ITIMER_REAL, &it, NULL), ==, 0);
}

/* A caught signal makes nbdcache_poll return -1 with EINTR, as poll(2)
 * and nbd_poll(3) do, not 1 ("progress"); the handle stays usable.
 * The synchronous calls wait on through signals.
 */
static void
test_signals (void)
{
  struct nbdcache_handle *h = connect_to (sock, "disk");
  struct sigaction sa = { .sa_handler = on_alarm };
  char *s;
  int i;

  CHECK_INT (sigaction (SIGALRM, &sa, NULL), ==, 0);

  set_alarm (100000, 0);
  CHECK_INT (nbdcache_poll (h, 10000), ==, -1);
  CHECK_ERROR ("nbdcache_poll", EINTR);
  CHECK_INT (alarms, ==, 1);
  CHECK_INT (nbdcache_poll (h, 0), ==, 0);

  set_alarm (1000, 1000);
  for (i = 0; i < 100; i++) {
    CHECK_OK (nbdcache_cache (h, 1024 * 1024, 0, 0));
    s = nbdcache_get_stats_json (h);
    CHECK (s != NULL);
    free (s);
  }
  set_alarm (0, 0);
  CHECK_INT (alarms, >, 1);

  /* Not SIG_DFL: a signal already generated may still be delivered
   * (valgrind delays them), and would kill the test.
   */
  sa.sa_handler = SIG_IGN;
  CHECK_INT (sigaction (SIGALRM, &sa, NULL), ==, 0);
  nbdcache_close (h);
}

static char main_error[512];
static int main_errno;

/* Runs in a new thread: it starts with no error, and its own errors
 * stay its own.
 */
static void *
other_thread (void *arg)
{
  struct nbdcache_handle *h;

  CHECK (nbdcache_get_error () == NULL);
  CHECK_INT (nbdcache_get_errno (), ==, 0);
  h = nbdcache_create ();
  CHECK (h != NULL);
  CHECK_INT (nbdcache_poll (h, 0), ==, -1);
  CHECK_ERROR ("nbdcache_poll", ENOTCONN);
  nbdcache_close (h);
  return NULL;
}

static void
test_errors_per_thread (void)
{
  struct nbdcache_handle *h = nbdcache_create ();
  pthread_t t;

  CHECK (h != NULL);
  CHECK_INT (nbdcache_set_export_name (h, ""), ==, -1);
  CHECK_ERROR ("nbdcache_set_export_name", EINVAL);
  snprintf (main_error, sizeof main_error, "%s", nbdcache_get_error ());
  main_errno = nbdcache_get_errno ();

  CHECK_INT (pthread_create (&t, NULL, other_thread, NULL), ==, 0);
  CHECK_INT (pthread_join (t, NULL), ==, 0);

  CHECK_STR (nbdcache_get_error (), main_error);
  CHECK_INT (nbdcache_get_errno (), ==, main_errno);
  nbdcache_close (h);
}

/* A completion callback that calls into another handle, which is
 * allowed: user_data is that handle.
 */
static int
ask_other_handle (void *user_data, int *error)
{
  CHECK_INT (nbdcache_aio_in_flight (user_data), ==, 0);
  return 1;
}

/* The errors of a call name that call, even when a callback it ran
 * made calls of its own on another handle.
 */
static void
test_errors_after_nested_calls (void)
{
  struct nbdcache_handle *h = connect_to (sock, "nosuch");
  struct nbdcache_handle *other = connect_to (sock, "disk");
  nbdcache_completion_callback cb = {
    .callback = ask_other_handle, .user_data = other,
  };

  /* The daemon answers in order: the first command's error, and so
   * its callback, comes inside nbdcache_cache, before its own.
   */
  CHECK_OK (nbdcache_aio_cache (h, 512, 0, cb, 0));
  CHECK_INT (nbdcache_cache (h, 512, 0, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", ENOENT);
  nbdcache_close (other);
  nbdcache_close (h);
}

int
main (int argc, char *argv[])
{
  check_usage (argc, argv, 1, "SOCKET");
  sock = argv[1];

  /* A new thread has no error. */
  CHECK (nbdcache_get_error () == NULL);
  CHECK_INT (nbdcache_get_errno (), ==, 0);

  test_not_connected ();
  test_export_names ();
  test_connect_errors ();
  test_submit_errors ();
  test_daemon_errors ();
  test_info ();
  test_signals ();
  test_errors_per_thread ();
  test_errors_after_nested_calls ();
  printf ("test-lib-errors: ok\n");
  return 0;
}
