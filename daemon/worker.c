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

static void
worker_dispatch (struct loop *loop, struct msg *m)
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
  case MSG_LOOP_STOP:
    for (size_t i = 0; i < nr_exports; i++)
      for (unsigned j = 0; j < exports[i].connections_configured; j++)
        if (exports[i].conns[j].worker == (struct worker *) loop)
          nbdconn_stop (&exports[i].conns[j]);
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

  event_base_loop (w->loop.base, EVLOOP_NO_EXIT_ON_EMPTY);
  worker_flush (w);
  return NULL;
}

/* Create and start N worker threads.  Returns 0 or -1 (logged). */
int
workers_start (unsigned n)
{
  workers = calloc (n, sizeof *workers);
  if (workers == NULL) {
    log_warn ("calloc");
    return -1;
  }
  for (unsigned i = 0; i < n; i++) {
    char name[32];
    int err;

    snprintf (name, sizeof name, "worker %u", i);
    if (loop_init (&workers[i].loop, name, worker_dispatch) == -1)
      return -1;
    workers[i].id = i;
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
