/* nbdcached: worker threads, each running a loop that owns some of
 * the pooled NBD connections.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct worker *workers;
unsigned nr_workers;
bool workers_inline;            /* --threads 0: main drives the handles */

/* Record a finished chunk; it goes back to main in one post per batch
 * (worker_flush).  Worker thread.
 */
void
worker_chunk_done (struct worker *w, struct chunk *c)
{
  c->msg.type = MSG_CHUNK_DONE;
  c->msg.next = NULL;
  *w->done_tail = &c->msg;
  w->done_tail = &c->msg.next;
}

/* Post the finished chunks back to the main loop in one message
 * list.  Worker thread; called after every batch of work.
 */
void
worker_flush (struct worker *w)
{
  if (w->done_head == NULL)
    return;
  loop_post_list (&main_loop, w->done_head, w->done_tail);
  w->done_head = NULL;
  w->done_tail = &w->done_head;
}

static void
worker_after_batch (struct loop *loop)
{
  worker_flush ((struct worker *) loop);
}

/* Close every connection W owns, for good. */
static void
worker_stop_conns (struct worker *w)
{
  struct nbdconn *conn;

  while ((conn = TAILQ_FIRST (&w->conns)) != NULL)
    nbdconn_stop (conn);
}

/* A message for a worker: on a worker thread, or on the main loop
 * when the connections are driven inline.
 */
void
worker_handle_msg (struct loop *loop, struct msg *m)
{
  struct chunk *c;
  struct nbdconn *conn;

  switch (m->type) {
  case MSG_CHUNK_SUBMIT:
    c = container_of (m, struct chunk, msg);
    nbdconn_submit (c->conn, c);
    break;
  case MSG_CONN_START:
    conn = container_of (m, struct nbdconn, start_msg);
    nbdconn_start (conn);
    break;
  case MSG_CONN_RESET:
    conn = container_of (m, struct nbdconn, reset_msg);
    nbdconn_reset (conn);
    break;
  case MSG_CONN_STOP:
    conn = container_of (m, struct nbdconn, stop_msg);
    nbdconn_stop (conn);
    worker_flush (conn->worker);
    loop_post (&main_loop, &conn->stopped_msg);
    break;
  case MSG_LOOP_STOP:
    worker_stop_conns ((struct worker *) loop);
    event_base_loopbreak (loop->base);
    free (m);
    break;
  default:
    log_warnx ("%s: unexpected message %d", loop->name, m->type);
  }
}

static void *
worker_main (void *opaque)
{
  struct worker *w = opaque;

  loop_run (&w->loop);
  worker_flush (w);
  return NULL;
}

/* Create and start N worker threads; with N = 0, one worker that runs
 * on the main loop (no thread, no hand-offs).  Returns 0 or -1
 * (logged).
 */
int
workers_start (unsigned n)
{
  workers = calloc (n ? n : 1, sizeof *workers);
  if (workers == NULL) {
    log_warn ("calloc");
    return -1;
  }
  if (n == 0) {
    workers_inline = true;
    workers[0].lp = &main_loop;
    TAILQ_INIT (&workers[0].conns);
    workers[0].done_tail = &workers[0].done_head;
    nr_workers = 1;
    return 0;
  }
  for (unsigned i = 0; i < n; i++) {
    char name[32];
    int err;

    snprintf (name, sizeof name, "worker %u", i);
    if (loop_init (&workers[i].loop, name, worker_handle_msg) == -1)
      return -1;
    workers[i].lp = &workers[i].loop;
    workers[i].id = i;
    TAILQ_INIT (&workers[i].conns);
    workers[i].done_tail = &workers[i].done_head;
    workers[i].loop.after_batch = worker_after_batch;
    err = pthread_create (&workers[i].loop.thread, NULL, worker_main,
                          &workers[i]);
    if (err != 0) {
      errno = err;
      log_warn ("pthread_create");
      return -1;
    }
    nr_workers = i + 1;
  }
  return 0;
}

/* Ask every worker to close its connections and exit, and wait.  Their
 * last completions are left in the main loop's inbox.
 */
void
workers_stop (void)
{
  if (workers_inline) {
    worker_stop_conns (&workers[0]);
    worker_flush (&workers[0]);
    free (workers);
    workers = NULL;
    nr_workers = 0;
    workers_inline = false;
    return;
  }
  for (unsigned i = 0; i < nr_workers; i++) {
    struct msg *m = calloc (1, sizeof *m);
    if (m == NULL)
      fatal ("calloc");
    m->type = MSG_LOOP_STOP;
    loop_post (&workers[i].loop, m);
  }
  for (unsigned i = 0; i < nr_workers; i++) {
    pthread_join (workers[i].loop.thread, NULL);
    loop_free (&workers[i].loop);
  }
  free (workers);
  workers = NULL;
  nr_workers = 0;
}
