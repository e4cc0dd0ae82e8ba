/* nbdcached: client cache requests, split into chunks and fanned out
 * over an export's pool.  Main thread only.
 *
 * A request does not become all its chunks at once: each export keeps
 * a queue of requests with bytes left to cut (pending.c), and
 * request_pump cuts the next chunk from the request whose turn it is
 * whenever a connection has a free slot.  So memory stays bounded by
 * the pool's depth however large the request, and clients, then each
 * client's concurrent requests, share the pool fairly.  Chunks lost with a
 * connection wait in the export's retry queue, which the pump serves
 * first.
 *
 * A request is *completed* once: its event is sent (all chunks done,
 * or the first error, or its deadline).  It is *released* (freed)
 * when, in addition, no chunk of it is outstanding anywhere.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Freed requests and chunks are kept for reuse, linked through their
 * first bytes, so that the hot path allocates nothing (malloc's own
 * per-thread cache holds too few for a burst of completions, and
 * calloc bypasses it).  The cache of chunks needs no limit: their
 * number is bounded by the pools' depth.  That of requests, whose
 * number only the clients bound, keeps at most MAX.
 */
struct free_list {
  void *head;
  size_t len, max;
};

static struct free_list free_chunks = { .max = SIZE_MAX };
static struct free_list free_requests = { .max = 4096 };

static void *
cache_alloc (struct free_list *fl, size_t size)
{
  void *p = fl->head;

  if (p == NULL)
    return malloc (size);
  fl->head = *(void **) p;
  fl->len--;
  return p;
}

static void
cache_free (struct free_list *fl, void *p)
{
  if (fl->len >= fl->max) {
    free (p);
    return;
  }
  *(void **) p = fl->head;
  fl->head = p;
  fl->len++;
}

static void
cache_drain (struct free_list *fl)
{
  while (fl->head != NULL)
    free (cache_alloc (fl, 0));
}

static struct chunk *
chunk_alloc (void)
{
  struct chunk *c = cache_alloc (&free_chunks, sizeof *c);

  if (c != NULL)
    memset (c, 0, sizeof *c);
  return c;
}

static void
chunk_free (struct chunk *c)
{
  request_ptrs_reset (&c->waiters);
  cache_free (&free_chunks, c);
}

void
request_caches_free (void)
{
  cache_drain (&free_chunks);
  cache_drain (&free_requests);
}

/* Queue a cache request for [START, END) of EXP (already normalised)
 * on behalf of CLIENT.  Returns 0 and the request in *REQP, or -1 on
 * ENOMEM.  The caller calls request_reply_accepted before pumping, so
 * the reply always precedes the completion.
 */
int
request_start (struct client *client, uint64_t id, struct export *exp,
               uint64_t start, uint64_t end, struct request **reqp)
{
  struct flow *flow = flow_find (client, exp);
  struct request *req;
  uint64_t now = now_ns ();

  if (flow == NULL ||
      (req = cache_alloc (&free_requests, sizeof *req)) == NULL)
    return -1;
  *req = (struct request) {
    .client = client,
    .flow = flow,
    .exp = exp,
    .id = id,
    .cookie = client->next_cookie++,
    .next = start,
    .end = end,
    .bytes = end - start,
    .start_ns = now,
    .deadline_ns = now + (uint64_t) exp->cfg.request_timeout_ms * 1000000,
  };
  *reqp = req;
  client->refs++;
  client->in_flight++;
  client->bytes_in_flight += req->bytes;
  client->user->requests++;
  client->st_requests++;
  exp->st_requests++;
  exp->in_flight++;
  pending_append (exp, req);
  TAILQ_INSERT_TAIL (&exp->live, req, live_entry);
  TAILQ_INSERT_TAIL (&client->requests, req, client_entry);
  exp->pump_wanted = true;
  return 0;
}

/* Free REQ once it is completed and nothing of it is outstanding. */
static void
request_maybe_release (struct request *req)
{
  struct client *client = req->client;

  if (!req->completed || req->outstanding > 0)
    return;
  cache_free (&free_requests, req);
  client_unref (client);
}

const uint64_t latency_bounds_us[LATENCY_BUCKETS] = {
  100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
  250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

/* Count REQ's outcome and latency in EXP's stats. */
static void
record_completion (struct export *exp, const struct request *req)
{
  uint64_t us = (now_ns () - req->start_ns) / 1000;
  unsigned b = 0;

  if (req->error != 0) {
    exp->st_errors++;
    if (req->error > 0 && req->error < ERRNO_SLOTS)
      exp->st_errno[req->error]++;
  }
  while (b < LATENCY_BUCKETS && us > latency_bounds_us[b])
    b++;
  exp->st_latency[b]++;
  exp->st_latency_sum_us += us;
}

/* Say in BUF (of LEN bytes) how REQ's first failed chunk failed.
 * Messages do not repeat strerror: the errno travels beside them.
 * Returns BUF.
 */
static const char *
chunk_failure_text (const struct request *req, char *buf, size_t len)
{
  unsigned long long offset = req->error_offset, count = req->error_count;

  switch (req->error_failure) {
  case CHUNK_REFUSED_UNSENT:
    snprintf (buf, len, "the chunk at offset %llu, %llu bytes was refused "
              "before it was sent to the server", offset, count);
    break;
  case CHUNK_NO_MEMORY:
    snprintf (buf, len, "the daemon had no memory to send the chunk at "
              "offset %llu, %llu bytes again, fitted to the server's new "
              "limits", offset, count);
    break;
  default:
    snprintf (buf, len, "the server failed the chunk at offset %llu, %llu "
              "bytes", offset, count);
  }
  return buf;
}

/* Send REQ's completion event with ERROR (0 for success; ignored if
 * an earlier chunk already failed), exactly once.  WHY explains an
 * error that no chunk reported.
 */
void
request_complete (struct request *req, int error, const char *why)
{
  struct export *exp = req->exp;
  struct client *client = req->client;
  char buf[192];
  const char *msg = why;

  if (req->completed)
    return;
  req->completed = true;
  if (req->error == 0)
    req->error = error;
  else
    msg = chunk_failure_text (req, buf, sizeof buf);
  pending_remove (req->exp, req);
  TAILQ_REMOVE (&exp->live, req, live_entry);
  TAILQ_REMOVE (&client->requests, req, client_entry);
  exp->in_flight--;
  record_completion (exp, req);
  if (client_is_open (client)) {
    strbuf *sb;

    request_release_reply (req);
    sb = client_scratch ();
    if (nbdc_encode_complete (sb, req->cookie, req->id, req->error,
                              msg) == 0)
      client_send (client, sb);
    else
      client_close_oom (client, "encoding a completion");
  }
  client_request_done (client, req->bytes);
  request_maybe_release (req);
}

/* A chunk failed for good: the request fails with the first such
 * error, at once if nothing else of it is outstanding.
 */
static void
request_chunk_failed (struct request *req, struct chunk *c)
{
  if (req->error == 0) {
    req->error = c->error;
    req->error_offset = c->offset;
    req->error_count = c->count;
    req->error_failure = c->failure;
  }
  pending_remove (req->exp, req);
  if (req->outstanding == 0)
    request_complete (req, c->error, NULL);
}

/* How many chunks CONN may hold.  A connection on the main loop holds
 * max-in-flight, all of them sent.  One on a worker thread also holds
 * as many again queued behind them: when replies come, the worker
 * sends the next chunks at once, in the same pass, instead of waiting
 * for them to come from the main thread.  Without that queue the
 * server sat idle for a round trip between the threads after every
 * burst of replies; with it, 32 processes on a pool of 4 ran 12%
 * faster (README, "Performance").  The server never has more than
 * max-in-flight per connection.
 */
static unsigned
conn_capacity (const struct nbdconn *conn)
{
  unsigned n = conn->exp->cfg.max_in_flight;

  return conn->worker == &workers[0] ? n : 2 * n;
}

/* Choose the up connection with the fewest chunks outstanding and
 * room for another (conn_capacity), or NULL.  Only one whose own
 * server can warm ranges (export_conn_serves): the export's facts are
 * another connection's, and may say the server caches when this one's
 * cannot.  Connection 0 runs on the main loop (see worker.c) and wins
 * ties, so that a lone request is never handed to another thread; ties
 * among the others go round-robin.
 */
static struct nbdconn *
pick_conn (struct export *exp)
{
  struct nbdconn *best = NULL;

  for (unsigned k = 0; k < exp->nr_conns; k++) {
    unsigned i = k == 0 ? 0 : 1 + (exp->rr + k - 1) % (exp->nr_conns - 1);
    struct nbdconn *conn = &exp->conns[i];

    if (export_conn_serves (conn) && !conn->reset_posted &&
        conn->outstanding < conn_capacity (conn) &&
        (best == NULL || conn->outstanding < best->outstanding))
      best = conn;
  }
  exp->rr++;
  return best;
}

/* Put C on CONN's worker's batch: BATCHES holds, per worker, the
 * chunks handed over in one post.
 */
static void
batch_add (struct msg_queue *batches, struct nbdconn *conn, struct chunk *c,
           uint64_t now)
{
  struct export *exp = conn->exp;

  c->conn = conn;
  c->sent_ns = now;
  atomic_store_explicit (&c->piece_ns, 0, memory_order_relaxed);
  TAILQ_INSERT_TAIL (&conn->handed, c, conn_entry);
  c->msg.type = MSG_CHUNK_SUBMIT;
  c->error = 0;
  c->retry = false;
  if (conn->outstanding++ == 0)
    conn->last_progress_ns = now;
  if (!c->indexed)
    dedup_inflight_add (exp, c);
  exp->chunks_out++;
  exp->st_chunks++;
  exp->st_bytes += c->count;
  msg_queue_push (&batches[conn->worker->id], &c->msg);
}

/* Does any request still want C's range: its own, or a waiter? */
static bool
request_wants (const struct request *req)
{
  return !req->completed && client_is_open (req->client);
}

static bool
chunk_wanted (const struct chunk *c)
{
  if (request_wants (c->req))
    return true;
  for (size_t i = 0; i < c->waiters.len; i++)
    if (request_wants (c->waiters.ptr[i]))
      return true;
  return false;
}

/* C's range is done, with C->error, for REQ (its own request or one
 * waiting on it).
 */
static void
chunk_part_done (struct request *req, struct chunk *c)
{
  req->outstanding--;
  if (c->error != 0 && !req->completed)
    request_chunk_failed (req, c);
  else if (!req->completed && req->outstanding == 0 && !req->pending)
    request_complete (req, 0, NULL);
  else
    request_maybe_release (req);
}

/* Forget C without sending it (nobody wants it any more). */
static void
chunk_drop (struct export *exp, struct chunk *c)
{
  dedup_inflight_remove (exp, c);
  c->req->outstanding--;
  request_maybe_release (c->req);
  for (size_t i = 0; i < c->waiters.len; i++) {
    c->waiters.ptr[i]->outstanding--;
    request_maybe_release (c->waiters.ptr[i]);
  }
  chunk_free (c);
}

/* Drop the retry chunks nobody needs any more (their request has
 * completed or its client has gone), even when no connection is up.
 */
static void
purge_retries (struct export *exp)
{
  struct msg_queue all;
  struct msg *m;

  msg_queue_init (&all);
  msg_queue_move (&all, &exp->retry, false);
  while ((m = msg_queue_pop (&all)) != NULL) {
    struct chunk *c = container_of (m, struct chunk, msg);

    if (chunk_wanted (c))
      msg_queue_push (&exp->retry, m);
    else
      chunk_drop (exp, c);
  }
}

/* Grow the new chunk C over pending requests whose next bytes start
 * inside it or right after it (a client streaming consecutive
 * requests, or several clients asking for the same or adjacent
 * ranges), up to the chunk boundary of C's start, so that one NBD
 * command serves them all.  Every pending request is a candidate, not
 * just those near the head of the queue (pending.c indexes them).
 * Each request joins C's waiters and so gets C's result: a failed
 * merged command fails every request it covered.  Never past the
 * export's end, since requests never are.
 */
static void
coalesce (struct export *exp, struct chunk *c)
{
  uint64_t limit = chunk_end (&exp->info, c->offset, UINT64_MAX);
  uint64_t end = c->offset + c->count;
  struct pending_search s;
  struct request *r;

  if (!exp->cfg.coalesce)
    return;
  pending_search_start (&s, c->offset);
  while (end < limit &&
         (r = pending_search_next (exp, &s, end, c->req)) != NULL) {
    uint64_t r_end = chunk_end (&exp->info, r->next, r->end);

    if (r_end > limit)
      r_end = limit;
    if (request_ptrs_append (&c->waiters, r) == -1)
      break;
    r->outstanding++;
    pending_advance (exp, r, r_end, false);
    if (r_end > end)
      end = r_end;
  }
  c->count = (uint32_t) (end - c->offset);
}

/* C is over, with C->error: each request it served (its own and its
 * waiters) has one part of it fewer outstanding, and C goes.
 */
static void
chunk_finish (struct export *exp, struct chunk *c)
{
  dedup_inflight_remove (exp, c);
  chunk_part_done (c->req, c);
  for (size_t i = 0; i < c->waiters.len; i++)
    chunk_part_done (c->waiters.ptr[i], c);
  chunk_free (c);
}

/* C, to be sent again, was cut under the export's facts before its
 * server changed them (export_check_info): a larger minimum block
 * size, a smaller maximum, a smaller size, or cache now emulated by
 * reads (at most FALLBACK_READ_MAX at a time).  The requests that the
 * new facts do not allow have failed (export_fail_stale); for the
 * rest, fit C to the new facts as a new cut would be: rounded out to
 * the minimum block size, trimmed to the last whole block, and cut
 * where chunk_end cuts, each further piece a new chunk for the same
 * requests, queued first for retry.  Returns false if nothing of C is
 * left to send (C is then gone).
 */
static bool
chunk_refit (struct export *exp, struct chunk *c)
{
  const struct export_info *info = &exp->info;
  uint64_t start, end, cut;
  struct msg_queue pieces, failed;
  struct msg *m;
  struct nbdc_error err;

  /* What of C lies in the export now, rounded as a request would be;
   * nothing, if it is all past the end or in a last partial block.
   */
  if (c->offset >= info->size ||
      normalise_range (info, c->offset,
                       c->count < info->size - c->offset ?
                       c->count : info->size - c->offset,
                       &start, &end, &err) == -1) {
    chunk_drop (exp, c);
    return false;
  }
  cut = chunk_end (info, start, end);
  if (start == c->offset && cut == c->offset + c->count)
    return true;                /* it fits as it is */

  /* The pieces after the first, in order, to go first on the retry
   * queue.
   */
  dedup_inflight_remove (exp, c);
  msg_queue_init (&pieces);
  for (uint64_t from = cut, to; from < end; from = to) {
    struct chunk *n = chunk_alloc ();

    to = chunk_end (info, from, end);
    if (n == NULL)
      goto nomem;
    n->req = c->req;
    n->offset = from;
    n->count = (uint32_t) (to - from);
    n->retry = true;
    for (size_t i = 0; i < c->waiters.len; i++)
      if (request_ptrs_append (&n->waiters, c->waiters.ptr[i]) == -1) {
        chunk_free (n);
        goto nomem;
      }
    n->req->outstanding++;
    for (size_t i = 0; i < n->waiters.len; i++)
      n->waiters.ptr[i]->outstanding++;
    msg_queue_push (&pieces, &n->msg);
  }
  c->offset = start;
  c->count = (uint32_t) (cut - start);
  msg_queue_move (&exp->retry, &pieces, true);
  return true;

 nomem:
  /* C itself, first so that its requests' completions name its whole
   * range, and the pieces made so far fail their requests.
   */
  log_warn ("export %s: fitting the chunk at offset %llu, %u bytes to "
            "the server's new limits", exp->name,
            (unsigned long long) c->offset, c->count);
  msg_queue_init (&failed);
  msg_queue_push (&failed, &c->msg);
  msg_queue_move (&failed, &pieces, false);
  while ((m = msg_queue_pop (&failed)) != NULL) {
    struct chunk *n = container_of (m, struct chunk, msg);

    n->error = ENOMEM;
    n->failure = CHUNK_NO_MEMORY;
    chunk_finish (exp, n);
  }
  return false;
}

/* The next chunk to send: a retry, or a new cut from the request at
 * the head of the queue.  A cut whose range was warmed recently (as of
 * NOW) is not sent at all, and one whose range is already in flight
 * waits on that chunk (dedup.c).  Returns NULL when there is nothing
 * to send.
 */
static struct chunk *
next_chunk (struct export *exp, uint64_t now)
{
  struct request *req;
  struct chunk *c;
  uint64_t pos, end;
  struct msg *m;

  while ((m = msg_queue_pop (&exp->retry)) != NULL) {
    c = container_of (m, struct chunk, msg);
    if (!chunk_wanted (c)) {
      chunk_drop (exp, c);
      continue;
    }
    if (chunk_refit (exp, c)) {
      if (!c->held_back)
        exp->st_retries++;
      c->held_back = false;
      return c;
    }
  }
  while ((req = pending_first (exp)) != NULL) {
    if (!client_is_open (req->client)) {
      /* The client has gone: send nothing more on its behalf. */
      request_complete (req, ECANCELED, "client disconnected");
      continue;
    }
    pos = req->next;
    end = chunk_end (&exp->info, pos, req->end);
    pending_advance (exp, req, end, true);

    if (dedup_recent_covers (exp, pos, end, now)) {
      exp->st_dedup++;
      if (!req->pending && req->outstanding == 0)
        request_complete (req, 0, NULL);
      continue;
    }
    c = dedup_inflight_find (exp, pos, end, now);
    if (c != NULL && request_ptrs_append (&c->waiters, req) == 0) {
      exp->st_dedup++;
      req->outstanding++;
      continue;
    }
    c = chunk_alloc ();
    if (c == NULL) {
      log_warn ("export %s: allocating a chunk", exp->name);
      request_complete (req, ENOMEM, "out of memory");
      continue;
    }
    c->req = req;
    c->offset = pos;
    c->count = (uint32_t) (end - pos);
    req->outstanding++;
    coalesce (exp, c);
    return c;
  }
  return NULL;
}

/* Hand chunks to the pool while it has free slots, one post per
 * worker.
 */
void
request_pump (struct export *exp)
{
  struct msg_queue batches[MAX_THREADS + 1];   /* one per worker */
  struct nbdconn *conn;
  struct chunk *c;
  uint64_t now;

  exp->pump_wanted = false;
  if (daemon_stopping) {
    requests_fail_all (exp, ESHUTDOWN, "the daemon is stopping");
    return;
  }
  purge_retries (exp);
  if (exp->paused)
    return;
  for (unsigned i = 0; i < nr_workers; i++)
    msg_queue_init (&batches[i]);

  /* One clock read per pump, not per chunk. */
  now = now_ns ();
  while ((conn = pick_conn (exp)) != NULL &&
         (c = next_chunk (exp, now)) != NULL)
    batch_add (batches, conn, c, now);

  for (unsigned i = 0; i < nr_workers; i++)
    loop_post_queue (workers[i].lp, &batches[i]);
}

/* Mark each chunk CONN holds that no request wants any more (each has
 * completed, at its deadline say, or its client has gone), so that the
 * worker sends none of its further pieces: a chunk read in pieces
 * would otherwise be read to its end for nobody, holding its slot.  It
 * leaves the dedup index at once, so that no new request comes to wait
 * on it; and since a request that is not wanted never is again, no
 * request can be failed by it.  The worker finishes it, once, with
 * ECANCELED (nbdconn.c).  Main thread, from the janitor.
 */
void
request_abandon_unwanted (struct nbdconn *conn)
{
  struct chunk *c;

  TAILQ_FOREACH (c, &conn->handed, conn_entry) {
    if (!atomic_load_explicit (&c->abandoned, memory_order_relaxed) &&
        !chunk_wanted (c)) {
      dedup_inflight_remove (conn->exp, c);
      atomic_store_explicit (&c->abandoned, true, memory_order_relaxed);
    }
  }
}

/* MSG_CHUNK_DONE: account for C; queue it for retry if its connection
 * was lost, else finish it and maybe its request.
 */
void
request_chunk_done (struct chunk *c)
{
  struct request *req = c->req;
  struct export *exp = req->exp;
  uint64_t now = now_ns ();
  uint64_t end = c->offset + c->count;

  c->conn->outstanding--;
  TAILQ_REMOVE (&c->conn->handed, c, conn_entry);
  c->conn->last_progress_ns = now;
  exp->chunks_out--;
  exp->pump_wanted = true;
  if (c->held_back) {
    /* Never sent: counted again when it is. */
    exp->st_chunks--;
    exp->st_bytes -= c->count;
  }
  else if (c->abandoned && c->sent_end < end)
    exp->st_bytes -= end - c->sent_end;   /* the pieces never sent */
  if (c->retry && chunk_wanted (c)) {
    msg_queue_push (&exp->retry, &c->msg);
    return;
  }
  if (c->error == 0)
    dedup_recent_add (exp, c->offset, c->offset + c->count, now);
  chunk_finish (exp, c);
}

/* Complete every request of EXP with ERROR (at shutdown). */
void
requests_fail_all (struct export *exp, int error, const char *why)
{
  struct request *req;

  while ((req = TAILQ_FIRST (&exp->live)) != NULL)
    request_complete (req, error, why);
  /* Their retry chunks are no longer wanted. */
  purge_retries (exp);
}

/* A reload gave EXP's name to SUCCESSOR, whose allow-users and
 * allow-groups may leave out clients that EXP let in.  Complete each
 * such client's requests on EXP now with EPERM, rather than send the
 * rest of them for a user no longer allowed, and drop their chunks
 * waiting for a retry; chunks already handed to a connection still
 * finish, as for a client that disconnects.  Returns how many
 * requests were revoked.
 */
size_t
requests_revoke (struct export *exp, const struct export *successor)
{
  struct request *req, *next;
  size_t n = 0;

  /* Completing one request never ends another of EXP's: the client is
   * closed, if at all, at the end of the pass (client_close_soon) or
   * once it has none left (client_maybe_finish).
   */
  for (req = TAILQ_FIRST (&exp->live); req != NULL; req = next) {
    next = TAILQ_NEXT (req, live_entry);
    if (!export_allowed (successor, req->client)) {
      request_complete (req, EPERM, "no longer allowed to use the export "
                        "(the configuration was reloaded)");
      n++;
    }
  }
  if (n > 0)
    purge_retries (exp);
  return n;
}

/* After a batch of messages on the main loop: refill the pools. */
void
requests_pump_wanted (void)
{
  struct export *exp;

  for_each_export (exp)
    if (exp->pump_wanted)
      request_pump (exp);
}
