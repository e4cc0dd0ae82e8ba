/* libnbdcache: creating, naming and closing handles. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"

struct nbdcache_handle *
nbdcache_create (void)
{
  struct nbdcache_handle *h;

  ENTER_CALL ();
  h = calloc (1, sizeof *h);
  if (h == NULL) {
    set_error (errno, "calloc: %s", strerror (errno));
    return NULL;
  }
  h->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (h->wake_fd == -1) {
    set_error (errno, "eventfd: %s", strerror (errno));
    free (h);
    return NULL;
  }
  pthread_mutex_init (&h->lock, NULL);
  pthread_cond_init (&h->progress, NULL);
  h->fd = -1;
  h->next_id = 1;
  return h;
}

/* Complete what is outstanding with ENOTCONN, as libnbd does when a
 * handle is closed, then release everything.  The caller promises no
 * other thread is using H.
 */
void
nbdcache_close (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  if (h == NULL)
    return;
  pthread_mutex_lock (&h->lock);
  if (h->fd >= 0)
    connection_lost (h, ENOTCONN, "handle closed");
  while (h->cmds.len > 0)
    retire_command (h, h->cmds.len - 1);
  pthread_mutex_unlock (&h->lock);

  command_list_reset (&h->cmds);
  query_ids_reset (&h->abandoned);
  strbuf_reset (&h->wbuf);
  strbuf_reset (&h->rbuf);
  free (h->export_name);
  close (h->wake_fd);
  pthread_cond_destroy (&h->progress);
  pthread_mutex_destroy (&h->lock);
  free (h);
}

/* Whether NAME could name an export: not empty, not too long, UTF-8.
 * Returns 0, or -1 with the error set.  Any thread, no lock.
 */
int
check_export_name (const char *name)
{
  size_t len;

  if (name == NULL || name[0] == '\0') {
    set_error (EINVAL, "export name must not be empty");
    return -1;
  }
  len = strlen (name);
  if (len > NBDC_MAX_EXPORT_NAME) {
    set_error (EINVAL, "export name longer than %d bytes",
               NBDC_MAX_EXPORT_NAME);
    return -1;
  }
  if (!nbdc_utf8_valid (name, len)) {
    set_error (EINVAL, "export name is not valid UTF-8");
    return -1;
  }
  return 0;
}

int
nbdcache_set_export_name (struct nbdcache_handle *h, const char *name)
{
  char *copy;

  ENTER_CALL ();
  if (check_export_name (name) == -1)
    return -1;
  copy = strdup (name);
  if (copy == NULL) {
    set_error (errno, "strdup: %s", strerror (errno));
    return -1;
  }
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  free (h->export_name);
  h->export_name = copy;
  return 0;
}

char *
nbdcache_get_export_name (struct nbdcache_handle *h)
{
  char *copy;

  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (h->export_name == NULL) {
    set_error (EINVAL, "no export name has been set");
    return NULL;
  }
  copy = strdup (h->export_name);
  if (copy == NULL)
    set_error (errno, "strdup: %s", strerror (errno));
  return copy;
}
