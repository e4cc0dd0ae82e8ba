/* nbdcached: private declarations of the daemon.
 *
 * Threads.  The main thread runs the "main loop": it accepts clients,
 * reads and answers their requests, splits cache requests into chunks
 * and aggregates the chunks' results.  Each worker thread runs one
 * loop that owns some of the pooled NBD connections (struct nbdconn):
 * only that thread ever calls nbd_* on their handles, except that a
 * short-lived connect job thread creates each handle and starts it
 * connecting, because that may block in a name lookup
 * (connect-job.c).  Threads talk only by posting struct msg to each
 * other's inbox (loop.c); besides the inbox locks, the only lock is
 * connect-job.c's, which guards the hand-over of a job's result.
 *
 * Ownership.  Clients, requests, exports and chunks are created and
 * freed by the main thread.  A chunk visits a worker between
 * MSG_CHUNK_SUBMIT and MSG_CHUNK_DONE; during that time only the
 * worker touches it.  Fields of struct nbdconn are split into a
 * worker-owned part and a main-owned part, marked below.
 */
#ifndef NBDCACHED_DAEMON_INTERNAL_H
#define NBDCACHED_DAEMON_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <libnbd.h>

#include "codec.h"
#include "log.h"
#include "strbuf.h"
#include "vector.h"

#define container_of(ptr, type, member) \
  ((type *) ((char *) (ptr) - offsetof (type, member)))

/* ------------------------------------------------------------------ */
/* config.c */

DEFINE_VECTOR_TYPE (id_list, unsigned)

enum fallback_mode {
  FALLBACK_ERROR,               /* no cache support: fail with ENOTSUP */
  FALLBACK_READ,                /* emulate cache with reads */
};

struct export_config {
  char *name;
  char *uri;
  int line;                     /* of its [export] in the file; 0: -e */
  unsigned connections;         /* 0: the default (4, or 1) */
  unsigned max_in_flight;
  unsigned connect_timeout_ms;
  unsigned request_timeout_ms;  /* deadline of each request */
  unsigned reconnect_min_ms;    /* first reconnect delay, doubling ... */
  unsigned reconnect_max_ms;    /* ... up to this */
  unsigned warm_ttl_ms;         /* dedup window; 0 turns dedup off */
  bool coalesce;                /* merge adjacent pending requests */
  uint64_t max_chunk;           /* cap on one NBD command's length */
  enum fallback_mode fallback;

  /* Who may use the export.  When neither list is set, everyone who
   * can reach the socket may; root always may.
   */
  bool restricted;
  id_list allow_uids;
  id_list allow_gids;

  /* URI hardening and TLS (libnbd's nbd_set_uri_allow_*, nbd_set_tls*). */
  bool uri_allow_local_file;
  uint32_t allow_transports;    /* LIBNBD_ALLOW_TRANSPORT_* */
  int tls;                      /* -1: as the URI says, else LIBNBD_TLS_* */
  char *tls_certificates;
  char *tls_psk_file;
  char *tls_username;
};
DEFINE_VECTOR_TYPE (export_config_list, struct export_config)

struct config {
  char *socket_path;            /* NULL: the default */
  char *pid_file;
  unsigned threads;             /* THREADS_UNSET: the default */
  unsigned socket_mode;
  uid_t socket_owner;           /* (uid_t) -1: unchanged */
  gid_t socket_group;           /* (gid_t) -1: unchanged */
  unsigned max_client_requests; /* per client, in flight */
  uint64_t max_client_bytes;    /* per client, in flight */
  uint64_t max_client_output;   /* unread replies before disconnecting */
  unsigned max_user_clients;    /* connections per user but root */
  unsigned max_user_requests;   /* in flight per user but root */
  unsigned hello_timeout_ms;    /* a new client must say hello by then */
  unsigned drain_timeout_ms;    /* SIGTERM: how long to let requests finish */
  unsigned busy_poll_us;        /* 0: loops sleep as soon as idle */
  export_config_list exports;
};

#define DEFAULT_CONNECTIONS 4
#define DEFAULT_MAX_IN_FLIGHT 64
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_REQUEST_TIMEOUT_MS 60000
#define DEFAULT_RECONNECT_MIN_MS 100
#define DEFAULT_RECONNECT_MAX_MS 10000
#define DEFAULT_WARM_TTL_MS 30000
/* The NBD protocol's default maximum block size: the largest command
 * every server is expected to take, and a size one command serves in
 * well under request-timeout on any server that warms at all.
 */
#define DEFAULT_MAX_CHUNK (UINT64_C (32) << 20)
#define MAX_CHUNK_MIN 4096
#define MAX_CHUNK_MAX (INT64_C (4) << 30)
#define DEFAULT_SOCKET_MODE 0660
#define DEFAULT_MAX_CLIENT_REQUESTS 1024
#define DEFAULT_MAX_CLIENT_BYTES (UINT64_C (1) << 40)
#define DEFAULT_MAX_CLIENT_OUTPUT (4 * 1024 * 1024)
#define DEFAULT_MAX_USER_CLIENTS 256
#define DEFAULT_MAX_USER_REQUESTS 16384
#define DEFAULT_HELLO_TIMEOUT_MS 10000
#define DEFAULT_DRAIN_TIMEOUT_MS 30000
#define MAX_CONNECTIONS 64
#define MAX_IN_FLIGHT_LIMIT 4096
#define MAX_THREADS 64
#define MAX_BUSY_POLL_US 1000000
#define THREADS_UNSET UINT_MAX

/* The configuration in force; lives until exit. */
extern struct config cfg;

extern void config_init (struct config *c);
extern int config_read (struct config *c, const char *file,
                        char *const *export_args, size_t nr_export_args);
extern int export_config_copy (struct export_config *dst,
                               const struct export_config *src);
extern bool export_config_equal (const struct export_config *a,
                                 const struct export_config *b);
extern void export_config_free (struct export_config *ec);
extern int config_add_export_arg (struct config *cfg, const char *arg);
extern void config_free (struct config *cfg);

/* ------------------------------------------------------------------ */
/* loop.c: an event_base plus an inbox other threads post to. */

enum msg_type {
  MSG_CHUNK_SUBMIT,             /* main -> worker: send this chunk */
  MSG_CHUNK_DONE,               /* worker -> main: chunk finished */
  MSG_CONN_START,               /* main -> worker: connect */
  MSG_CONN_EVENT,               /* worker -> main: connection up/down */
  MSG_CONN_RESET,               /* main -> worker: drop a hung connection */
  MSG_CONN_STOP,                /* main -> worker: close for good */
  MSG_CONN_STOPPED,             /* worker -> main: closed, may be freed */
  MSG_LOOP_STOP,                /* main -> worker: close all, exit */
  MSG_CONN_JOB_DONE,            /* connect job -> owner: handle started */
  MSG_WORKER_SWEEP,             /* main -> worker: act on lost timers */
};

struct msg {
  struct msg *next;
  enum msg_type type;
};

/* A first-in first-out queue of messages, linked through their next:
 * a loop's inbox, a worker's finished chunks, a connection's queued
 * chunks and chunks sent in pieces, an export's chunks to send again,
 * a pump's batch for each worker.  Not locked: its owner's rules
 * apply.  It points into itself, so it is never copied: moved with
 * msg_queue_append.
 */
struct msg_queue {
  struct msg *head;
  struct msg **tail;            /* &head when empty */
};

static inline void
msg_queue_init (struct msg_queue *q)
{
  q->head = NULL;
  q->tail = &q->head;
}

static inline bool
msg_queue_empty (const struct msg_queue *q)
{
  return q->head == NULL;
}

static inline void
msg_queue_push (struct msg_queue *q, struct msg *m)
{
  m->next = NULL;
  *q->tail = m;
  q->tail = &m->next;
}

/* The first message of Q, taken off it (its next cleared), or NULL. */
static inline struct msg *
msg_queue_pop (struct msg_queue *q)
{
  struct msg *m = q->head;

  if (m != NULL) {
    q->head = m->next;
    if (q->head == NULL)
      q->tail = &q->head;
    m->next = NULL;
  }
  return m;
}

/* Move every message of FROM, in order, to the end of Q (or, AT_FRONT,
 * before Q's own); FROM is left empty.
 */
static inline void
msg_queue_move (struct msg_queue *q, struct msg_queue *from, bool at_front)
{
  if (msg_queue_empty (from))
    return;
  if (at_front) {
    *from->tail = q->head;
    if (msg_queue_empty (q))
      q->tail = from->tail;
    q->head = from->head;
  }
  else {
    *q->tail = from->head;
    q->tail = from->tail;
  }
  msg_queue_init (from);
}

struct loop {
  char name[32];
  struct event_base *base;
  pthread_t thread;
  int kick_fd;                  /* eventfd */
  struct event *kick_ev;
  struct event *self_ev;        /* activated by posts from this thread */
  void (*dispatch) (struct loop *loop, struct msg *msg);
  void (*after_batch) (struct loop *loop);   /* may be NULL */

  pthread_mutex_t lock;         /* protects the inbox only */
  struct msg_queue inbox;
  bool kicked;
};

extern int loop_init (struct loop *loop, const char *name,
                      void (*dispatch) (struct loop *, struct msg *));
extern void loop_free (struct loop *loop);
extern void loop_post (struct loop *loop, struct msg *msg);
extern void loop_post_queue (struct loop *loop, struct msg_queue *q);
extern void loop_drain (struct loop *loop);
extern void loop_run (struct loop *loop);
extern void loop_set_busy_poll (unsigned us);

/* Counts the passes of this thread's loop that did work, for
 * busy-polling (loop_run).  The callbacks that serve clients, NBD
 * sockets and the inbox call loop_note_work.
 */
extern __thread unsigned loop_work;
static inline void
loop_note_work (void)
{
  loop_work++;
}

/* NBD commands in flight on the connections this thread's loop
 * drives: busy-polling is only for a lightly loaded loop (loop_run).
 * nbdconn.c counts each command from issue to its .free callback.
 */
extern __thread unsigned loop_nbd_in_flight;
extern int timer_add_or_note (struct event *ev, unsigned ms,
                              uint64_t *lost_due);
extern bool timer_lost_is_due (uint64_t *lost_due, uint64_t now);

/* ------------------------------------------------------------------ */
/* worker.c */

struct chunk;

struct worker {
  struct loop loop;             /* first member; unused by workers[0] */
  struct loop *lp;              /* the loop it runs on: &loop, or
                                   &main_loop for workers[0] */
  unsigned id;
  TAILQ_HEAD (, nbdconn) conns; /* the connections it owns (started) */
  struct msg_queue done;        /* chunks to post back to main */
  struct msg stop_msg;          /* MSG_LOOP_STOP, ready at shutdown */
  /* A timer of one of its connections could not be added: main's
   * janitor has it swept (MSG_WORKER_SWEEP, sweep_msg) until none is
   * left waiting.
   */
  atomic_bool timers_lost;
  atomic_bool sweep_posted;
  struct msg sweep_msg;
};

extern struct worker *workers;  /* [0] on the main loop, then threads */
extern unsigned nr_workers;       /* 1 + nr_threads */
extern unsigned nr_threads;
extern struct loop main_loop;

extern int workers_start (unsigned n);
extern struct worker *worker_for_connection (unsigned index);
extern void worker_handle_msg (struct loop *loop, struct msg *m);
extern void workers_stop (void);
extern void workers_free (void);
extern void workers_janitor (void);
extern void worker_chunk_done (struct worker *w, struct chunk *c);
extern void worker_flush (struct worker *w);

/* ------------------------------------------------------------------ */
/* nbdconn.c: one pooled libnbd connection, driven by its worker. */

/* What a connection learns from its server about the export.  The
 * export's facts (struct export) are those of the connection that came
 * up last; each connection keeps its own (nbdconn).
 */
struct export_info {
  uint64_t size;
  bool can_cache;
  bool can_multi_conn;
  bool block_advertised;
  uint32_t block_min;           /* effective values, never 0 */
  uint32_t block_pref;
  uint32_t block_max;
};

enum conn_state {
  CONN_IDLE,                    /* not started yet (the zeroed state) */
  CONN_RESOLVING,               /* a connect job is starting the handle */
  CONN_CONNECTING, CONN_UP, CONN_DOWN,
};

/* What a connection's worker last reported to main (MSG_CONN_EVENT).
 * Each connection has one, so that reporting never allocates, and it
 * is only ever read whole, with nbdconn_take_report: a report main has
 * not taken yet is overwritten by the next, and main sees the latest.
 * UPS counts the times the connection came up, so that main can tell
 * that an "up" it reads hides a loss it never saw.
 */
struct conn_report {
  bool up;
  unsigned ups;
  struct export_info info;      /* when up */
  char error[256];              /* when down */
};

struct nbdconn {
  struct export *exp;           /* immutable */
  unsigned index;               /* in exp->conns */
  struct worker *worker;        /* the owning thread, immutable */
  struct msg start_msg;
  struct msg reset_msg;
  struct msg stop_msg;
  struct msg stopped_msg;
  struct msg report_msg;        /* MSG_CONN_EVENT, for the report: */
  struct conn_report report;    /* under reports_lock (nbdconn.c) */
  bool report_posted;           /* report_msg is on its way to main */

  /* Worker-owned. */
  TAILQ_ENTRY (nbdconn) worker_entry; /* in worker->conns once started */
  bool listed;                  /* linked in worker->conns */
  struct nbd_handle *nbd;
  struct connect_job *job;      /* this attempt's (in CONN_DOWN too, if
                                   its lookup outlived connect-timeout),
                                   or an abandoned one whose thread may
                                   still be running */
  /* Embedded, so that losing and reopening a connection allocates
   * nothing in the daemon, and cannot fail for want of memory; each is
   * assigned on first use (event_initialized says whether it was).
   */
  struct event ev;              /* socket readable */
  struct event wev;             /* socket writable */
  struct event timer;           /* connect timeout */
  struct event retry_timer;     /* reconnect after a delay */
  /* When libevent could not add one of the two timers (it could not
   * grow its timer heap): when it was due, for the janitor's sweep
   * (nbdconn_sweep_lost_timers) to act on.  0: not lost.
   */
  uint64_t timer_lost_due_ns, retry_lost_due_ns;
  int ev_fd;                    /* the fd both events watch */
  bool rd_armed, wr_armed;
  unsigned ups;                 /* times it came up */
  uint64_t up_ns;               /* when it last came up */
  bool served;                  /* a command succeeded since then */
  enum conn_state state;
  bool stopped;                 /* shutting down: never reconnect */
  bool shutdown_wanted;         /* the server sent ESHUTDOWN */
  bool use_read;                /* emulate cache with pread */
  char *scratch;                /* pread target when use_read */
  struct export_info server;    /* what its own server told it, as the
                                   daemon uses it (export_effective_info):
                                   maybe not the export's facts, which
                                   are another connection's; every
                                   command is fitted to it (send_command) */
  unsigned backoff_ms;          /* next reconnect delay */
  unsigned in_flight;           /* chunks sent and not finished: each
                                   holds one of max-in-flight slots, and
                                   has one NBD command in flight or is
                                   on the pieces list */
  struct msg_queue queue;       /* chunks waiting for a slot */
  /* Chunks sent in pieces, between two pieces: each keeps its slot,
   * and its next piece is sent once the libnbd call that ended the last
   * one has returned (issue_queued).
   */
  struct msg_queue pieces;

  /* Main-owned. */
  bool started;                 /* MSG_CONN_START was posted */
  bool stopping;                /* MSG_CONN_STOP was posted */
  bool up;
  unsigned ups_seen;            /* report.ups when it was last seen up */
  bool ever_up;
  struct export_info info;      /* its server's facts (effective), as
                                   it last reported them up */
  bool reset_posted;            /* a MSG_CONN_RESET is on its way */
  char reset_why[128];          /* and why: written before the post,
                                   read by the worker after it */
  unsigned outstanding;         /* chunks posted and not yet back */
  TAILQ_HEAD (, chunk) handed;  /* those chunks, oldest first */
  uint64_t last_progress_ns;    /* last chunk back, or start of busy */

};

/* Reads of at most this size emulate cache when the server lacks it. */
#define FALLBACK_READ_MAX (4U * 1024 * 1024)

extern void nbdconn_start (struct nbdconn *conn);
extern void nbdconn_job_done (struct nbdconn *conn, struct nbd_handle *nbd,
                              const char *error);
extern void nbdconn_submit (struct nbdconn *conn, struct chunk *c);
extern void nbdconn_reset (struct nbdconn *conn);
extern void nbdconn_stop (struct nbdconn *conn);
extern void nbdconn_take_report (struct nbdconn *conn,
                                 struct conn_report *r);
extern bool nbdconn_sweep_lost_timers (struct worker *w, uint64_t now);

/* ------------------------------------------------------------------ */
/* connect-job.c: a short-lived thread creates a connection's handle
 * and starts it connecting, since that may block in a name lookup.
 * These functions are called on the connection's owning loop.
 */

struct connect_job;
extern struct connect_job *connect_job_start (struct nbdconn *conn,
                                              const char **failed);
extern void connect_job_abandon (struct connect_job *job);
extern bool connect_job_busy (struct connect_job *job);
extern void connect_job_release (struct connect_job *job);
extern void connect_job_msg (struct msg *m);
extern bool connect_jobs_left (void);

/* ------------------------------------------------------------------ */
/* export.c: exports and their pools, as the main thread sees them. */

/* CONNECTING: the first attempt is under way.  RECONNECTING: the last
 * connection up was lost and no attempt to reopen one has failed yet;
 * requests are accepted and wait for it.  DOWN: the server cannot be
 * reached; requests fail at once.
 */
enum export_state {
  EXPORT_CONNECTING, EXPORT_UP, EXPORT_RECONNECTING, EXPORT_DOWN,
};

struct request;
struct client;
struct user;

/* pending.c: the pending queue's index by next byte. */
LIST_HEAD (request_bucket, request);
struct pending_index {
  struct request_bucket *buckets; /* 2^bits of them, or NULL */
  unsigned bits;
};
struct pending_search {
  uint64_t start;               /* the range searched begins here */
  uint64_t granule;             /* the next one to probe */
};

/* pending.c: one user's share of one export's pool, and one client's
 * pending requests on one export (its flow).  The export serves its
 * shares in turn, a share its flows in turn, and a flow its requests
 * in turn.  A share is in exp->shares exactly while one of its flows
 * has requests, and a flow in share->flows exactly while it has
 * requests.  Both are kept while empty (share_find, flow_find): a
 * share on its user until the user's last connection closes, a flow
 * on its client until the client is freed.
 */
struct share {
  struct export *exp;           /* with the user, the key */
  TAILQ_HEAD (, flow) flows;    /* with requests, in turn order */
  TAILQ_ENTRY (share) turn_entry;  /* in exp->shares, while not empty */
  LIST_ENTRY (share) user_entry;   /* in user->shares */
};

struct flow {
  struct export *exp;           /* with the client, the key */
  struct share *share;          /* its user's on EXP */
  TAILQ_HEAD (, request) requests; /* pending, in turn order */
  TAILQ_ENTRY (flow) turn_entry;   /* in share->flows, while not empty */
  LIST_ENTRY (flow) client_entry;  /* in client->flows */
};

struct warm_range {
  uint64_t start, end;
  uint64_t time_ns;             /* when it was warmed */
};
DEFINE_VECTOR_TYPE (warm_ranges, struct warm_range)
DEFINE_VECTOR_TYPE (chunk_list, struct chunk *)
DEFINE_VECTOR_TYPE (request_ptrs, struct request *)

/* Latency buckets of the stats histogram, in microseconds; one more
 * bucket counts everything slower.
 */
#define LATENCY_BUCKETS 16
extern const uint64_t latency_bounds_us[LATENCY_BUCKETS];
#define ERRNO_SLOTS 140         /* errno values counted one by one */

struct export {
  struct export_config cfg;     /* the export's own copy: reload-safe */
  const char *name;             /* cfg.name */
  unsigned connections_configured;
  atomic_bool paused;           /* admin "pause": send nothing; workers
                                   read it too (nbdconn.c) */
  bool draining;                /* removed by a reload: finishing */
  unsigned conns_stopping;      /* MSG_CONN_STOPPED still to come */

  enum export_state state;
  char down_reason[256];        /* why the last connection went or the
                                   last attempt failed ("" if never) */
  bool have_info;
  struct export_info info;
  unsigned nr_conns;            /* connections in use: 1 without multi-conn */
  unsigned nr_up;
  struct nbdconn *conns;        /* connections_configured of them */
  unsigned rr;                  /* round-robin start for picking */

  TAILQ_HEAD (, share) shares;  /* pending.c: requests with chunks left
                                   to cut, by user and client, in turn
                                   order */
  struct pending_index pending_index; /* pending.c: the same, by next */
  size_t nr_pending;
  TAILQ_HEAD (, request) live;  /* incomplete requests, oldest first */
  struct msg_queue retry;       /* chunks to send again */
  chunk_list inflight;          /* dedup.c: chunks sent, by offset */
  warm_ranges recent;           /* dedup.c: recently warmed ranges */
  uint64_t recent_oldest_ns;    /* dedup.c: <= every recent time_ns */
  bool pump_wanted;             /* run request_pump after this batch */

  /* Counters for "stats". */
  uint64_t st_requests;
  uint64_t st_errors;
  uint64_t st_chunks;
  uint64_t st_bytes;
  uint64_t st_retries;          /* chunks sent again after a lost connection */
  uint64_t st_timeouts;         /* requests past their deadline */
  uint64_t st_reconnects;
  uint64_t st_dedup;            /* chunks not sent: in flight or recent */
  uint64_t st_errno[ERRNO_SLOTS]; /* failed requests by errno */
  uint64_t st_latency[LATENCY_BUCKETS + 1];
  uint64_t st_latency_sum_us;
  uint64_t in_flight;           /* requests not yet completed */
  uint64_t chunks_out;          /* chunks posted to workers */
};

DEFINE_VECTOR_TYPE (export_list, struct export *)
extern export_list exports;     /* served, in configuration order */
extern export_list draining;    /* removed by a reload, finishing */

/* Set EXP to every export in turn, served then draining.  The body
 * must not add or remove exports.
 */
#define for_each_export(exp)                                            \
  for (size_t exp##_i = 0;                                              \
       exp##_i < exports.len + draining.len &&                          \
         ((exp) = exp##_i < exports.len ? exports.ptr[exp##_i]          \
          : draining.ptr[exp##_i - exports.len], true);                 \
       exp##_i++)

extern int exports_create (const struct config *cfg);
extern int exports_reload (const struct config *newcfg);
extern void exports_start (void);
extern void export_stopped (struct nbdconn *conn);
extern size_t exports_in_flight (void);
extern bool exports_first_attempts_done (void);
extern void exports_free (void);
extern struct export_info export_effective_info
  (const struct export *exp, const struct export_info *info);
extern bool export_info_serves (const struct export *exp,
                                const struct export_info *info);
extern bool export_conn_serves (const struct nbdconn *conn);
extern int export_range (const struct export *exp, uint64_t offset,
                         uint64_t count, uint64_t *start, uint64_t *end,
                         struct nbdc_error *err);
extern unsigned exports_set_paused (const char *name, bool pause);
extern struct export *export_lookup (const char *name);
extern void export_conn_event (struct nbdconn *conn);
extern bool export_allowed (const struct export *exp,
                            const struct client *client);
extern void exports_janitor (uint64_t now);
extern const char *export_state_name (enum export_state state);

/* ------------------------------------------------------------------ */
/* normalise.c: the block-size rules, as pure functions. */

/* Round [offset, offset+count) outward to INFO's minimum block size,
 * leaving out a last partial block (when the size is not a multiple of
 * the minimum, no aligned request reaches it).  Returns 0 and the
 * rounded, non-empty [*start, *end), or -1 with a reason in ERR when
 * the range is empty, runs past the end of the export, or lies wholly
 * in that partial block.
 */
extern int normalise_range (const struct export_info *info,
                            uint64_t offset, uint64_t count,
                            uint64_t *start, uint64_t *end,
                            struct nbdc_error *err);

/* The end of the chunk that starts at POS: at most the maximum block
 * size long, ending on a multiple of the chunk step (a multiple of
 * the preferred size), and never past END.
 */
extern uint64_t chunk_end (const struct export_info *info,
                           uint64_t pos, uint64_t end);

/* The next command of the chunk [POS, END), or of what is left of it
 * from POS on, for a server whose facts are SERVER: [*FROM, *TO),
 * rounded out to its minimum block size (warming a little more than
 * asked is harmless), never past its last whole block, and cut where
 * chunk_end cuts by its sizes.  Returns false when nothing from POS on
 * is left that the server can take.
 */
extern bool fit_piece (const struct export_info *server, uint64_t pos,
                       uint64_t end, uint64_t *from, uint64_t *to);

/* Lower INFO's maximum block size to CAP, but never below its
 * minimum, which every command must be a multiple of.
 */
extern void cap_block_max (struct export_info *info, uint64_t cap);

/* Fill in effective block sizes from what the server advertised (0 =
 * not advertised).
 */
extern void set_block_sizes (struct export_info *info, int64_t min,
                             int64_t pref, int64_t max);

/* ------------------------------------------------------------------ */
/* dedup.c */

struct chunk;
extern bool dedup_recent_covers (const struct export *exp, uint64_t start,
                                 uint64_t end, uint64_t now);
extern void dedup_recent_add (struct export *exp, uint64_t start,
                              uint64_t end, uint64_t now);
extern void dedup_recent_expire (struct export *exp, uint64_t now);
extern struct chunk *dedup_inflight_find (const struct export *exp,
                                         uint64_t start, uint64_t end,
                                         uint64_t now);
extern void dedup_inflight_add (struct export *exp, struct chunk *c);
extern void dedup_inflight_remove (struct export *exp, struct chunk *c);

/* ------------------------------------------------------------------ */
/* request.c: one client cache request, split into chunks. */

/* Where a chunk's error came from, for its request's completion. */
enum chunk_failure {
  CHUNK_FAILED_AT_SERVER,       /* the server answered with the error */
  CHUNK_REFUSED_UNSENT,         /* not sent: libnbd refused it locally,
                                   or it lies past the end of its
                                   connection's server */
  CHUNK_NO_MEMORY,              /* not sent again: no memory to fit it to
                                   the server's new limits (chunk_refit) */
};

struct chunk {
  struct msg msg;               /* first member */
  struct request *req;
  struct nbdconn *conn;
  uint64_t offset;
  uint32_t count;
  uint64_t sent_ns;             /* when it was handed to a connection */
  _Atomic uint64_t piece_ns;    /* the worker's: when the last piece of a
                                   chunk sent in pieces was answered,
                                   or 0; main reads it (conn_hung) */
  uint64_t sent_end;            /* the worker's: the end of what it has
                                   sent (short of offset + count between
                                   two pieces; past it when rounded out
                                   to the server's minimum block size) */
  TAILQ_ENTRY (chunk) conn_entry; /* in conn->handed, main-owned */
  int error;                    /* errno, set by the worker */
  bool nbd_called;              /* libnbd called the completion callback */
  bool retry;                   /* not sent, or lost: send again */
  bool held_back;               /* not sent: the export was paused */
  enum chunk_failure failure;   /* where ERROR came from */
  bool indexed;                 /* in exp->inflight (dedup.c) */
  atomic_bool abandoned;        /* set by main once no request wants it:
                                   its worker sends no further piece */
  request_ptrs waiters;         /* other requests waiting on this range */
};

struct client;

struct request {
  struct client *client;        /* holds a reference */
  struct flow *flow;            /* its client's on its export */
  TAILQ_ENTRY (request) pending_entry; /* in flow->requests */
  LIST_ENTRY (request) index_entry;    /* in exp->pending_index */
  TAILQ_ENTRY (request) live_entry;    /* in exp->live until completed */
  TAILQ_ENTRY (request) client_entry;  /* in client->requests until then */
  bool pending;                 /* linked in flow->requests */
  bool completed;               /* its event was sent (or dropped) */
  bool reply_held;              /* cookie reply not sent yet (v2) */
  TAILQ_ENTRY (request) held_entry;    /* in client->held */
  uint64_t start_ns;
  uint64_t deadline_ns;
  uint64_t bytes;               /* counted in client->bytes_in_flight */
  struct export *exp;
  uint64_t id;                  /* the client's request id */
  uint64_t cookie;
  uint64_t next;                /* first byte not yet chunked */
  uint64_t end;
  unsigned outstanding;         /* chunks cut and not yet finished */
  int error;                    /* first chunk error */
  uint64_t error_offset;
  uint64_t error_count;
  enum chunk_failure error_failure; /* where that chunk's error came from */
};

/* pending.c */
extern struct flow *flow_find (struct client *client, struct export *exp);
extern void flows_free (struct client *client);
extern void shares_free (struct user *user);
extern struct request *pending_first (const struct export *exp);
extern void pending_append (struct export *exp, struct request *req);
extern void pending_remove (struct export *exp, struct request *req);
extern void pending_advance (struct export *exp, struct request *req,
                             uint64_t next, bool to_tail);
extern void pending_search_start (struct pending_search *s, uint64_t start);
extern struct request *pending_search_next (struct export *exp,
                                            struct pending_search *s,
                                            uint64_t end,
                                            const struct request *skip);
extern void pending_free (struct export *exp);

extern int request_start (struct client *client, uint64_t id,
                          struct export *exp, uint64_t start,
                          uint64_t end, struct request **reqp);
extern void request_pump (struct export *exp);
extern void requests_pump_wanted (void);
extern void request_chunk_done (struct chunk *c);
extern void request_abandon_unwanted (struct nbdconn *conn);
extern void requests_fail_all (struct export *exp, int error,
                               const char *why);
extern size_t requests_revoke (struct export *exp,
                               const struct export *successor);
extern void request_complete (struct request *req, int error,
                              const char *why);
extern void request_caches_free (void);

/* ------------------------------------------------------------------ */
/* peer-ids.c: which of a peer's ids name it (user namespaces). */

extern void peer_ids_init (void);
extern bool peer_uid_known (uid_t uid);
extern bool peer_gid_known (gid_t gid);

/* ------------------------------------------------------------------ */
/* users.c: what one local user holds, for the per-user limits. */

struct user {
  LIST_ENTRY (user) entry;      /* in the list of users with clients */
  uid_t uid;
  unsigned nr_clients;          /* its connections (max-user-clients) */
  TAILQ_HEAD (, client) clients;        /* those connections */
  TAILQ_HEAD (, client) waiting;        /* held at max-user-requests */
  uint64_t requests;            /* not yet completed (max-user-requests):
                                   counted by request_start and
                                   client_request_done */
  uint64_t warned_ns;           /* when last logged being held there */
  uint64_t times_held;          /* since then */
  LIST_HEAD (, share) shares;   /* pending.c: its shares of exports */
};

LIST_HEAD (user_list, user);
extern struct user_list users;          /* those with a connection */

extern struct user *user_find (uid_t uid);
extern int user_attach (struct client *client);
extern void user_detach (struct client *client);
extern bool user_requests_full (const struct user *user);
extern void user_wait (struct client *client);
extern void user_unwait (struct client *client);
extern struct client *user_next_waiting (struct user *user,
                                         unsigned handed_out);

/* ------------------------------------------------------------------ */
/* client.c: one local client connection. */

struct client {
  uint64_t serial;              /* for log lines: "client N: " */
  int fd;                       /* the socket; -1 once closed */
  unsigned version;             /* protocol version agreed in hello */
  TAILQ_HEAD (, request) held;  /* requests whose reply is held (v2) */
  TAILQ_HEAD (, request) requests; /* its requests not yet completed */
  LIST_HEAD (, flow) flows;     /* pending.c: its flows (flow_find) */
  struct event *hold_ev;        /* sends the held replies */
  struct event *read_ev;        /* persistent; deleted while not reading */
  struct event *write_ev;       /* added only while output waits */
  strbuf rbuf;                  /* read, not yet a whole line */
  strbuf wbuf;                  /* replies and events not yet written */
  size_t wpos;                  /* bytes of wbuf already written */
  TAILQ_ENTRY (client) entry;   /* in the list of open clients */
  struct user *user;            /* its uid's (users.c), while open */
  TAILQ_ENTRY (client) user_entry; /* in user->clients */
  TAILQ_ENTRY (client) wait_entry; /* in user->waiting */
  bool user_waiting;            /* linked in user->waiting */
  TAILQ_ENTRY (client) dirty_entry; /* in the flush list */
  bool dirty;                   /* has output queued since the last flush */
  uint64_t accepted_ns;         /* for hello-timeout */
  pid_t pid;
  uid_t uid;
  gid_t gid;
  char name[64];                /* from hello, for logs */
  gid_t *groups;                /* supplementary groups (SO_PEERGROUPS): */
  gid_t groups_inline[16];      /* here, or allocated when there are more */
  unsigned nr_groups;
  bool hello_done;
  bool closing;                 /* flushing a final error, then close */
  bool eof;                     /* it shut down its sending side */
  const char *doomed;           /* closing at the end of the pass: why */
  const char *held_at;          /* not read, held at this limit (its
                                   setting's name), or NULL */
  unsigned refs;                /* 1 while open + 1 per request */
  uint64_t next_cookie;
  uint64_t in_flight;           /* requests not yet completed */
  uint64_t bytes_in_flight;     /* bytes of those requests */
  size_t nr_pending;            /* of those, in a pending queue (pending.c) */
  uint64_t st_requests;
};

TAILQ_HEAD (client_list, client);
extern unsigned nr_clients;
extern struct client_list clients;

/* Is CLIENT's socket still open (so that replies can be sent)? */
static inline bool
client_is_open (const struct client *client)
{
  return client->fd >= 0;
}

extern void client_accept (int fd);
extern strbuf *client_scratch (void);
extern void client_send (struct client *client, const strbuf *msg);
extern void client_close (struct client *client, const char *why);
extern void client_close_soon (struct client *client, const char *why);
extern void client_close_oom (struct client *client, const char *doing);
extern void clients_janitor (uint64_t now);
extern void client_close_after_flush (struct client *client);
extern void client_unref (struct client *client);
extern void clients_init (void);
extern void clients_close_all (void);
extern void clients_close_all_after_flush (void);
extern void clients_stop_reading (void);
extern void clients_limits_changed (void);
extern void client_request_done (struct client *client, uint64_t bytes);

/* ------------------------------------------------------------------ */
/* ops.c: the protocol operations. */

extern bool ops_handle_line (struct client *client, const char *line,
                             size_t len);
extern bool client_is_admin (const struct client *client);

/* info.c: the "exports", "stats" and "clients" replies. */
extern void info_hello (struct nbdc_members *m,
                        const struct client *client);
extern void info_exports (struct nbdc_members *m,
                          const struct client *client,
                          const struct export *only);
extern void info_stats (struct nbdc_members *m, const struct client *client);
extern void info_clients (struct nbdc_members *m,
                          const struct client *client);

/* ------------------------------------------------------------------ */
/* listener.c */

extern int listener_open (const char *path);
extern void listener_enable (void);
extern void listener_close (void);
extern void listener_janitor (uint64_t now);

/* notify.c */
extern void notify_starting (void);
extern void notify_ready (void);
extern void notify_reloading (void);
extern void notify_reloaded (void);
extern void notify_stopping (void);
extern void notify_watchdog_start (void);
extern void notify_watchdog_stop (void);
extern void daemon_notify_status (void);

/* reload.c */
extern void reload_init (const char *file, char *const *args,
                         size_t nr_args);
extern int daemon_reload (char *error, size_t len);

/* main.c */
extern int config_apply_command_line (struct config *c);
extern bool daemon_stopping;
extern bool daemon_draining;
extern bool daemon_ready;
extern uint64_t start_time_ns;
extern uint64_t now_ns (void);
extern void daemon_check_ready (void);

/* ------------------------------------------------------------------ */
/* replies.c: cookie replies, held for protocol 2 clients. */

/* How long a client speaking protocol 2 may wait for a cache reply
 * (proto/PROTOCOL.md, 4.2).
 */
#define REPLY_HOLD_US 1000

extern void request_reply_accepted (struct request *req);
extern void request_release_reply (struct request *req);
extern void client_send_reply (struct client *client, const strbuf *msg);
extern void replies_drop_held (struct client *client);
extern void replies_hold_expired (evutil_socket_t fd, short what,
                                  void *opaque);

#endif /* NBDCACHED_DAEMON_INTERNAL_H */
