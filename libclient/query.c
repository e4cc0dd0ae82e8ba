/* libnbdcache: synchronous requests, each waiting for its reply
 * (hello, exports, stats and the admin requests).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"

struct query *
find_query (struct nbdcache_handle *h, uint64_t id)
{
  for (struct query *q = h->queries; q != NULL; q = q->next)
    if (q->id == id)
      return q;
  return NULL;
}

/* Is ID the id of a query whose caller gave up waiting (run_query)?
 * If so, forget it: its reply has come.  Lock held.
 */
bool
take_abandoned_query (struct nbdcache_handle *h, uint64_t id)
{
  for (size_t i = 0; i < h->abandoned.len; i++)
    if (h->abandoned.ptr[i] == id) {
      query_ids_remove (&h->abandoned, i);
      return true;
    }
  return false;
}

static void
unlink_query (struct nbdcache_handle *h, struct query *q)
{
  for (struct query **p = &h->queries; *p != NULL; p = &(*p)->next)
    if (*p == q) {
      *p = q->next;
      return;
    }
}

/* The reader found Q's reply: take ownership of MSG.  Lock held. */
void
finish_query (struct query *q, struct nbdc_message *msg)
{
  q->done = true;
  if (msg->ok) {
    q->errnum = 0;
    q->reply = *msg;
  }
  else {
    /* As cache commands do: the errno's text, then the daemon's
     * message, unless the message already says it.
     */
    const char *text = strerror (msg->errnum);
    const char *m = msg->errmsg[0] ? msg->errmsg : text;

    q->errnum = msg->errnum;
    if (strstr (m, text) != NULL)
      snprintf (q->errmsg, sizeof q->errmsg, "%s", m);
    else
      snprintf (q->errmsg, sizeof q->errmsg, "%s: %s", text, m);
    nbdc_message_free (msg);
  }
}

void
fail_all_queries (struct nbdcache_handle *h, int errnum, const char *why)
{
  for (struct query *q = h->queries; q != NULL; q = q->next) {
    if (!q->done) {
      q->done = true;
      q->errnum = errnum;
      snprintf (q->errmsg, sizeof q->errmsg, "%s", why);
    }
  }
}

/* Send the request already encoded at the end of wbuf under Q->id and
 * wait for its reply, driving the connection as needed.  Returns 0
 * with q->reply to be freed by the caller (nbdc_message_free), or -1
 * with the error set.  Lock held.
 */
int
run_query (struct nbdcache_handle *h, struct query *q)
{
  q->done = false;
  q->next = h->queries;
  h->queries = q;
  if (queue_output (h) == -1 && !q->done) {
    q->done = true;
    q->errnum = errno;
    snprintf (q->errmsg, sizeof q->errmsg, "%s", strerror (errno));
  }
  while (!q->done) {
    if (poll_locked_nointr (h) == -1 && !q->done) {
      /* Q lives on our stack, so it goes; but its reply will still
       * come, and must not look like a reply to nothing.  Without
       * memory to note that, the connection cannot be trusted either:
       * what is in flight fails for want of memory (ENOMEM), the
       * daemon broke nothing.
       */
      int e = errno;

      unlink_query (h, q);
      if (query_ids_append (&h->abandoned, q->id) == -1)
        connection_lost (h, ENOMEM, "out of memory to track a reply");
      errno = e;
      return -1;
    }
  }
  unlink_query (h, q);
  if (q->errnum != 0) {
    set_error (q->errnum, "%s", q->errmsg);
    return -1;
  }
  return 0;
}

/* Send OP, with the member "export": EXPORT unless EXPORT is NULL,
 * and wait for its reply.  Returns 0 with q->reply, which the caller
 * frees with nbdc_message_free, or -1 with the error set: an error
 * reply of the daemon is an error too.  Lock held.
 */
static int
send_op (struct nbdcache_handle *h, enum nbdc_op op, const char *export,
         struct query *q)
{
  int r;

  if (check_connected (h) == -1)
    return -1;
  *q = (struct query) { .id = h->next_id++ };
  if (export != NULL)
    r = nbdc_encode_export_op (&h->wbuf, q->id, op, export);
  else
    r = nbdc_encode_simple_op (&h->wbuf, q->id, op);
  if (r == -1) {
    set_error (ENOMEM, "out of memory");
    return -1;
  }
  return run_query (h, q);
}

/* Send OP (with EXPORT unless it is NULL) and check that the daemon
 * answered ok; the rest of the reply is dropped.  Returns 0 or -1
 * with the error set.  Takes the lock.
 */
int
query_ok (struct nbdcache_handle *h, enum nbdc_op op, const char *export)
{
  struct query q;

  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (send_op (h, op, export, &q) == -1)
    return -1;
  nbdc_message_free (&q.reply);
  return 0;
}

/* Ask the daemon about export NAME and return its size, or -1 with
 * the error set.  Lock held.
 *
 * The "exports" request names it, so that the reply holds it even on
 * a host with more exports than one reply lists; a daemon older than
 * that member refuses it with EINVAL, and is asked for the whole list.
 */
int64_t
lookup_export_size (struct nbdcache_handle *h, const char *name)
{
  struct query q;
  struct json_object *list, *e, *v;
  struct nbdc_error err;
  uint64_t size;
  int64_t r = -1;

  if (send_op (h, NBDC_OP_EXPORTS, name, &q) == -1 &&
      (nbdcache_get_errno () != EINVAL ||
       send_op (h, NBDC_OP_EXPORTS, NULL, &q) == -1))
    return -1;
  if (!json_object_object_get_ex (q.reply.root, "exports", &list) ||
      !json_object_is_type (list, json_type_array)) {
    set_error (EPROTO, "the daemon's exports reply has no list");
    goto out;
  }
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    e = json_object_array_get_idx (list, i);
    if (!json_object_object_get_ex (e, "name", &v) ||
        !json_object_is_type (v, json_type_string) ||
        strcmp (json_object_get_string (v), name) != 0)
      continue;
    if (!json_object_object_get_ex (e, "size", NULL)) {
      set_error (ENOTCONN, "export \"%s\" has not yet connected to its server",
                 name);
      goto out;
    }
    if (nbdc_get_u64 (e, "size", &size, &err) == -1) {
      set_error (EPROTO, "export \"%s\": %s", name, err.message);
      goto out;
    }
    r = (int64_t) size;
    goto out;
  }
  set_error (ENOENT, "no export named \"%s\"", name);
 out:
  nbdc_message_free (&q.reply);
  return r;
}

int64_t
nbdcache_get_size (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (check_connected (h) == -1)
    return -1;
  if (h->export_name == NULL) {
    set_error (EINVAL, "no export name: call nbdcache_set_export_name first");
    return -1;
  }
  return lookup_export_size (h, h->export_name);
}

/* Run OP and return JSON text, which the caller frees: the member KEY
 * of the reply, or when WHOLE the whole reply without "id" and "ok"
 * (which must still have KEY, unless KEY is NULL).  Returns NULL with
 * the error set.  Takes the lock.
 */
char *
query_json (struct nbdcache_handle *h, enum nbdc_op op, const char *key,
            bool whole)
{
  struct query q;
  struct json_object *v;
  const char *s;
  char *ret = NULL;

  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (send_op (h, op, NULL, &q) == -1)
    return NULL;
  if (key != NULL &&
      !json_object_object_get_ex (q.reply.root, key, &v)) {
    set_error (EPROTO, "the daemon's reply lacks \"%s\"", key);
    goto out;
  }
  if (q.reply.root == NULL) {
    /* Only a reply of nothing but "id", "cookie" and "ok" decodes
     * without a JSON tree: no daemon answers stats so.
     */
    set_error (EPROTO, "the daemon's reply has no members");
    goto out;
  }
  if (whole) {
    v = q.reply.root;
    json_object_object_del (v, "id");
    json_object_object_del (v, "ok");
  }
  /* json-c 0.16 may leave out what it had no memory to print, and not
   * say so; but a failed allocation sets errno to ENOMEM.
   */
  errno = 0;
  s = json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN |
                                      JSON_C_TO_STRING_NOSLASHESCAPE);
  ret = s && errno != ENOMEM ? strdup (s) : NULL;
  if (ret == NULL)
    set_error (ENOMEM, "out of memory encoding the reply as JSON text");
 out:
  nbdc_message_free (&q.reply);
  return ret;
}

char *
nbdcache_get_exports_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_EXPORTS, "exports", false);
}

char *
nbdcache_get_exports_reply_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_EXPORTS, "exports", true);
}

char *
nbdcache_get_stats_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_STATS, NULL, true);
}
