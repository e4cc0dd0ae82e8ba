/* nbdcachectl: warming a list of ranges through a window of requests.
 *
 * The ranges (entries) come from the command line (one whole export)
 * or from a manifest, and may name several exports.  warm_resolve
 * looks up the size of each export once, on one handle.  warm_run then
 * keeps up to max_in_flight nbdcache_aio_cache requests of at most
 * request_size bytes outstanding, walking the entries in order and
 * switching the handle's export name between them (commands keep the
 * export they were submitted with); the daemon splits them to the
 * server's limits.  nbdcache_poll drives the connection, and the
 * completion callback (which libnbdcache runs inside nbdcache_poll,
 * on this thread) counts the bytes done and keeps each entry's first
 * error.  After an error nothing more of that entry is sent; the
 * other entries go on.  What is in flight is always drained, so that
 * the connection ends cleanly.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* One outstanding request: the user_data of its callback, freed by
 * libnbdcache through .free.
 */
struct request {
  struct warm *w;
  size_t entry;                 /* index: w->entries does not move */
  uint64_t offset;
  uint64_t count;
};

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Set *ERROR unless it is set: later errors are usually echoes of
 * the first.
 */
static void __attribute__ ((format (printf, 2, 3)))
record_error (char **error, const char *fs, ...)
{
  va_list args;
  int r;

  if (*error)
    return;
  va_start (args, fs);
  r = vasprintf (error, fs, args);
  va_end (args);
  if (r == -1)
    out_of_memory ();
}

/* Append an entry: COUNT bytes of EXPORT_NAME from OFFSET, or all of
 * it when WHOLE; LINE is its manifest line, or 0.
 */
void
warm_add (struct warm *w, const char *export_name, bool whole,
          uint64_t offset, uint64_t count, unsigned long line)
{
  char *name;
  size_t i;

  for (i = 0; i < w->exports.len; i++)
    if (strcmp (w->exports.ptr[i], export_name) == 0)
      break;
  if (i == w->exports.len) {
    name = strdup (export_name);
    if (name == NULL || string_vector_append (&w->exports, name) == -1)
      out_of_memory ();
  }
  if (warm_entries_append (&w->entries, (struct warm_entry) {
        .export = i, .whole = whole, .offset = offset, .count = count,
        .line = line, .next_offset = offset,
      }) == -1)
    out_of_memory ();
}

/* Point H at export X, unless it already is.  Returns 0, or -1 with
 * the library's error.
 */
static int
use_export (struct nbdcache_handle *h, struct warm *w, size_t x)
{
  if (w->handle_export == x)
    return 0;
  if (nbdcache_set_export_name (h, w->exports.ptr[x]) == -1)
    return -1;
  w->handle_export = x;
  return 0;
}

/* Look up the size of export X.  Returns it, or -1 and sets *ERROR. */
static int64_t
lookup_size (struct nbdcache_handle *h, struct warm *w, size_t x,
             char **error)
{
  int64_t size = -1;

  deadline_waiting_for ("waiting for the daemon to look up the size of %s",
                        w->exports.ptr[x]);
  if (use_export (h, w, x) == 0)
    size = nbdcache_get_size (h);
  if (size == -1)
    record_error (error, "%s", library_error_text ());
  return size;
}

/* Find the size of every export, one query each, and check each entry
 * against it: a whole entry gets its count, a range must fit.  An
 * entry that fails gets its error and is not warmed; the others add
 * up to w->total.  If the connection to the daemon is lost, that is
 * the run's error (w->error), once, and the entries not resolved by
 * then are cut short (warm_entry_cut_short).
 */
void
warm_resolve (struct nbdcache_handle *h, struct warm *w)
{
  w->handle_export = SIZE_MAX;
  for (size_t x = 0; x < w->exports.len && w->error == NULL; x++) {
    char *error = NULL;
    uint64_t size = (uint64_t) lookup_size (h, w, x, &error);

    if (error && nbdcache_aio_get_fd (h) == -1) {
      w->error = error;           /* the handle is dead: nothing more */
      break;
    }
    for (size_t i = 0; i < w->entries.len; i++) {
      struct warm_entry *e = &w->entries.ptr[i];

      if (e->export != x)
        continue;
      e->resolved = true;
      if (error)
        record_error (&e->error, "%s", error);
      else if (e->whole)
        e->count = size;
      else if (e->offset > size || e->count > size - e->offset)
        record_error (&e->error, "range [%" PRIu64 ", %" PRIu64 ") runs "
                      "past the end of the export (size %" PRIu64 ")",
                      e->offset, e->offset + e->count, size);
      if (e->error == NULL)
        w->total += e->count;
    }
    free (error);
  }
}

/* The completion callback of every request.  It only records: it
 * must not call nbdcache_* on the handle that is calling it.
 */
static int
request_done (void *user_data, int *error)
{
  struct request *req = user_data;
  struct warm *w = req->w;
  struct warm_entry *e = &w->entries.ptr[req->entry];

  w->in_flight--;
  if (*error == 0) {
    e->done += req->count;
    w->done += req->count;
  }
  else {
    /* The submission succeeded: this is the request's own error. */
    if (e->error == NULL)
      e->errnum = *error;
    record_error (&e->error, "request at offset %" PRIu64 ", count %"
                  PRIu64 ": %s", req->offset, req->count,
                  strerror (*error));
  }
  return 1;                     /* retire the command now */
}

/* Whether the entry at w->current has bytes left to send; if not,
 * move on to the next entry that has.
 */
static bool
find_work (struct warm *w)
{
  for (; w->current < w->entries.len; w->current++) {
    const struct warm_entry *e = &w->entries.ptr[w->current];

    if (e->error == NULL && e->next_offset < e->offset + e->count)
      return true;
  }
  return false;
}

static bool
may_submit (struct warm *w)
{
  return w->error == NULL && w->in_flight < w->max_in_flight &&
    find_work (w);
}

/* Send the next request of the entry at w->current.  On failure the
 * error is recorded in the entry, which stops its submissions.
 */
static void
submit_next (struct nbdcache_handle *h, struct warm *w)
{
  struct warm_entry *e = &w->entries.ptr[w->current];
  uint64_t offset = e->next_offset;
  uint64_t count = e->offset + e->count - offset;
  struct request *req;
  nbdcache_completion_callback cb;

  if (use_export (h, w, e->export) == -1) {
    record_error (&e->error, "%s", library_error_text ());
    return;
  }
  if (count > w->request_size)
    count = w->request_size;
  req = malloc (sizeof *req);
  if (req == NULL)
    out_of_memory ();
  *req = (struct request) {
    .w = w, .entry = w->current, .offset = offset, .count = count,
  };
  cb = (nbdcache_completion_callback) {
    .callback = request_done, .user_data = req, .free = free,
  };

  /* Count it first: the callback could run before the call returns. */
  w->in_flight++;
  if (nbdcache_aio_cache (h, count, offset, cb, 0) == -1) {
    /* libnbdcache has freed req through .free.  ENOTCONN here means
     * the connection to the daemon is gone, which ends the run.
     */
    w->in_flight--;
    record_error (nbdcache_get_errno () == ENOTCONN ? &w->error : &e->error,
                  "%s", library_error_text ());
    return;
  }
  e->next_offset = offset + count;
}

/* Warm W's resolved entries on H, showing progress on P.  Returns 0
 * if every entry was warmed, or -1 (see warm_entry_error).  If
 * nbdcache_poll fails, requests may remain in flight, and their
 * callbacks may still run when H is closed: W must outlive H.
 */
int
warm_run (struct nbdcache_handle *h, struct warm *w, struct progress *p)
{
  double start = now ();

  if (w->exports.len == 1)
    deadline_waiting_for ("waiting for the daemon to warm %s",
                          w->exports.ptr[0]);
  else
    deadline_waiting_for ("waiting for the daemon to warm %zu exports",
                          w->exports.len);
  for (;;) {
    while (may_submit (w))
      submit_next (h, w);
    if (w->in_flight == 0)
      break;
    if (nbdcache_poll (h, -1) == -1) {
      record_error (&w->error, "%s", library_error_text ());
      break;
    }
    progress_update (p, w->done, now () - start);
  }
  w->elapsed = now () - start;
  progress_finish (p, w->done, w->elapsed);
  for (size_t i = 0; i < w->entries.len; i++)
    if (warm_entry_error (w, &w->entries.ptr[i]))
      return -1;
  return 0;
}

/* Whether entry E was cut short by the end of the whole run: it has
 * bytes left, and the run stopped (w->error, usually because the
 * connection to the daemon was lost) before or when its requests
 * failed.  A request cut off by the lost connection fails with
 * ENOTCONN (EPROTO if the daemon broke the protocol); that must not
 * be reported as the request's own error, which would look like an
 * export whose server is down.  (An entry whose export was down
 * before the daemon was lost is counted in too: it was not warmed
 * either way; and so is one whose size was still to be learnt.)
 */
bool
warm_entry_cut_short (const struct warm *w, const struct warm_entry *e)
{
  if (w->error == NULL)
    return false;
  if (!e->resolved)
    return true;                /* lost before its size was known */
  if (e->done >= e->count)
    return false;
  return e->error == NULL || e->errnum == ENOTCONN || e->errnum == EPROTO;
}

/* Why entry E failed, or NULL if it was warmed.  An entry cut short
 * by the end of the whole run has the run's error.  Borrowed from W.
 */
const char *
warm_entry_error (const struct warm *w, const struct warm_entry *e)
{
  if (warm_entry_cut_short (w, e))
    return w->error;
  if (e->error)
    return e->error;
  if (e->done < e->count)
    return "not warmed";
  return NULL;
}

/* Free what W owns; the handle must be closed already. */
void
warm_free (struct warm *w)
{
  for (size_t i = 0; i < w->entries.len; i++)
    free (w->entries.ptr[i].error);
  for (size_t i = 0; i < w->exports.len; i++)
    free (w->exports.ptr[i]);
  warm_entries_reset (&w->entries);
  string_vector_reset (&w->exports);
  free (w->error);
  w->error = NULL;
}
