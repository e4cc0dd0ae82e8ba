/* nbdcached: where the daemon listens when no path is given. */
#ifndef NBDCACHED_COMMON_DEFAULT_SOCKET_H
#define NBDCACHED_COMMON_DEFAULT_SOCKET_H

#define NBDCACHE_SYSTEM_SOCKET "/run/nbdcached/nbdcached.sock"
#define NBDCACHE_SOCKET_NAME "nbdcached.sock"

/* Return the default socket path in a new string the caller frees:
 * $NBDCACHE_SOCKET if set and non-empty; else NBDCACHE_SYSTEM_SOCKET
 * for root; else $XDG_RUNTIME_DIR/nbdcached.sock.  Returns NULL with
 * errno = ENOENT when none applies (a non-root user without
 * XDG_RUNTIME_DIR), or ENOMEM.  Used by the daemon and libnbdcache
 * alike, so that both agree.
 */
char *default_socket_path (void);

#endif /* NBDCACHED_COMMON_DEFAULT_SOCKET_H */
