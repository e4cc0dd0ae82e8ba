/* nbdcached: the default socket path shared by daemon and clients. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "default-socket.h"

char *
default_socket_path (void)
{
  const char *env = getenv ("NBDCACHE_SOCKET");
  const char *xdg;
  char *path;

  if (env != NULL && *env != '\0')
    return strdup (env);
  if (geteuid () == 0)
    return strdup (NBDCACHE_SYSTEM_SOCKET);
  xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg == NULL || *xdg == '\0') {
    errno = ENOENT;
    return NULL;
  }
  if (asprintf (&path, "%s/%s", xdg, NBDCACHE_SOCKET_NAME) == -1)
    return NULL;
  return path;
}
