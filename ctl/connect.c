/* nbdcachectl: opening a connection to the daemon. */
#include <config.h>

#include <stdlib.h>

#include "ctl.h"

/* Connect to the daemon at socket_path (NULL: libnbdcache's default)
 * for EXPORT_NAME, or for no export when it is NULL (enough for
 * "exports" and "stats").  The --timeout deadline starts here.
 * Returns a handle the caller closes with disconnect_daemon, or
 * reports the error and returns NULL.
 */
struct nbdcache_handle *
connect_daemon (const char *export_name)
{
  struct nbdcache_handle *h;

  deadline_waiting_for ("connecting to the daemon");
  if (deadline_start () == -1)
    return NULL;
  h = nbdcache_create ();
  if (h == NULL) {
    library_error ();
    deadline_stop ();
    return NULL;
  }
  if (export_name && nbdcache_set_export_name (h, export_name) == -1)
    goto err;
  if (nbdcache_connect (h, socket_path) == -1)
    goto err;
  return h;

 err:
  library_error ();
  disconnect_daemon (h);
  return NULL;
}

/* Close H: nbdcachectl is done with the daemon, and the --timeout
 * deadline ends.
 */
void
disconnect_daemon (struct nbdcache_handle *h)
{
  nbdcache_close (h);
  deadline_stop ();
}
