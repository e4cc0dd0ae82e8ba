/* nbdcached: which of a peer's ids (SO_PEERCRED, SO_PEERGROUPS) can
 * be trusted to name that peer.  Main thread only.
 *
 * The kernel gives a peer's ids as the daemon's user namespace sees
 * them.  An id that namespace does not map becomes the overflow id
 * (/proc/sys/kernel/overflowuid and overflowgid, 65534: "nobody" and
 * "nogroup" on Debian).  In the initial namespace every id is mapped,
 * so the overflow ids are real ones; in a container, whose namespace
 * maps only some ids, they are also every peer it does not map (a
 * host process, through a socket shared with the container), whoever
 * that is.  Then they name nobody in particular: allow-users,
 * allow-groups and the admin check must not match them.
 */
#include <config.h>

#include <stdio.h>

#include "internal.h"

#define DEFAULT_OVERFLOW_ID 65534

static bool maps_all_uids, maps_all_gids;
static unsigned overflow_uid = DEFAULT_OVERFLOW_ID;
static unsigned overflow_gid = DEFAULT_OVERFLOW_ID;

/* Does the id map PATH (/proc/self/uid_map) map every id, as the
 * initial namespace's "0 0 4294967295" does?  Unreadable counts as
 * no: an overflow id then names nobody in particular.
 */
static bool
maps_every_id (const char *path)
{
  FILE *fp = fopen (path, "r");
  unsigned long inside, outside, count;
  int c, n;
  bool all;

  if (fp == NULL)
    return false;
  n = fscanf (fp, "%lu %lu %lu", &inside, &outside, &count);
  while ((c = getc (fp)) != EOF && (c == ' ' || c == '\n'))
    ;
  all = n == 3 && inside == 0 && count == 4294967295UL && c == EOF;
  fclose (fp);
  return all;
}

/* The overflow id in PATH, or 65534 where it cannot be read (systemd's
 * ProcSubset=pid hides /proc/sys).
 */
static unsigned
read_overflow_id (const char *path)
{
  FILE *fp = fopen (path, "r");
  unsigned id;

  if (fp == NULL)
    return DEFAULT_OVERFLOW_ID;
  if (fscanf (fp, "%u", &id) != 1)
    id = DEFAULT_OVERFLOW_ID;
  fclose (fp);
  return id;
}

/* Learn the daemon's user namespace, once, at start. */
void
peer_ids_init (void)
{
  maps_all_uids = maps_every_id ("/proc/self/uid_map");
  maps_all_gids = maps_every_id ("/proc/self/gid_map");
  overflow_uid = read_overflow_id ("/proc/sys/kernel/overflowuid");
  overflow_gid = read_overflow_id ("/proc/sys/kernel/overflowgid");
  if (!maps_all_uids || !maps_all_gids)
    log_info ("this user namespace does not map every id: peers with "
              "uid %u or gid %u match no allow-users or allow-groups",
              overflow_uid, overflow_gid);
}

/* Does UID, as SO_PEERCRED gave it, name the peer's user? */
bool
peer_uid_known (uid_t uid)
{
  return maps_all_uids || uid != overflow_uid;
}

/* Does GID, from SO_PEERCRED or SO_PEERGROUPS, name a group the peer
 * is in?
 */
bool
peer_gid_known (gid_t gid)
{
  return maps_all_gids || gid != overflow_gid;
}
