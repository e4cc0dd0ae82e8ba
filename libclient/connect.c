/* libnbdcache: connecting to the daemon and the version handshake. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "default-socket.h"
#include "internal.h"

/* Open a connected, non-blocking, close-on-exec socket to PATH.
 * Returns the fd or -1 with the error set.
 */
static int
open_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd, r;

  /* An empty sun_path would name a socket in the abstract namespace,
   * where anyone may listen: never the daemon.
   */
  if (path[0] == '\0') {
    set_error (EINVAL, "the socket path is empty");
    return -1;
  }
  if (strlen (path) >= sizeof addr.sun_path) {
    set_error (ENAMETOOLONG, "socket path is too long: %s", path);
    return -1;
  }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd == -1) {
    set_error (errno, "socket: %s", strerror (errno));
    return -1;
  }
  /* A signal can interrupt a connect that waits for room in the
   * daemon's listen queue.  On Linux an AF_UNIX socket is then left
   * unconnected (nothing goes on in the background, as it would for
   * TCP), so connecting again is right.
   */
  while ((r = connect (fd, (struct sockaddr *) &addr, sizeof addr)) == -1 &&
         errno == EINTR)
    ;
  if (r == -1) {
    int e = errno;
    set_error (e, "%s: %s%s", path, strerror (e),
               e == ENOENT || e == ECONNREFUSED ?
               " (is nbdcached running?)" : "");
    close (fd);
    return -1;
  }
  if (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK) == -1) {
    set_error (errno, "fcntl: %s", strerror (errno));
    close (fd);
    return -1;
  }
  return fd;
}

/* Send hello and check the version the daemon chose.  Lock held. */
static int
handshake (struct nbdcache_handle *h)
{
  struct query q = { .id = h->next_id++ };
  struct nbdc_error err;
  int r = -1;

  if (nbdc_encode_hello (&h->wbuf, q.id, NBDC_PROTO_VERSION,
                         "libnbdcache " PACKAGE_VERSION) == -1) {
    set_error (ENOMEM, "out of memory");
    return -1;
  }
  if (run_query (h, &q) == -1)
    return -1;
  if (nbdc_get_u64 (q.reply.root, "version", &h->version, &err) == -1)
    set_error (EPROTO, "hello reply: %s", err.message);
  else if (h->version < NBDC_PROTO_VERSION_MIN ||
           h->version > NBDC_PROTO_VERSION)
    set_error (EPROTONOSUPPORT, "daemon chose protocol version %llu, "
               "this library speaks %d to %d",
               (unsigned long long) h->version,
               NBDC_PROTO_VERSION_MIN, NBDC_PROTO_VERSION);
  else
    r = 0;
  nbdc_message_free (&q.reply);
  return r;
}

int
nbdcache_connect (struct nbdcache_handle *h, const char *socket_path)
{
  CLEANUP_FREE char *path = NULL;

  ENTER_CALL ();
  if (socket_path == NULL) {
    path = default_socket_path ();
    if (path == NULL) {
      set_error (errno, "no socket path given, and no default: %s",
                 errno == ENOENT ?
                 "set NBDCACHE_SOCKET or XDG_RUNTIME_DIR" : strerror (errno));
      return -1;
    }
    socket_path = path;
  }

  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (h->fd >= 0 || h->dead_errno != 0) {
    set_error (EISCONN, "this handle is already connected, or was");
    return -1;
  }
  h->fd = open_socket (socket_path);
  if (h->fd == -1)
    return -1;
  if (handshake (h) == -1) {
    int e = errno;
    if (h->fd >= 0)
      connection_lost (h, e, "handshake failed");
    errno = e;
    return -1;
  }
  return 0;
}
