/* nbdcached: client cache requests, split into chunks and fanned out
 * over an export's pool.  Main thread only.
 *
 * A request does not become all its chunks at once: each export keeps
 * a queue of requests with bytes left to send, and request_pump cuts
 * the next chunk from the request at the head whenever a connection
 * has a free slot, then moves that request to the tail.  So memory
 * stays bounded by the pool's depth however large the request, and
 * concurrent requests share the pool fairly.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Finished chunks are kept for reuse: the hot path allocates nothing. */
static struct msg *free_chunks;

static struct chunk *
chunk_alloc (void)
{
  struct chunk *c;

  if (free_chunks != NULL) {
    c = container_of (free_chunks, struct chunk, msg);
    free_chunks = free_chunks->next;
  }
  else {
    c = malloc (sizeof *c);
    if (c == NULL)
      return NULL;
  }
  memset (c, 0, sizeof *c);
  return c;
}

static void
chunk_free (struct chunk *c)
{
  c->msg.next = free_chunks;
  free_chunks = &c->msg;
}

void
chunks_free_cache (void)
{
  while (free_chunks != NULL) {
    struct msg *m = free_chunks;
    free_chunks = m->next;
    free (container_of (m, struct chunk, msg));
  }
}

/* Queue a cache request for [START, END) of EXP (already normalised)
 * on behalf of CLIENT.  Returns 0 and the cookie, or -1 on ENOMEM.
 * The caller sends the cookie reply and then calls request_pump, so
 * the reply always precedes the completion.
 */
int
request_start (struct client *client, uint64_t id, struct export *exp,
               uint64_t start, uint64_t end, uint64_t *cookie)
{
  struct request *req = calloc (1, sizeof *req);

  if (req == NULL)
    return -1;
  req->client = client;
  req->exp = exp;
  req->id = id;
  req->cookie = *cookie = client->next_cookie++;
  req->next = start;
  req->end = end;
  client->refs++;
  client->in_flight++;
  client->st_requests++;
  exp->st_requests++;
  exp->in_flight++;
  TAILQ_INSERT_TAIL (&exp->pending, req, pending_entry);
  req->pending = true;
  return 0;
}

/* Send the completion event (if the client is still there) and free. */
static void
request_finish (struct request *req)
{
  struct client *client = req->client;
  struct export *exp = req->exp;

  exp->in_flight--;
  if (req->error != 0)
    exp->st_errors++;
  if (client->bev != NULL) {
    strbuf *sb = client_scratch ();
    char msg[200] = "";

    if (req->error != 0)
      snprintf (msg, sizeof msg, "%s (chunk at offset %llu, %llu bytes)",
                strerror (req->error),
                (unsigned long long) req->error_offset,
                (unsigned long long) req->error_count);
    if (nbdc_encode_complete (sb, req->cookie, req->id, req->error,
                              msg) == 0)
      client_send (client, sb);
    else
      client_close (client, "out of memory encoding a completion");
  }
  client->in_flight--;
  free (req);
  client_unref (client);
}

static void
unlink_pending (struct request *req)
{
  if (req->pending) {
    TAILQ_REMOVE (&req->exp->pending, req, pending_entry);
    req->pending = false;
  }
}

/* Record ERROR as the request's result unless it already has one,
 * and stop cutting chunks from it.
 */
static void
request_fail (struct request *req, int error, uint64_t offset,
              uint64_t count)
{
  if (req->error == 0) {
    req->error = error;
    req->error_offset = offset;
    req->error_count = count;
  }
  unlink_pending (req);
  if (req->outstanding == 0)
    request_finish (req);
}

/* Choose the up connection with the fewest chunks outstanding and a
 * free slot, or NULL.
 */
static struct nbdconn *
pick_conn (struct export *exp)
{
  struct nbdconn *best = NULL;

  for (unsigned k = 0; k < exp->nr_conns; k++) {
    struct nbdconn *conn = &exp->conns[(exp->rr + k) % exp->nr_conns];

    if (conn->up && conn->outstanding < exp->max_in_flight &&
        (best == NULL || conn->outstanding < best->outstanding))
      best = conn;
  }
  exp->rr++;
  return best;
}

/* Per-worker lists of chunks being handed over in one post. */
struct batch {
  struct msg *head;
  struct msg **tail;
};

/* Cut chunks from the pending requests of EXP while its pool has free
 * slots, and post them to the workers, one post per worker.
 */
void
request_pump (struct export *exp)
{
  struct batch batches[MAX_THREADS];
  struct request *req;
  struct nbdconn *conn;
  struct chunk *c;

  exp->pump_wanted = false;
  if (daemon_stopping) {
    requests_fail_pending (exp, ESHUTDOWN);
    return;
  }
  if (exp->state == EXPORT_DOWN) {
    requests_fail_pending (exp, ENOTCONN);
    return;
  }
  for (unsigned i = 0; i < nr_workers; i++)
    batches[i].tail = &batches[i].head;

  while ((req = TAILQ_FIRST (&exp->pending)) != NULL &&
         (conn = pick_conn (exp)) != NULL) {
    if (req->client->bev == NULL) {
      /* The client has gone: send nothing more on its behalf. */
      request_fail (req, ECANCELED, req->next, req->end - req->next);
      continue;
    }
    c = chunk_alloc ();
    if (c == NULL) {
      log_warn ("export %s: allocating a chunk", exp->name);
      request_fail (req, ENOMEM, req->next, 0);
      continue;
    }
    c->req = req;
    c->conn = conn;
    c->offset = req->next;
    c->count = (uint32_t) (chunk_end (&exp->info, req->next, req->end) -
                           req->next);
    c->msg.type = MSG_CHUNK_SUBMIT;
    req->next += c->count;
    req->outstanding++;
    conn->outstanding++;
    exp->chunks_out++;
    exp->st_chunks++;
    exp->st_bytes += c->count;

    *batches[conn->worker->id].tail = &c->msg;
    batches[conn->worker->id].tail = &c->msg.next;

    TAILQ_REMOVE (&exp->pending, req, pending_entry);
    if (req->next < req->end)
      TAILQ_INSERT_TAIL (&exp->pending, req, pending_entry);
    else
      req->pending = false;
  }
  for (unsigned i = 0; i < nr_workers; i++) {
    *batches[i].tail = NULL;
    if (batches[i].tail != &batches[i].head)
      loop_post_list (&workers[i].loop, batches[i].head, batches[i].tail);
  }
}

/* MSG_CHUNK_DONE: account for C and finish its request when it was
 * the last one.  Frees C.
 */
void
request_chunk_done (struct chunk *c)
{
  struct request *req = c->req;
  struct export *exp = req->exp;

  c->conn->outstanding--;
  exp->chunks_out--;
  exp->pump_wanted = true;
  req->outstanding--;
  if (c->error != 0)
    request_fail (req, c->error, c->offset, c->count);
  else if (req->outstanding == 0 && !req->pending)
    request_finish (req);
  chunk_free (c);
}

/* Fail every request of EXP that still has chunks to cut. */
void
requests_fail_pending (struct export *exp, int error)
{
  struct request *req;

  while ((req = TAILQ_FIRST (&exp->pending)) != NULL)
    request_fail (req, error, req->next, req->end - req->next);
}

/* After a batch of messages on the main loop: refill the pools. */
void
requests_pump_wanted (void)
{
  for (size_t i = 0; i < nr_exports; i++)
    if (exports[i].pump_wanted)
      request_pump (&exports[i]);
}
