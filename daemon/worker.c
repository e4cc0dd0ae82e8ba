/* nbdcached: the workers that own the pooled NBD connections.
 *
 * workers[0] runs on the main loop; workers[1..nr_threads] are
 * threads, each with its own loop.  Every export's first connection
 * belongs to workers[0], so that at low load (one request in flight)
 * a request never leaves the main thread: no hand-off, no wake-up of
 * another thread.  The other connections are spread over the threads,
 * which take the load when there is more in flight than one
 * connection carries.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct worker *workers;
unsigned nr_workers;             /* workers[0] (main) + the threads */
unsigned nr_threads;

/* Record a finished chunk; it goes back to main in one post per batch
 * (worker_flush).  Worker thread.
 */
void
worker_chunk_done (struct worker *w, struct chunk *c)
{
  c->msg.type = MSG_CHUNK_DONE;
  msg_queue_push (&w->done, &c->msg);
}

/* Post the finished chunks back to the main loop in one message
 * list.  Worker thread; called after every batch of work.
 */
void
worker_flush (struct worker *w)
{
  loop_post_queue (&main_loop, &w->done);
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

/* Act on W's lost timers that are due (nbdconn_sweep_lost_timers),
 * and keep W marked while some are still waiting.  W's thread.
 */
static void
worker_sweep (struct worker *w)
{
  atomic_store (&w->timers_lost, false);
  if (nbdconn_sweep_lost_timers (w, now_ns ()))
    atomic_store (&w->timers_lost, true);
  worker_flush (w);
}

/* From main's janitor: sweep each worker that has lost a timer, on
 * its own thread (workers[0], on main, at once).  Posts at most one
 * sweep at a time to a worker, so that the embedded message is never
 * queued twice.
 */
void
workers_janitor (void)
{
  for (unsigned i = 0; i < nr_workers; i++) {
    struct worker *w = &workers[i];

    if (!atomic_load (&w->timers_lost))
      continue;
    if (i == 0)
      worker_sweep (w);
    else if (!atomic_exchange (&w->sweep_posted, true)) {
      w->sweep_msg.type = MSG_WORKER_SWEEP;
      loop_post (&w->loop, &w->sweep_msg);
    }
  }
}

/* A message for a worker: on a worker thread, or on the main loop
 * for workers[0].
 */
void
worker_handle_msg (struct loop *loop, struct msg *m)
{
  struct chunk *c;
  struct nbdconn *conn;
  struct worker *w;

  switch (m->type) {
  case MSG_CHUNK_SUBMIT:
    c = container_of (m, struct chunk, msg);
    nbdconn_submit (c->conn, c);
    break;
  case MSG_CONN_START:
    conn = container_of (m, struct nbdconn, start_msg);
    /* Not when stopping: a start left in the main loop's inbox (a
     * reload and a SIGTERM in one pass) would open a connection that
     * nothing closes.  A thread handles its inbox in order, so a
     * start there always comes before its MSG_LOOP_STOP.
     */
    if (!(loop == &main_loop && daemon_stopping))
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
  case MSG_CONN_JOB_DONE:
    connect_job_msg (m);
    break;
  case MSG_LOOP_STOP:
    worker_stop_conns ((struct worker *) loop);
    event_base_loopbreak (loop->base);
    break;
  case MSG_WORKER_SWEEP:
    w = container_of (m, struct worker, sweep_msg);
    atomic_store (&w->sweep_posted, false);
    worker_sweep (w);
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
  /* A connect job may have posted its result just before
   * MSG_LOOP_STOP abandoned it: close that handle too.
   */
  loop_drain (&w->loop);
  worker_flush (w);
  return NULL;
}

/* Set up workers[0] on the main loop, and create and start N worker
 * threads.  Returns 0 or -1 (logged).  On failure the workers already
 * running stay counted in nr_workers, for workers_stop; the one that
 * could not start leaves nothing behind.
 */
int
workers_start (unsigned n)
{
  workers = calloc (n + 1, sizeof *workers);
  if (workers == NULL) {
    log_warn ("calloc");
    return -1;
  }
  workers[0].lp = &main_loop;
  TAILQ_INIT (&workers[0].conns);
  msg_queue_init (&workers[0].done);
  nr_workers = 1;
  for (unsigned i = 1; i <= n; i++) {
    char name[32];
    int err;

    snprintf (name, sizeof name, "worker %u", i);
    if (loop_init (&workers[i].loop, name, worker_handle_msg) == -1)
      return -1;
    workers[i].lp = &workers[i].loop;
    workers[i].id = i;
    TAILQ_INIT (&workers[i].conns);
    msg_queue_init (&workers[i].done);
    workers[i].loop.after_batch = worker_after_batch;
    err = pthread_create (&workers[i].loop.thread, NULL, worker_main,
                          &workers[i]);
    if (err != 0) {
      loop_free (&workers[i].loop);
      errno = err;
      log_warn ("pthread_create");
      return -1;
    }
    nr_workers = i + 1;
    nr_threads = i;
  }
  return 0;
}

/* The worker to own connection INDEX of an export: the first on the
 * main loop, the others round-robin over the threads (over all
 * exports, so that the threads share the load evenly).
 */
struct worker *
worker_for_connection (unsigned index)
{
  static unsigned next_thread;

  if (index == 0 || nr_threads == 0)
    return &workers[0];
  return &workers[1 + next_thread++ % nr_threads];
}

/* Ask every worker to close its connections and exit, and wait.  Their
 * last completions are left in the main loop's inbox, which still
 * refers to the workers: free them with workers_free once it is
 * empty.
 */
void
workers_stop (void)
{
  for (unsigned i = 1; i < nr_workers; i++) {
    workers[i].stop_msg.type = MSG_LOOP_STOP;
    loop_post (&workers[i].loop, &workers[i].stop_msg);
  }
  worker_stop_conns (&workers[0]);
  worker_flush (&workers[0]);
  for (unsigned i = 1; i < nr_workers; i++) {
    pthread_join (workers[i].loop.thread, NULL);
    loop_free (&workers[i].loop);
  }
}

/* After workers_stop, once the main loop's inbox is empty. */
void
workers_free (void)
{
  free (workers);
  workers = NULL;
  nr_workers = nr_threads = 0;
}
