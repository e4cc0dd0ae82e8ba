/* nbdcached: sending each range once when many clients want it.
 * Main thread only.
 *
 * Two indexes per export, both sorted by offset:
 *  - the chunks in flight: a new chunk with the same range does not
 *    go to the server again; its request waits on the chunk already
 *    there (dedup_inflight_*);
 *  - the ranges warmed successfully within the last warm-ttl seconds
 *    ("recently warmed"): a chunk inside one is not sent at all
 *    (dedup_recent_*).
 * Cache is advisory, so skipping a repeat within the TTL loses nothing
 * but a redundant hint.  warm-ttl = 0 turns both off.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Past this many disjoint ranges the set is dropped rather than grown:
 * dedup is an optimisation, memory must stay bounded.
 */
#define MAX_RECENT_RANGES 65536

/* The first index whose range ends after OFFSET (binary search). */
static size_t
recent_search (const warm_ranges *v, uint64_t offset)
{
  size_t lo = 0, hi = v->len;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->ptr[mid].end <= offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Was [START, END) warmed successfully less than warm-ttl ago? */
bool
dedup_recent_covers (const struct export *exp, uint64_t start, uint64_t end,
                     uint64_t now)
{
  uint64_t ttl = (uint64_t) exp->cfg.warm_ttl_ms * 1000000;
  size_t i;

  if (ttl == 0)
    return false;
  i = recent_search (&exp->recent, start);
  return i < exp->recent.len && exp->recent.ptr[i].start <= start &&
    exp->recent.ptr[i].end >= end && now - exp->recent.ptr[i].time_ns < ttl;
}

/* Record [START, END) as warmed at NOW, merging it with overlapping and
 * adjacent ranges.  A merged range keeps the oldest time, so it
 * expires no later than any byte in it should.
 */
void
dedup_recent_add (struct export *exp, uint64_t start, uint64_t end,
                  uint64_t now)
{
  warm_ranges *v = &exp->recent;
  struct warm_range r = { start, end, now };
  size_t i, j;

  if (exp->cfg.warm_ttl_ms == 0)
    return;
  if (v->len == 0)
    exp->recent_oldest_ns = now;
  i = recent_search (v, start > 0 ? start - 1 : 0);
  for (j = i; j < v->len && v->ptr[j].start <= end; j++) {
    if (v->ptr[j].start < r.start) r.start = v->ptr[j].start;
    if (v->ptr[j].end > r.end) r.end = v->ptr[j].end;
    if (v->ptr[j].time_ns < r.time_ns) r.time_ns = v->ptr[j].time_ns;
  }
  if (j > i) {                  /* replace v[i..j) by r */
    v->ptr[i] = r;
    memmove (&v->ptr[i + 1], &v->ptr[j], (v->len - j) * sizeof r);
    v->len -= j - i - 1;
    return;
  }
  if (v->len >= MAX_RECENT_RANGES || warm_ranges_reserve (v, 1) == -1) {
    v->len = 0;
    return;
  }
  memmove (&v->ptr[i + 1], &v->ptr[i], (v->len - i) * sizeof r);
  v->ptr[i] = r;
  v->len++;
}

/* Forget ranges older than the TTL (from the janitor).  Scans only
 * when the oldest range may have expired.
 */
void
dedup_recent_expire (struct export *exp, uint64_t now)
{
  uint64_t ttl = (uint64_t) exp->cfg.warm_ttl_ms * 1000000;
  uint64_t oldest = UINT64_MAX;
  size_t out = 0;

  if (exp->recent.len == 0 || now - exp->recent_oldest_ns < ttl)
    return;
  for (size_t i = 0; i < exp->recent.len; i++) {
    if (now - exp->recent.ptr[i].time_ns < ttl) {
      if (exp->recent.ptr[i].time_ns < oldest)
        oldest = exp->recent.ptr[i].time_ns;
      exp->recent.ptr[out++] = exp->recent.ptr[i];
    }
  }
  exp->recent.len = out;
  exp->recent_oldest_ns = oldest;
}

/* The index of the first chunk in flight at or after OFFSET. */
static size_t
inflight_search (const chunk_list *v, uint64_t offset)
{
  size_t lo = 0, hi = v->len;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->ptr[mid]->offset < offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* A chunk in flight for exactly [START, END), handed to a connection
 * less than request-timeout before NOW, or NULL.  An older one is
 * presumed stuck (a server can leave one command unanswered while it
 * answers the others, so its connection is never found hung): a
 * request waiting on it could only time out, and the range would
 * never be warmed again while it lasts.
 */
struct chunk *
dedup_inflight_find (const struct export *exp, uint64_t start, uint64_t end,
                     uint64_t now)
{
  uint64_t stale = (uint64_t) exp->cfg.request_timeout_ms * 1000000;
  size_t i;

  if (exp->cfg.warm_ttl_ms == 0)
    return NULL;
  i = inflight_search (&exp->inflight, start);
  for (; i < exp->inflight.len && exp->inflight.ptr[i]->offset == start; i++) {
    struct chunk *c = exp->inflight.ptr[i];

    if (c->offset + c->count == end && now - c->sent_ns < stale)
      return c;
  }
  return NULL;
}

/* Index C, which is about to be sent.  On ENOMEM it is simply not
 * indexed (no dedup for it).
 */
void
dedup_inflight_add (struct export *exp, struct chunk *c)
{
  chunk_list *v = &exp->inflight;
  size_t i;

  if (exp->cfg.warm_ttl_ms == 0 || chunk_list_reserve (v, 1) == -1)
    return;
  i = inflight_search (v, c->offset);
  memmove (&v->ptr[i + 1], &v->ptr[i], (v->len - i) * sizeof c);
  v->ptr[i] = c;
  v->len++;
  c->indexed = true;
}

void
dedup_inflight_remove (struct export *exp, struct chunk *c)
{
  chunk_list *v = &exp->inflight;

  if (!c->indexed)
    return;
  for (size_t i = inflight_search (v, c->offset); i < v->len; i++) {
    if (v->ptr[i] == c) {
      chunk_list_remove (v, i);
      break;
    }
  }
  c->indexed = false;
}
