/* nbdcached: the pending queue, the requests with chunks left to cut.
 * Main thread only.
 *
 * The queue is fair to users first, then to each user's clients, then
 * to each client's requests.  Each client's pending requests on an
 * export form a flow, and the flows of one user's clients its share of
 * the export; the export serves its shares in turn, one chunk per turn
 * (request_pump cuts from the first request of the first flow of the
 * first share, then sends all three to their tails).  So a user with
 * a hundred connections does not get a hundred turns to another user's
 * one, a client with thousands of requests queued does not make
 * another client's single request wait behind them all, and a long
 * request does not starve its client's short ones.
 *
 * Coalescing also needs to ask "which pending requests want bytes
 * starting in [START, END]?", for every chunk it cuts, over queues of
 * thousands of requests when many clients share a busy pool.  So each
 * pending request is also in a hash index keyed by the 64 KiB granule
 * its next byte falls in: a range is answered by probing the granules
 * it covers, and the cost per chunk does not depend on how long the
 * queue is.
 *
 * The index grows with the queue (about one bucket per request) and is
 * rebuilt from the queue when it does.  If memory runs out the index
 * simply stays smaller: lookups get slower, never wrong (and with no
 * index at all, coalescing merges nothing until one can be made).  A
 * large index is freed when the queue empties, so that a burst does
 * not keep its memory for the daemon's lifetime.
 */
#include <config.h>

#include <stdlib.h>

#include "internal.h"

/* log2 of the granule size. */
#define GRANULE_SHIFT 16
/* The smallest index, and the largest kept when the queue empties. */
#define MIN_BITS 6
#define KEEP_BITS 10

static inline uint64_t
granule_of (uint64_t offset)
{
  return offset >> GRANULE_SHIFT;
}

static inline size_t
bucket_of (const struct pending_index *idx, uint64_t granule)
{
  return (size_t) ((granule * 0x9E3779B97F4A7C15ULL) >> (64 - idx->bits));
}

static void
index_insert (struct pending_index *idx, struct request *req)
{
  LIST_INSERT_HEAD (&idx->buckets[bucket_of (idx, granule_of (req->next))],
                    req, index_entry);
}

/* Take REQ out of EXP's index.  While an index exists, every pending
 * request is in it; without one, none is.
 */
static void
index_remove (struct export *exp, struct request *req)
{
  if (exp->pending_index.buckets != NULL)
    LIST_REMOVE (req, index_entry);
}

/* Replace EXP's index by one of 2^BITS buckets holding every pending
 * request.  Returns 0, or -1 on ENOMEM with the old index untouched.
 */
static int
index_rebuild (struct export *exp, unsigned bits)
{
  struct pending_index *idx = &exp->pending_index;
  struct request_bucket *buckets;
  struct share *share;
  struct flow *flow;
  struct request *req;

  buckets = calloc ((size_t) 1 << bits, sizeof *buckets);
  if (buckets == NULL)
    return -1;
  free (idx->buckets);
  idx->buckets = buckets;
  idx->bits = bits;
  TAILQ_FOREACH (share, &exp->shares, turn_entry)
    TAILQ_FOREACH (flow, &share->flows, turn_entry)
      TAILQ_FOREACH (req, &flow->requests, pending_entry)
        index_insert (idx, req);
  return 0;
}

/* USER's share of EXP; NULL on ENOMEM.  Rather than make a new one,
 * take over an empty share of another export, as flow_find does with
 * flows.  An export's address is only ever compared, never followed,
 * so a share may outlive its export.
 */
static struct share *
share_find (struct user *user, struct export *exp)
{
  struct share *share, *spare = NULL;

  LIST_FOREACH (share, &user->shares, user_entry) {
    if (share->exp == exp)
      return share;
    if (TAILQ_EMPTY (&share->flows))
      spare = share;
  }
  if (spare != NULL) {
    spare->exp = exp;
    return spare;
  }
  share = calloc (1, sizeof *share);
  if (share == NULL)
    return NULL;
  share->exp = exp;
  TAILQ_INIT (&share->flows);
  LIST_INSERT_HEAD (&user->shares, share, user_entry);
  return share;
}

/* CLIENT's flow on EXP, in its user's share of EXP, for a request
 * about to be queued; NULL on ENOMEM.  Rather than make a new one,
 * take over an empty flow of another export: so a client has at most
 * one flow more than the exports it has requests queued on at once,
 * however many exports reloads make and remove over its life.  The
 * flow's share is looked up each time, since an empty share may have
 * been taken over for another export (share_find).
 */
struct flow *
flow_find (struct client *client, struct export *exp)
{
  struct share *share = share_find (client->user, exp);
  struct flow *flow, *spare = NULL;

  if (share == NULL)
    return NULL;
  LIST_FOREACH (flow, &client->flows, client_entry) {
    if (flow->exp == exp)
      goto found;
    if (TAILQ_EMPTY (&flow->requests))
      spare = flow;
  }
  if (spare != NULL) {
    flow = spare;
    flow->exp = exp;
    goto found;
  }
  flow = calloc (1, sizeof *flow);
  if (flow == NULL)
    return NULL;
  flow->exp = exp;
  TAILQ_INIT (&flow->requests);
  LIST_INSERT_HEAD (&client->flows, flow, client_entry);
 found:
  flow->share = share;
  return flow;
}

/* Free USER's shares: its last connection has closed, and its
 * requests have all completed, so they are empty.  (Flows of its
 * clients still point at them until those are freed; they are no
 * longer used.)
 */
void
shares_free (struct user *user)
{
  struct share *share;

  while ((share = LIST_FIRST (&user->shares)) != NULL) {
    LIST_REMOVE (share, user_entry);
    free (share);
  }
}

/* Free CLIENT's flows: it has no requests left, so they are empty. */
void
flows_free (struct client *client)
{
  struct flow *flow;

  while ((flow = LIST_FIRST (&client->flows)) != NULL) {
    LIST_REMOVE (flow, client_entry);
    free (flow);
  }
}

/* The request whose turn it is to be cut from, or NULL. */
struct request *
pending_first (const struct export *exp)
{
  const struct share *share = TAILQ_FIRST (&exp->shares);

  return share == NULL ? NULL :
    TAILQ_FIRST (&TAILQ_FIRST (&share->flows)->requests);
}

/* Append REQ, whose next byte and flow are set, to EXP's queue (the
 * tail of its flow; its flow, if it was empty, to the tail of its
 * share's turns; its share, if that was empty, to the tail of EXP's)
 * and index.
 */
void
pending_append (struct export *exp, struct request *req)
{
  struct pending_index *idx = &exp->pending_index;
  struct flow *flow = req->flow;
  struct share *share = flow->share;

  if (TAILQ_EMPTY (&flow->requests)) {
    if (TAILQ_EMPTY (&share->flows))
      TAILQ_INSERT_TAIL (&exp->shares, share, turn_entry);
    TAILQ_INSERT_TAIL (&share->flows, flow, turn_entry);
  }
  TAILQ_INSERT_TAIL (&flow->requests, req, pending_entry);
  req->pending = true;
  exp->nr_pending++;
  req->client->nr_pending++;
  if ((idx->buckets == NULL || exp->nr_pending > (size_t) 1 << idx->bits) &&
      index_rebuild (exp, idx->buckets == NULL ? MIN_BITS : idx->bits + 1)
      == 0)
    return;                     /* the rebuild indexed REQ */
  if (idx->buckets != NULL)
    index_insert (idx, req);
}

/* Take REQ out of EXP's queue and index, if it is pending. */
void
pending_remove (struct export *exp, struct request *req)
{
  struct flow *flow = req->flow;
  struct share *share = flow->share;

  if (!req->pending)
    return;
  TAILQ_REMOVE (&flow->requests, req, pending_entry);
  if (TAILQ_EMPTY (&flow->requests)) {
    TAILQ_REMOVE (&share->flows, flow, turn_entry);
    if (TAILQ_EMPTY (&share->flows))
      TAILQ_REMOVE (&exp->shares, share, turn_entry);
  }
  index_remove (exp, req);
  req->pending = false;
  exp->nr_pending--;
  req->client->nr_pending--;
  if (exp->nr_pending == 0 && exp->pending_index.bits > KEEP_BITS)
    pending_free (exp);
}

/* REQ, pending, has had its chunks up to NEXT cut.  It leaves the
 * queue if nothing is left; otherwise it is re-indexed.  With TO_TAIL
 * (REQ had its turn), REQ goes to the back of its flow, its flow, if
 * it has requests left, to the back of its share's turns, and its
 * share, if it has flows left, to the back of EXP's.
 */
void
pending_advance (struct export *exp, struct request *req, uint64_t next,
                 bool to_tail)
{
  struct flow *flow = req->flow;
  struct share *share = flow->share;

  if (next >= req->end) {
    pending_remove (exp, req);
    req->next = next;
  }
  else {
    index_remove (exp, req);
    req->next = next;
    if (exp->pending_index.buckets != NULL)
      index_insert (&exp->pending_index, req);
    if (to_tail) {
      TAILQ_REMOVE (&flow->requests, req, pending_entry);
      TAILQ_INSERT_TAIL (&flow->requests, req, pending_entry);
    }
  }
  if (to_tail && !TAILQ_EMPTY (&flow->requests)) {
    TAILQ_REMOVE (&share->flows, flow, turn_entry);
    TAILQ_INSERT_TAIL (&share->flows, flow, turn_entry);
  }
  if (to_tail && !TAILQ_EMPTY (&share->flows)) {
    TAILQ_REMOVE (&exp->shares, share, turn_entry);
    TAILQ_INSERT_TAIL (&exp->shares, share, turn_entry);
  }
}

/* Start a search of EXP's pending requests for [START, ...]. */
void
pending_search_start (struct pending_search *s, uint64_t start)
{
  s->start = start;
  s->granule = granule_of (start);
}

/* The next pending request of EXP, other than SKIP and with its client
 * still open, whose next byte lies in [S's start, END]; or NULL once
 * the search has passed END.  END may grow between calls (a chunk
 * growing over what it found).  The request found must
 * either leave the range or have its next byte moved forward
 * (pending_advance) before the next call, or it is found again.
 *
 * A granule is probed once however many calls it takes, so a search
 * over a chunk costs one probe per 64 KiB it covers plus one per
 * request found.
 */
struct request *
pending_search_next (struct export *exp, struct pending_search *s,
                     uint64_t end, const struct request *skip)
{
  const struct pending_index *idx = &exp->pending_index;
  struct request *req;

  if (idx->buckets == NULL)
    return NULL;
  for (; s->granule <= granule_of (end); s->granule++) {
    LIST_FOREACH (req, &idx->buckets[bucket_of (idx, s->granule)],
                  index_entry) {
      if (req->next >= s->start && req->next <= end &&
          granule_of (req->next) == s->granule && req != skip &&
          client_is_open (req->client))
        return req;
    }
  }
  return NULL;
}

/* Free EXP's index (its queue must be empty). */
void
pending_free (struct export *exp)
{
  free (exp->pending_index.buckets);
  exp->pending_index.buckets = NULL;
  exp->pending_index.bits = 0;
}
