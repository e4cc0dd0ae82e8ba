/* libnbdcache: the table of cache commands and their retirement. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"

/* Binary search: cookies are appended in increasing order, so the
 * table stays sorted.  Returns NULL if COOKIE is not in the table.
 * Lock held.
 */
struct command *
find_command (struct nbdcache_handle *h, uint64_t cookie, size_t *index)
{
  size_t lo = 0, hi = h->cmds.len;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t c = h->cmds.ptr[mid]->cookie;

    if (c == cookie) {
      if (index)
        *index = mid;
      return h->cmds.ptr[mid];
    }
    if (c < cookie)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* Mark CMD completed with ERROR (and the daemon's ERRMSG, which may
 * be NULL) and call its callback, exactly once.  If the callback
 * returns 1 the command is retired at once.  Lock held.
 */
void
complete_command (struct nbdcache_handle *h, struct command *cmd, int error,
                  const char *errmsg)
{
  size_t index;

  if (cmd->completed)
    return;
  cmd->completed = true;
  cmd->error = error;
  if (error != 0 && errmsg != NULL && *errmsg != '\0')
    cmd->errmsg = strdup (errmsg);
  h->in_flight--;
  if (cmd->cb.callback != NULL) {
    int err = error;
    int r = cmd->cb.callback (cmd->cb.user_data, &err);

    cmd->error = err;
    if (r == 1 && find_command (h, cmd->cookie, &index) != NULL)
      retire_command (h, index);
  }
}

/* Remove the command at INDEX, calling .free exactly once.  A command
 * retired before it completed (only at close) completes first.  Lock
 * held.
 */
void
retire_command (struct nbdcache_handle *h, size_t index)
{
  struct command *cmd = h->cmds.ptr[index];

  if (!cmd->completed) {
    cmd->completed = true;
    h->in_flight--;
  }
  command_list_remove (&h->cmds, index);
  if (cmd->cb.free != NULL)
    cmd->cb.free (cmd->cb.user_data);
  free (cmd->errmsg);
  free (cmd);
}

/* Make a failed command's error the thread's last error, before it is
 * retired.
 */
void
set_command_error (const struct command *cmd)
{
  set_error (cmd->error, "cache command %llu failed: %s%s%s",
             (unsigned long long) cmd->cookie, strerror (cmd->error),
             cmd->errmsg ? ": " : "", cmd->errmsg ? cmd->errmsg : "");
}

/* Complete every command still in flight with ERROR and ERRMSG (as
 * the daemon's message).  Iterates by cookie because callbacks may
 * retire commands.  Lock held.
 */
void
fail_all_commands (struct nbdcache_handle *h, int error, const char *errmsg)
{
  size_t i = 0;

  while (i < h->cmds.len) {
    struct command *cmd = h->cmds.ptr[i];
    uint64_t cookie = cmd->cookie;

    complete_command (h, cmd, error, errmsg);
    if (i < h->cmds.len && h->cmds.ptr[i]->cookie == cookie)
      i++;
  }
}

int
nbdcache_aio_command_completed (struct nbdcache_handle *h, uint64_t cookie)
{
  struct command *cmd;
  size_t index;
  int error;

  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  cmd = find_command (h, cookie, &index);
  if (cmd == NULL || cmd->sync) {
    set_error (EINVAL, "cookie %llu is not in flight or was already retired",
               (unsigned long long) cookie);
    return -1;
  }
  if (!cmd->completed)
    return 0;
  error = cmd->error;
  if (error != 0)
    set_command_error (cmd);
  retire_command (h, index);
  return error != 0 ? -1 : 1;
}

int64_t
nbdcache_aio_peek_command_completed (struct nbdcache_handle *h)
{
  bool any = false;

  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);

  for (size_t i = 0; i < h->cmds.len; i++) {
    if (h->cmds.ptr[i]->sync)
      continue;               /* a thread in nbdcache_cache owns it */
    if (h->cmds.ptr[i]->completed)
      return (int64_t) h->cmds.ptr[i]->cookie;
    any = true;
  }
  if (any)
    return 0;
  set_error (EINVAL, "no commands are in flight");
  return -1;
}

int64_t
nbdcache_aio_in_flight (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  return (int64_t) h->in_flight;
}
