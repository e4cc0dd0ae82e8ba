/* nbdcached: connect jobs, which start a connection off the loops.
 *
 * For nbd:// and nbds:// URIs libnbd 1.14 resolves the host name with
 * a synchronous getaddrinfo() inside nbd_aio_connect_uri.  With an
 * unresponsive nameserver that takes 10 s or more, and a loop thread
 * stuck in it serves nobody: on the main loop, no client, no other
 * export, no watchdog ping.  So no loop ever calls it.  Each attempt
 * creates, configures and starts the handle in a short-lived detached
 * thread, a "connect job", for every URI (one code path for all
 * transports).  nbd_aio_connect_uri returns once the non-blocking
 * connect has begun, so the thread lives as long as the lookup.  The
 * job then posts MSG_CONN_JOB_DONE to the owning loop, which drives
 * the handle from there (libnbd handles may move between threads).
 *
 * The owner may stop wanting the result (a reset, a stop; a connect
 * timeout does not, see conn_lookup_late in nbdconn.c): it abandons
 * the job, and the thread, when done, closes the handle itself instead
 * of posting.  The thread posts while holding
 * jobs_lock, and an owner abandons every job of its loop before the
 * loop is freed, so no post can reach a freed loop.  The thread never
 * touches the connection, the export or the loop once abandoned: it
 * works on its own copy of the export's configuration.
 *
 * A job is freed by whoever drops the last of two references: the
 * owner's (until the result is taken, or until an abandoned job is
 * released) and the thread's (which goes with its message when it
 * posts one).  Jobs stay in a list until freed, so that one still
 * stuck in a lookup at exit is reachable, not leaked; main.c then
 * exits without running destructors (connect_jobs_left).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "cleanup.h"
#include "internal.h"

struct connect_job {
  struct msg msg;               /* MSG_CONN_JOB_DONE */
  struct nbdconn *conn;         /* the owner's; never used by the thread */
  struct loop *loop;            /* the owner's loop, to post to */
  struct export_config cfg;     /* the thread's own copy */
  struct nbd_handle *nbd;       /* result: connecting, or NULL ... */
  char error[256];              /* ... and why */

  /* Under jobs_lock (the owner, which alone writes abandoned, may
   * read it unlocked).
   */
  LIST_ENTRY (connect_job) entry; /* in jobs until freed */
  unsigned refs;
  bool abandoned;               /* the owner does not want the result */
  bool done;                    /* the thread has finished its work */
};

/* Lock order: jobs_lock, then a loop's inbox lock (loop_post). */
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD (, connect_job) jobs = LIST_HEAD_INITIALIZER (jobs);

/* Drop one of JOB's references; the last frees it.  Any thread. */
static void
job_unref (struct connect_job *job)
{
  bool last;

  pthread_mutex_lock (&jobs_lock);
  last = --job->refs == 0;
  if (last)
    LIST_REMOVE (job, entry);
  pthread_mutex_unlock (&jobs_lock);
  if (last) {
    export_config_free (&job->cfg);
    free (job);
  }
}

/* Apply the export's URI restrictions and TLS settings EC to a new
 * handle H.  Returns 0 or -1 (nbd_get_error says why).
 */
static int
handle_configure (struct nbd_handle *h, const struct export_config *ec)
{
  if (nbd_set_handle_name (h, ec->name) == -1 ||
      nbd_set_uri_allow_local_file (h, ec->uri_allow_local_file) == -1 ||
      nbd_set_uri_allow_transports (h, ec->allow_transports) == -1)
    return -1;
  if (ec->tls >= 0) {
    if (nbd_set_tls (h, ec->tls) == -1)
      return -1;
    /* With tls = require a plain nbd:// URI is refused, not downgraded. */
    if (ec->tls == LIBNBD_TLS_REQUIRE &&
        nbd_set_uri_allow_tls (h, LIBNBD_TLS_REQUIRE) == -1)
      return -1;
  }
  if (ec->tls_certificates &&
      nbd_set_tls_certificates (h, ec->tls_certificates) == -1)
    return -1;
  if (ec->tls_psk_file && nbd_set_tls_psk_file (h, ec->tls_psk_file) == -1)
    return -1;
  if (ec->tls_username && nbd_set_tls_username (h, ec->tls_username) == -1)
    return -1;
  return 0;
}

/* The job thread: create the handle and start connecting (this is
 * where a name lookup blocks), then hand over the result, or drop it
 * if the owner has abandoned the job.
 */
static void *
job_main (void *opaque)
{
  struct connect_job *job = opaque;
  struct nbd_handle *h;
  bool abandoned;

  pthread_setname_np (pthread_self (), "connect-job");
  h = nbd_create ();
  if (h == NULL || handle_configure (h, &job->cfg) == -1 ||
      nbd_aio_connect_uri (h, job->cfg.uri) == -1) {
    /* nbd_get_error is per thread: only this one can read it. */
    const char *err = nbd_get_error ();

    snprintf (job->error, sizeof job->error, "%s",
              err ? err : "cannot start connecting");
    if (h)
      nbd_close (h);
    h = NULL;
  }
  job->nbd = h;

  {
    ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&jobs_lock);
    job->done = true;
    abandoned = job->abandoned;
    if (!abandoned)
      loop_post (job->loop, &job->msg); /* with the thread's reference */
  }
  if (abandoned) {
    if (h)
      nbd_close (h);
    job_unref (job);
  }
  return NULL;
}

/* Start a job that connects CONN (its export's URI and settings) in a
 * new thread; CONN's owner gets MSG_CONN_JOB_DONE unless it abandons
 * the job.  Returns the job, which holds a reference for the caller,
 * or NULL with errno set and *FAILED saying which step failed.  Owner
 * thread.
 */
struct connect_job *
connect_job_start (struct nbdconn *conn, const char **failed)
{
  struct connect_job *job = calloc (1, sizeof *job);
  pthread_attr_t attr;
  pthread_t thread;
  int err;

  *failed = "cannot set up the attempt to connect";
  if (job == NULL)
    return NULL;
  if (export_config_copy (&job->cfg, &conn->exp->cfg) == -1) {
    err = errno;
    export_config_free (&job->cfg);
    free (job);
    errno = err;
    return NULL;
  }
  job->msg.type = MSG_CONN_JOB_DONE;
  job->conn = conn;
  job->loop = conn->worker->lp;
  job->refs = 2;
  {
    ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&jobs_lock);
    LIST_INSERT_HEAD (&jobs, job, entry);
  }

  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  err = pthread_create (&thread, &attr, job_main, job);
  pthread_attr_destroy (&attr);
  if (err != 0) {
    job->refs = 1;              /* no thread: only the caller's */
    job_unref (job);
    *failed = "cannot start a thread to connect";
    errno = err;
    return NULL;
  }
  return job;
}

/* The owner no longer wants JOB's result: its thread closes the handle
 * when it is done (or, if it has already posted it, connect_job_msg
 * does).  The owner keeps its reference.  Owner thread.
 */
void
connect_job_abandon (struct connect_job *job)
{
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&jobs_lock);
  job->abandoned = true;
}

/* Is JOB's thread still at work (stuck in a lookup, if abandoned)? */
bool
connect_job_busy (struct connect_job *job)
{
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&jobs_lock);
  return !job->done;
}

/* Abandon JOB and drop the owner's reference.  Owner thread; JOB is
 * gone for it afterwards.
 */
void
connect_job_release (struct connect_job *job)
{
  connect_job_abandon (job);
  job_unref (job);
}

/* Are job threads still running?  At exit, once every connection has
 * stopped, only threads stuck in a name lookup are left.  Any thread.
 */
bool
connect_jobs_left (void)
{
  ACQUIRE_LOCK_FOR_CURRENT_SCOPE (&jobs_lock);
  return !LIST_EMPTY (&jobs);
}

/* MSG_CONN_JOB_DONE, on the owning loop: pass the handle (or the
 * error) to the connection, which takes it as its own
 * (nbdconn_job_done), unless the job was abandoned after it posted.
 */
void
connect_job_msg (struct msg *m)
{
  struct connect_job *job = container_of (m, struct connect_job, msg);

  if (job->abandoned) {
    /* The connection may be gone (stopped): leave it alone. */
    if (job->nbd)
      nbd_close (job->nbd);
    job_unref (job);            /* the message's */
    return;
  }
  nbdconn_job_done (job->conn, job->nbd, job->error);
  job_unref (job);              /* the message's */
  job_unref (job);              /* the owner's */
}
