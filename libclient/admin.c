/* libnbdcache: the admin requests (clients, pause, resume, reload).
 *
 * The daemon allows them only to root and to its own user; anyone
 * else gets EPERM, which these calls pass on like any error reply.
 */
#include <config.h>

#include "internal.h"

char *
nbdcache_get_clients_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_CLIENTS, "clients", false);
}

char *
nbdcache_get_clients_reply_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_CLIENTS, "clients", true);
}

/* Pause or resume EXPORT_NAME, checked as nbdcache_set_export_name
 * checks names, so that a bad one fails here and not in the daemon.
 */
static int
export_op (struct nbdcache_handle *h, enum nbdc_op op,
           const char *export_name)
{
  if (check_export_name (export_name) == -1)
    return -1;
  return query_ok (h, op, export_name);
}

int
nbdcache_pause_export (struct nbdcache_handle *h, const char *export_name)
{
  ENTER_CALL ();
  return export_op (h, NBDC_OP_PAUSE, export_name);
}

int
nbdcache_resume_export (struct nbdcache_handle *h, const char *export_name)
{
  ENTER_CALL ();
  return export_op (h, NBDC_OP_RESUME, export_name);
}

int
nbdcache_reload (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_ok (h, NBDC_OP_RELOAD, NULL);
}
