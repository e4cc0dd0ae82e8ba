/* libnbdcache: the client library of nbdcached.
 *
 * Its calls mirror libnbd's: code that warms ranges with
 * nbd_aio_cache(3) switches to the shared daemon by changing the
 * "nbd_" prefix to "nbdcache_".  See nbdcache(3) for the rules on
 * errors, callbacks and threads, and one page per call.
 *
 * Compile with:  cc prog.c `pkg-config --cflags --libs nbdcache`
 */
#ifndef LIBNBDCACHE_NBDCACHE_H
#define LIBNBDCACHE_NBDCACHE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBNBDCACHE_VERSION_MAJOR 0
#define LIBNBDCACHE_VERSION_MINOR 5
#define LIBNBDCACHE_VERSION_RELEASE 0

/* An opaque connection to the daemon. */
struct nbdcache_handle;

/* Called exactly once when a command completes.  *error is 0 or an
 * errno value.  Return 1 to retire the command at once, 0 to leave it
 * for nbdcache_aio_command_completed.  .free, if set, is called
 * exactly once when the library no longer needs user_data, also when
 * the submitting call fails.
 */
typedef struct {
  int (*callback) (void *user_data, int *error);
  void *user_data;
  void (*free) (void *user_data);
} nbdcache_completion_callback;

#define NBDCACHE_NULL_COMPLETION \
  ((nbdcache_completion_callback) { .callback = 0, .user_data = 0, .free = 0 })

/* Flags of nbdcache_aio_cache and nbdcache_cache.  None are defined
 * yet, as in NBD_CMD_CACHE; pass 0.
 */
#define NBDCACHE_CMD_FLAG_MASK 0x0U

/* Results of nbdcache_aio_get_direction. */
#define NBDCACHE_AIO_DIRECTION_READ 1U
#define NBDCACHE_AIO_DIRECTION_WRITE 2U
#define NBDCACHE_AIO_DIRECTION_BOTH 3U
#define NBDCACHE_AIO_DIRECTION_MASK 3U

/* Handles. */
extern struct nbdcache_handle *nbdcache_create (void);
#define LIBNBDCACHE_HAVE_NBDCACHE_CREATE 1

extern void nbdcache_close (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_CLOSE 1

/* Errors: the last error of the calling thread. */
extern const char *nbdcache_get_error (void);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_ERROR 1

extern int nbdcache_get_errno (void);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_ERRNO 1

/* Connecting. */
extern int nbdcache_set_export_name (struct nbdcache_handle *h,
                                     const char *export_name);
#define LIBNBDCACHE_HAVE_NBDCACHE_SET_EXPORT_NAME 1

extern char *nbdcache_get_export_name (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_EXPORT_NAME 1

extern int nbdcache_connect (struct nbdcache_handle *h,
                             const char *socket_path);
#define LIBNBDCACHE_HAVE_NBDCACHE_CONNECT 1

/* Exports. */
extern int64_t nbdcache_get_size (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_SIZE 1

extern char *nbdcache_get_exports_json (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_EXPORTS_JSON 1

extern char *nbdcache_get_stats_json (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_STATS_JSON 1

extern char *nbdcache_get_exports_reply_json (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_EXPORTS_REPLY_JSON 1

/* Administration: only for root and the daemon's own user. */
extern char *nbdcache_get_clients_json (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_CLIENTS_JSON 1

extern char *nbdcache_get_clients_reply_json (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_GET_CLIENTS_REPLY_JSON 1

extern int nbdcache_pause_export (struct nbdcache_handle *h,
                                  const char *export_name);
#define LIBNBDCACHE_HAVE_NBDCACHE_PAUSE_EXPORT 1

extern int nbdcache_resume_export (struct nbdcache_handle *h,
                                   const char *export_name);
#define LIBNBDCACHE_HAVE_NBDCACHE_RESUME_EXPORT 1

extern int nbdcache_reload (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_RELOAD 1

/* Cache commands. */
extern int64_t nbdcache_aio_cache (struct nbdcache_handle *h,
                                   uint64_t count, uint64_t offset,
                                   nbdcache_completion_callback completion_callback,
                                   uint32_t flags);
#define LIBNBDCACHE_HAVE_NBDCACHE_AIO_CACHE 1

extern int nbdcache_cache (struct nbdcache_handle *h,
                           uint64_t count, uint64_t offset, uint32_t flags);
#define LIBNBDCACHE_HAVE_NBDCACHE_CACHE 1

/* Driving the connection. */
extern int nbdcache_poll (struct nbdcache_handle *h, int timeout);
#define LIBNBDCACHE_HAVE_NBDCACHE_POLL 1

extern int nbdcache_aio_get_fd (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_AIO_GET_FD 1

extern unsigned nbdcache_aio_get_direction (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_AIO_GET_DIRECTION 1

/* Completions. */
extern int nbdcache_aio_command_completed (struct nbdcache_handle *h,
                                           uint64_t cookie);
#define LIBNBDCACHE_HAVE_NBDCACHE_AIO_COMMAND_COMPLETED 1

extern int64_t nbdcache_aio_peek_command_completed (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_AIO_PEEK_COMMAND_COMPLETED 1

extern int64_t nbdcache_aio_in_flight (struct nbdcache_handle *h);
#define LIBNBDCACHE_HAVE_NBDCACHE_AIO_IN_FLIGHT 1

#ifdef __cplusplus
}
#endif

#endif /* LIBNBDCACHE_NBDCACHE_H */
