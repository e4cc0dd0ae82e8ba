/* nbdcached tests: a handle that learnt an export's size must not hold
 * on to it (see test-lib-resize.sh).  The daemon learns the size from
 * the NBD server each time it connects, so it changes when the server
 * comes back with another size; only the daemon knows the size now.
 *
 * Usage: test-lib-resize SOCKET
 *
 * The program learns the size of "disk" (1G), says "grow" on stdout and
 * waits for a line on stdin, by which time the wrapper has replaced the
 * server with one of 2G and the daemon has seen it.  A range beyond the
 * old end must then be warmed, by both calls; one beyond the new end
 * still fails, as the command's error.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nbdcache.h"
#include "test-lib.h"

#define GiB (1024 * 1024 * 1024LL)
#define MiB (1024 * 1024LL)

int
main (int argc, char *argv[])
{
  struct nbdcache_handle *h = connect_disk (argc, argv);
  struct cmd c = { .retire = 0 };
  int64_t cookie;
  char line[16];

  CHECK_INT (nbdcache_get_size (h), ==, 1 * GiB);

  printf ("grow\n");
  fflush (stdout);
  CHECK (fgets (line, sizeof line, stdin) != NULL);

  /* Past the old end, within the new one. */
  CHECK_OK (nbdcache_cache (h, MiB, 3 * GiB / 2, 0));
  cookie = nbdcache_aio_cache (h, MiB, 3 * GiB / 2 + MiB, cmd_completion (&c),
                               0);
  CHECK_OK (cookie);
  while (nbdcache_aio_in_flight (h) > 0)
    CHECK_OK (nbdcache_poll (h, -1));
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.error, ==, 0);
  CHECK_INT (nbdcache_aio_command_completed (h, (uint64_t) cookie), ==, 1);

  /* Past the new end: the daemon refuses it. */
  CHECK_INT (nbdcache_cache (h, MiB, 2 * GiB, 0), ==, -1);
  CHECK_ERROR ("nbdcache_cache", EINVAL);

  CHECK_INT (nbdcache_get_size (h), ==, 2 * GiB);
  nbdcache_close (h);
  exit (EXIT_SUCCESS);
}
