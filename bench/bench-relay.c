/* bench-relay: the cheapest possible hop, for the latency benchmark.
 *
 *   bench-relay [--spin] LISTEN-SOCKET TARGET-SOCKET
 *
 * Accepts connections on the Unix socket LISTEN-SOCKET, one at a
 * time, connects each to TARGET-SOCKET and copies bytes both ways
 * until either side closes: no parsing and no work, one poll, one
 * recv and one send per message in each direction, as nbdcached's own
 * loop makes.  Run direct libnbd through it and the latency ratio
 * (relay / direct) is the floor that any process in the middle pays
 * on this machine for its extra sleeps and wake-ups; nbdcached's
 * ratio is read against it (README.md, "Performance").
 *
 * With --spin the relay never sleeps: it polls with a zero timeout in
 * a loop, the way a busy-polling proxy would trade a CPU for its
 * wake-ups.  The benchmark runs both, so that the floor it reports
 * is not an artefact of sleeping.
 *
 * Stops on SIGTERM or SIGINT (default action).  Not installed.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A Unix stream socket bound and listening on PATH (if LISTENING) or
 * connected to it.  Exits with a message on failure.
 */
static int
unix_socket (const char *path, int listening)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path) {
    fprintf (stderr, "bench-relay: %s: path too long\n", path);
    exit (EXIT_FAILURE);
  }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd == -1) {
    perror ("bench-relay: socket");
    exit (EXIT_FAILURE);
  }
  if (listening) {
    unlink (path);
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) == -1 ||
        listen (fd, 4) == -1) {
      fprintf (stderr, "bench-relay: %s: %s\n", path, strerror (errno));
      exit (EXIT_FAILURE);
    }
  }
  else if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == -1) {
    fprintf (stderr, "bench-relay: %s: %s\n", path, strerror (errno));
    exit (EXIT_FAILURE);
  }
  return fd;
}

/* Copy what FROM has to TO.  Returns 0, or -1 when either side has
 * closed or failed (the pair is then done).
 */
static int
copy_once (int from, int to)
{
  static char buf[65536];
  ssize_t n, off = 0;

  do
    n = recv (from, buf, sizeof buf, 0);
  while (n == -1 && errno == EINTR);
  if (n <= 0)
    return -1;
  while (off < n) {
    ssize_t w = send (to, buf + off, (size_t) (n - off), MSG_NOSIGNAL);

    if (w == -1 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    off += w;
  }
  return 0;
}

/* Relay between CLIENT and a new connection to TARGET until one ends. */
static void
relay (int client, const char *target, int spin)
{
  int server = unix_socket (target, 0);
  struct pollfd p[2] = {
    { .fd = client, .events = POLLIN },
    { .fd = server, .events = POLLIN },
  };

  for (;;) {
    if (poll (p, 2, spin ? 0 : -1) == -1) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[0].revents != 0 && copy_once (client, server) == -1)
      break;
    if (p[1].revents != 0 && copy_once (server, client) == -1)
      break;
  }
  close (server);
}

int
main (int argc, char *argv[])
{
  int listener, spin = 0;

  if (argc == 4 && strcmp (argv[1], "--spin") == 0) {
    spin = 1;
    argv++;
    argc--;
  }
  if (argc != 3) {
    fprintf (stderr, "usage: bench-relay [--spin] LISTEN-SOCKET TARGET-SOCKET\n");
    exit (EXIT_FAILURE);
  }
  listener = unix_socket (argv[1], 1);
  for (;;) {
    int client = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);

    if (client == -1) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      perror ("bench-relay: accept4");
      exit (EXIT_FAILURE);
    }
    relay (client, argv[2], spin);
    close (client);
  }
}
