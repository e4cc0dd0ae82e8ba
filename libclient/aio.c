/* libnbdcache: submitting cache commands. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"

/* Check the arguments of a cache command, as far as they can be
 * checked without the daemon.  Lock held.
 */
static int
check_cache_args (struct nbdcache_handle *h, uint64_t count,
                  uint64_t offset, uint32_t flags)
{
  if (check_connected (h) == -1)
    return -1;
  if (h->export_name == NULL) {
    set_error (EINVAL, "no export name: call nbdcache_set_export_name first");
    return -1;
  }
  if ((flags & ~NBDCACHE_CMD_FLAG_MASK) != 0) {
    set_error (EINVAL, "invalid flags 0x%x", flags);
    return -1;
  }
  if (count == 0) {
    set_error (EINVAL, "count must not be 0");
    return -1;
  }
  if (offset > NBDC_MAX_INTEGER || count > NBDC_MAX_INTEGER ||
      offset + count > NBDC_MAX_INTEGER) {
    set_error (EINVAL, "offset + count is larger than 2^63-1");
    return -1;
  }
  /* The end of the export is the daemon's to check: the size changes
   * whenever the export's server comes back with another, so a size
   * learnt earlier by nbdcache_get_size proves nothing now.
   */
  return 0;
}

/* The callback of a synchronous command whose caller gave up waiting
 * (nbdcache_cache): retire it as soon as it completes.
 */
static int
retire_when_done (void *user_data, int *error)
{
  return 1;
}

/* Queue a cache command.  Returns its cookie, or -1 with the error set
 * (the caller then calls cb.free).  Lock held.
 */
static int64_t
submit_cache (struct nbdcache_handle *h, uint64_t count, uint64_t offset,
              nbdcache_completion_callback cb, uint32_t flags, bool sync)
{
  struct command *cmd;
  uint64_t cookie;

  if (check_cache_args (h, count, offset, flags) == -1)
    return -1;
  cmd = calloc (1, sizeof *cmd);
  if (cmd == NULL || command_list_reserve (&h->cmds, 1) == -1) {
    free (cmd);
    set_error (ENOMEM, "out of memory");
    return -1;
  }
  cookie = cmd->cookie = h->next_id++;
  cmd->cb = cb;
  cmd->sync = sync;
  if (nbdc_encode_cache (&h->wbuf, cmd->cookie, h->export_name,
                         offset, count, flags) == -1) {
    free (cmd);
    set_error (ENOMEM, "out of memory");
    return -1;
  }
  command_list_append (&h->cmds, cmd);
  h->in_flight++;
  /* A lone command goes out at once, for latency.  Behind others it
   * waits for the next poll (the direction says WRITE meanwhile), so
   * a pipelining caller sends a whole window in one write instead of
   * one system call per command.
   *
   * If sending fails the connection is lost and the command has
   * already completed with ENOTCONN through its callback; it still
   * has a valid cookie, as libnbd's do in the same case.  (The
   * callback may have retired it, so CMD may be gone by now.)
   */
  if (h->in_flight == 1 || h->reading)
    queue_output (h);
  return (int64_t) cookie;
}

int64_t
nbdcache_aio_cache (struct nbdcache_handle *h, uint64_t count,
                    uint64_t offset, nbdcache_completion_callback cb,
                    uint32_t flags)
{
  int64_t cookie;

  ENTER_CALL ();
  pthread_mutex_lock (&h->lock);
  cookie = submit_cache (h, count, offset, cb, flags, false);
  pthread_mutex_unlock (&h->lock);
  if (cookie == -1 && cb.free != NULL) {
    int e = errno;
    cb.free (cb.user_data);
    errno = e;
  }
  return cookie;
}

int
nbdcache_cache (struct nbdcache_handle *h, uint64_t count, uint64_t offset,
                uint32_t flags)
{
  struct command *cmd;
  int64_t cookie;
  size_t index;
  int error;

  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  cookie = submit_cache (h, count, offset, NBDCACHE_NULL_COMPLETION, flags,
                         true);
  if (cookie == -1)
    return -1;
  for (;;) {
    cmd = find_command (h, (uint64_t) cookie, &index);
    if (cmd->completed)
      break;
    if (poll_locked_nointr (h) == -1) {
      cmd = find_command (h, (uint64_t) cookie, &index);
      if (!cmd->completed) {
        /* Nobody will wait for it now: it is retired when its
         * completion comes (or at close), and meanwhile still counts
         * in nbdcache_aio_in_flight, since the daemon is working on
         * it.
         */
        cmd->cb.callback = retire_when_done;
        return -1;
      }
      break;
    }
  }
  error = cmd->error;
  if (error != 0)
    set_command_error (cmd);
  retire_command (h, index);
  return error != 0 ? -1 : 0;
}
