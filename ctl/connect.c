/* nbdcachectl: opening a connection to the daemon. */
#include <config.h>

#include <stdlib.h>

#include "ctl.h"

/* Connect to the daemon at socket_path (NULL: libnbdcache's default)
 * for EXPORT_NAME, or for no export when it is NULL (enough for
 * "exports" and "stats").  Returns a handle the caller closes with
 * nbdcache_close, or reports the error and returns NULL.
 */
struct nbdcache_handle *
connect_daemon (const char *export_name)
{
  struct nbdcache_handle *h;

  h = nbdcache_create ();
  if (h == NULL) {
    library_error ();
    return NULL;
  }
  if (export_name && nbdcache_set_export_name (h, export_name) == -1)
    goto err;
  if (nbdcache_connect (h, socket_path) == -1)
    goto err;
  return h;

 err:
  library_error ();
  nbdcache_close (h);
  return NULL;
}
