/* libnbdcache: private declarations shared by the library's files.
 *
 * A handle is one connection to the daemon.  Its state is protected
 * by h->lock.  At most one thread at a time reads the socket (the
 * "reader", h->reading); it drops the lock while it sleeps in poll(2)
 * and broadcasts h->progress after processing what arrived, so other
 * threads waiting for their replies or completions re-check.
 *
 * Lock order: h->lock is the only lock.  Completion callbacks run
 * with it held, which is why they must not call back into the handle.
 */
#ifndef LIBNBDCACHE_INTERNAL_H
#define LIBNBDCACHE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "nbdcache.h"
#include "codec.h"
#include "strbuf.h"
#include "vector.h"

/* One cache command, from nbdcache_aio_cache until it is retired. */
struct command {
  uint64_t cookie;              /* also the protocol request id */
  nbdcache_completion_callback cb;
  bool completed;
  bool sync;                    /* nbdcache_cache's own: not for peek */
  int error;                    /* errno once completed */
  char *errmsg;                 /* the daemon's message, or NULL */
};
DEFINE_VECTOR_TYPE (command_list, struct command *)
DEFINE_VECTOR_TYPE (query_ids, uint64_t)

/* A synchronous request (hello, exports, stats, the admin requests)
 * waiting for its reply.  Lives on the waiting thread's stack.
 */
struct query {
  struct query *next;
  uint64_t id;
  bool done;
  int errnum;                   /* 0 when the reply was ok */
  char errmsg[256];
  struct nbdc_message reply;    /* when done && errnum == 0 */
};

struct nbdcache_handle {
  pthread_mutex_t lock;         /* protects all fields below */
  pthread_cond_t progress;      /* broadcast after each read pass */
  bool reading;                 /* a thread is polling the socket */
  uint64_t progress_seq;        /* bumped by every read pass */

  int fd;                       /* socket, -1 when not connected */
  int wake_fd;                  /* eventfd that interrupts the reader */
  int dead_errno;               /* why the connection ended, or 0 */
  char dead_msg[256];           /* its message, once dead_errno != 0 */
  uint64_t version;             /* negotiated protocol version */

  char *export_name;            /* NULL until set */

  uint64_t next_id;             /* request ids and cookies, from 1 */
  strbuf wbuf;                  /* encoded requests not yet sent */
  size_t wpos;                  /* bytes of wbuf already sent */
  strbuf rbuf;                  /* received bytes not yet a full line */

  command_list cmds;            /* ordered by cookie */
  uint64_t in_flight;           /* commands not yet completed */
  struct query *queries;        /* waiting synchronous requests */
  query_ids abandoned;          /* ids of queries whose caller gave up
                                   waiting: their replies are dropped */
};

/* errors.c */
extern const char *enter_call (const char *name);
extern void leave_call (const char **outer);
extern void set_error (int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* At the top of every public function: name it in its errors until
 * it returns.
 */
#define ENTER_CALL()                                                   \
  __attribute__ ((cleanup (leave_call))) const char *outer_call_ =     \
    enter_call (__func__)

/* handle.c */
extern int check_export_name (const char *name);

/* io.c */
extern int queue_output (struct nbdcache_handle *h);
extern int flush_output (struct nbdcache_handle *h);
extern int read_input (struct nbdcache_handle *h);
extern void connection_lost (struct nbdcache_handle *h, int errnum,
                             const char *why);

/* poll.c */
extern int poll_locked (struct nbdcache_handle *h, int timeout);
extern int poll_locked_nointr (struct nbdcache_handle *h);
extern int check_connected (struct nbdcache_handle *h);
extern int connection_lost_error (struct nbdcache_handle *h);

/* commands.c */
extern struct command *find_command (struct nbdcache_handle *h,
                                     uint64_t cookie, size_t *index);
extern void complete_command (struct nbdcache_handle *h,
                              struct command *cmd, int error,
                              const char *errmsg);
extern void set_command_error (const struct command *cmd);
extern void retire_command (struct nbdcache_handle *h, size_t index);
extern void fail_all_commands (struct nbdcache_handle *h, int error,
                               const char *errmsg);

/* query.c */
extern int run_query (struct nbdcache_handle *h, struct query *q);
extern void finish_query (struct query *q, struct nbdc_message *msg);
extern void fail_all_queries (struct nbdcache_handle *h, int errnum,
                              const char *why);
extern struct query *find_query (struct nbdcache_handle *h, uint64_t id);
extern bool take_abandoned_query (struct nbdcache_handle *h, uint64_t id);
extern int64_t lookup_export_size (struct nbdcache_handle *h,
                                   const char *name);
extern int query_ok (struct nbdcache_handle *h, enum nbdc_op op,
                     const char *export);
extern char *query_json (struct nbdcache_handle *h, enum nbdc_op op,
                         const char *key, bool whole);

#endif /* LIBNBDCACHE_INTERNAL_H */
