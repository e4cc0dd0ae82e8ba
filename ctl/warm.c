/* nbdcachectl: warming a whole export through a window of requests.
 *
 * Up to max_in_flight nbdcache_aio_cache requests of request_size
 * bytes are kept outstanding, walking the export from offset 0; the
 * daemon splits them to the server's limits.  nbdcache_poll drives
 * the connection, and the completion callback (which libnbdcache runs
 * inside nbdcache_poll, on this thread) counts the bytes done and
 * keeps the first error.  After an error nothing new is sent; what is
 * in flight is drained, so that the connection ends cleanly.
 */
#include <config.h>

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

/* Keep the first error only: later ones are usually its echoes. */
static void __attribute__ ((format (printf, 2, 3)))
record_error (struct warm *w, const char *fs, ...)
{
  va_list args;
  int r;

  if (w->error)
    return;
  va_start (args, fs);
  r = vasprintf (&w->error, fs, args);
  va_end (args);
  if (r == -1)
    out_of_memory ();
}

/* The completion callback of every request.  It only records: it
 * must not call nbdcache_* on the handle that is calling it.
 */
static int
request_done (void *user_data, int *error)
{
  struct request *req = user_data;
  struct warm *w = req->w;

  w->in_flight--;
  if (*error == 0)
    w->done += req->count;
  else
    record_error (w, "nbdcache_aio_cache: offset %" PRIu64 ", count %"
                  PRIu64 ": %s", req->offset, req->count, strerror (*error));
  return 1;                     /* retire the command now */
}

/* Send the request at w->next_offset.  On failure the error is
 * recorded, which stops further submissions.
 */
static void
submit_next (struct nbdcache_handle *h, struct warm *w)
{
  uint64_t offset = w->next_offset;
  uint64_t count = w->size - offset;
  struct request *req;
  nbdcache_completion_callback cb;

  if (count > w->request_size)
    count = w->request_size;
  req = malloc (sizeof *req);
  if (req == NULL)
    out_of_memory ();
  *req = (struct request) { .w = w, .offset = offset, .count = count };
  cb = (nbdcache_completion_callback) {
    .callback = request_done, .user_data = req, .free = free,
  };

  /* Count it first: the callback could run before the call returns. */
  w->in_flight++;
  if (nbdcache_aio_cache (h, count, offset, cb, 0) == -1) {
    /* libnbdcache has freed req through .free. */
    w->in_flight--;
    record_error (w, "%s", library_error_text ());
    return;
  }
  w->next_offset = offset + count;
}

static bool
may_submit (const struct warm *w)
{
  return w->error == NULL && w->next_offset < w->size &&
    w->in_flight < w->max_in_flight;
}

/* Warm the whole export on H as W's parameters say, showing progress
 * on P.  Returns 0, or -1 with the first error in w->error.  If
 * nbdcache_poll fails, requests may remain in flight, and their
 * callbacks may still run when H is closed: W must outlive H.
 */
int
warm_run (struct nbdcache_handle *h, struct warm *w, struct progress *p)
{
  double start = now ();

  for (;;) {
    while (may_submit (w))
      submit_next (h, w);
    if (w->in_flight == 0)
      break;
    if (nbdcache_poll (h, -1) == -1) {
      record_error (w, "%s", library_error_text ());
      break;
    }
    progress_update (p, w->done, now () - start);
  }
  w->elapsed = now () - start;
  progress_finish (p, w->done, w->elapsed);
  return w->error ? -1 : 0;
}

/* Free what W owns; the handle must be closed already. */
void
warm_free (struct warm *w)
{
  free (w->error);
  w->error = NULL;
}
