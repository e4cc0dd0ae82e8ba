/* nbdcached: what each local user (uid) holds in the daemon, for the
 * limits that apply to a user's connections together: max-user-clients
 * (its connections), max-user-requests (its requests not yet
 * completed) and max-client-output (their unread replies, client.c).
 * Main thread only.
 *
 * A user is created with its first connection and freed with its
 * last.  Few users are connected at a time, and they are looked up
 * only when a connection is accepted: each client then points at its
 * user, so that counting a request costs no lookup.
 */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>

#include "internal.h"

/* The log says that a user is held at most this often. */
#define USER_WARN_INTERVAL (UINT64_C (10) * 1000000000)

struct user_list users = LIST_HEAD_INITIALIZER (users);

/* The user UID if it has a connection, else NULL. */
struct user *
user_find (uid_t uid)
{
  struct user *user;

  LIST_FOREACH (user, &users, entry)
    if (user->uid == uid)
      return user;
  return NULL;
}

/* Count CLIENT (its uid set, not yet attached) among its user's
 * connections, creating the user if it is its first.  Returns 0, or
 * -1 when out of memory (nothing changed).
 */
int
user_attach (struct client *client)
{
  struct user *user = user_find (client->uid);

  if (user == NULL) {
    user = calloc (1, sizeof *user);
    if (user == NULL)
      return -1;
    user->uid = client->uid;
    LIST_INIT (&user->shares);
    TAILQ_INIT (&user->clients);
    TAILQ_INIT (&user->waiting);
    LIST_INSERT_HEAD (&users, user, entry);
  }
  TAILQ_INSERT_TAIL (&user->clients, client, user_entry);
  user->nr_clients++;
  client->user = user;
  return 0;
}

/* Take CLIENT, closed and without requests, out of its user; free the
 * user with its last connection.
 */
void
user_detach (struct client *client)
{
  struct user *user = client->user;

  user_unwait (client);
  TAILQ_REMOVE (&user->clients, client, user_entry);
  client->user = NULL;
  if (--user->nr_clients == 0) {
    LIST_REMOVE (user, entry);
    shares_free (user);
    free (user);
  }
}

/* Has USER (not root) as many requests not yet completed as
 * max-user-requests allows?  Its connections are then not read from
 * until one completes.
 */
bool
user_requests_full (const struct user *user)
{
  return user->uid != 0 && user->requests >= cfg.max_user_requests;
}

/* CLIENT is held because its user is at max-user-requests: queue it
 * to be read again when a request of the user completes (in turn,
 * oldest first, so that each of the user's connections gets its share).
 * Logs that the user is held, at most once every USER_WARN_INTERVAL
 * per user, with how often since the last line.
 */
void
user_wait (struct client *client)
{
  struct user *user = client->user;
  uint64_t now = now_ns ();

  if (!client->user_waiting) {
    TAILQ_INSERT_TAIL (&user->waiting, client, wait_entry);
    client->user_waiting = true;
  }
  user->times_held++;
  if (user->warned_ns == 0 || now - user->warned_ns >= USER_WARN_INTERVAL) {
    log_warnx ("uid %u has %" PRIu64 " requests in flight "
               "(max-user-requests): not reading its cache requests "
               "until some complete (held %" PRIu64 " time%s since the "
               "last such line)", (unsigned) user->uid, user->requests,
               user->times_held, user->times_held == 1 ? "" : "s");
    user->warned_ns = now;
    user->times_held = 0;
  }
}

/* Take CLIENT out of its user's queue of connections held, if it is
 * there.
 */
void
user_unwait (struct client *client)
{
  if (client->user_waiting) {
    TAILQ_REMOVE (&client->user->waiting, client, wait_entry);
    client->user_waiting = false;
  }
}

/* The next of USER's connections held at max-user-requests, taken out
 * of the queue, if the user has room for one more request besides the
 * HANDED_OUT connections the caller has already taken from it; else
 * NULL.  Taking them until NULL hands out exactly the room there is:
 * a user held at the limit wakes one connection per completion, not
 * all of them each time, and a reload that raises the limit wakes as
 * many as it makes room for.
 */
struct client *
user_next_waiting (struct user *user, unsigned handed_out)
{
  struct client *next;

  if (user->uid != 0 &&
      user->requests + handed_out >= cfg.max_user_requests)
    return NULL;
  next = TAILQ_FIRST (&user->waiting);
  if (next != NULL)
    user_unwait (next);
  return next;
}
