/* libnbdcache: synchronous requests (hello, exports, stats). */
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
    q->errnum = msg->errnum;
    snprintf (q->errmsg, sizeof q->errmsg, "%s", msg->errmsg);
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
    if (poll_locked (h, -1) == -1 && !q->done) {
      unlink_query (h, q);
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

/* Ask the daemon for the export list and return the size of NAME, or
 * -1 with the error set.  Lock held.
 */
int64_t
lookup_export_size (struct nbdcache_handle *h, const char *name)
{
  struct query q = { .id = h->next_id++ };
  struct json_object *list, *e, *v;
  struct nbdc_error err;
  uint64_t size;
  int64_t r = -1;

  if (nbdc_encode_simple_op (&h->wbuf, q.id, NBDC_OP_EXPORTS) == -1) {
    set_error (ENOMEM, "out of memory");
    return -1;
  }
  if (run_query (h, &q) == -1)
    return -1;
  if (!json_object_object_get_ex (q.reply.root, "exports", &list) ||
      !json_object_is_type (list, json_type_array)) {
    set_error (EPROTO, "the daemon's exports reply has no list");
    goto out;
  }
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    e = json_object_array_get_idx (list, i);
    if (!json_object_object_get_ex (e, "name", &v) ||
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
  int64_t size;

  ENTER_CALL ();
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (check_connected (h) == -1)
    return -1;
  if (h->export_name == NULL) {
    set_error (EINVAL, "no export name: call nbdcache_set_export_name first");
    return -1;
  }
  size = lookup_export_size (h, h->export_name);
  if (size >= 0)
    h->export_size = size;
  return size;
}

/* Run OP and return the member KEY of its reply as JSON text, or the
 * whole reply without "id" and "ok" when KEY is NULL.
 */
static char *
query_json (struct nbdcache_handle *h, enum nbdc_op op, const char *key)
{
  struct query q;
  struct json_object *v;
  const char *s;
  char *ret = NULL;

  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&h->lock);
  if (check_connected (h) == -1)
    return NULL;
  q = (struct query) { .id = h->next_id++ };
  if (nbdc_encode_simple_op (&h->wbuf, q.id, op) == -1) {
    set_error (ENOMEM, "out of memory");
    return NULL;
  }
  if (run_query (h, &q) == -1)
    return NULL;
  if (key != NULL) {
    if (!json_object_object_get_ex (q.reply.root, key, &v)) {
      set_error (EPROTO, "the daemon's reply lacks \"%s\"", key);
      goto out;
    }
  }
  else {
    v = q.reply.root;
    json_object_object_del (v, "id");
    json_object_object_del (v, "ok");
  }
  s = json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN |
                                      JSON_C_TO_STRING_NOSLASHESCAPE);
  ret = s ? strdup (s) : NULL;
  if (ret == NULL)
    set_error (ENOMEM, "out of memory");
 out:
  nbdc_message_free (&q.reply);
  return ret;
}

char *
nbdcache_get_exports_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_EXPORTS, "exports");
}

char *
nbdcache_get_stats_json (struct nbdcache_handle *h)
{
  ENTER_CALL ();
  return query_json (h, NBDC_OP_STATS, NULL);
}
