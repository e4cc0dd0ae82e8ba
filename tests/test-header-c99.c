/* nbdcached tests: <nbdcache.h> compiles as strict C99 (-std=c99
 * -pedantic -Werror), its macros have the documented values, and its
 * calls link against libnbdcache.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include <nbdcache.h>

#if !defined (LIBNBDCACHE_HAVE_NBDCACHE_CREATE) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_CLOSE) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_GET_ERROR) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_GET_ERRNO) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_SET_EXPORT_NAME) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_GET_EXPORT_NAME) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_CONNECT) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_GET_SIZE) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_GET_EXPORTS_JSON) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_GET_STATS_JSON) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_AIO_CACHE) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_CACHE) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_POLL) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_AIO_GET_FD) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_AIO_GET_DIRECTION) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_AIO_COMMAND_COMPLETED) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_AIO_PEEK_COMMAND_COMPLETED) || \
  !defined (LIBNBDCACHE_HAVE_NBDCACHE_AIO_IN_FLIGHT)
#error "a LIBNBDCACHE_HAVE_* macro is missing"
#endif

#if LIBNBDCACHE_HAVE_NBDCACHE_AIO_CACHE != 1
#error "LIBNBDCACHE_HAVE_NBDCACHE_AIO_CACHE is not 1"
#endif

#if LIBNBDCACHE_VERSION_MAJOR != 0 || LIBNBDCACHE_VERSION_MINOR != 5
#error "unexpected LIBNBDCACHE_VERSION"
#endif

#if NBDCACHE_AIO_DIRECTION_READ != 1 || NBDCACHE_AIO_DIRECTION_WRITE != 2 || \
  NBDCACHE_AIO_DIRECTION_BOTH != 3 || NBDCACHE_AIO_DIRECTION_MASK != 3 || \
  NBDCACHE_CMD_FLAG_MASK != 0
#error "unexpected NBDCACHE_* constant"
#endif

int
main (void)
{
  nbdcache_completion_callback cb = NBDCACHE_NULL_COMPLETION;
  struct nbdcache_handle *h;
  int64_t (*aio_cache) (struct nbdcache_handle *, uint64_t, uint64_t,
                        nbdcache_completion_callback, uint32_t);

  if (cb.callback != 0 || cb.user_data != 0 || cb.free != 0) {
    fprintf (stderr, "NBDCACHE_NULL_COMPLETION is not all NULL\n");
    exit (EXIT_FAILURE);
  }

  /* Nothing to connect to: aio_cache fails with ENOTCONN. */
  aio_cache = nbdcache_aio_cache;
  h = nbdcache_create ();
  if (h == NULL) {
    fprintf (stderr, "%s\n", nbdcache_get_error ());
    exit (EXIT_FAILURE);
  }
  if (aio_cache (h, 512, 0, cb, 0) != -1 ||
      nbdcache_get_errno () == 0 || nbdcache_get_error () == NULL) {
    fprintf (stderr, "nbdcache_aio_cache did not fail without a connection\n");
    exit (EXIT_FAILURE);
  }
  nbdcache_close (h);
  printf ("test-header-c99: ok\n");
  return 0;
}
