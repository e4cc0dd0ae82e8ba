/* nbdcached tests: helpers for the libnbdcache tests, which run
 * against a real daemon started by their wrapper scripts.
 */
#ifndef NBDCACHED_TESTS_TEST_LIB_H
#define NBDCACHED_TESTS_TEST_LIB_H

#include <errno.h>
#include <string.h>

#include "nbdcache.h"
#include "test-util.h"

/* The last call failed with ERRNUM, and the thread's error message
 * starts with "CALL: ".
 */
#define CHECK_ERROR(call, errnum)                                      \
  do {                                                                 \
    int ce_got_ = nbdcache_get_errno ();                               \
    const char *ce_msg_ = nbdcache_get_error ();                       \
    if (ce_got_ != (errnum))                                           \
      TEST_FAIL ("expected %s from %s, got errno %d (%s): %s",         \
                 #errnum, (call), ce_got_, strerror (ce_got_),         \
                 ce_msg_ ? ce_msg_ : "(no message)");                  \
    if (ce_msg_ == NULL ||                                             \
        strncmp (ce_msg_, call ": ", strlen (call) + 2) != 0)          \
      TEST_FAIL ("error message of %s does not start with \"%s: \": %s",\
                 (call), (call), ce_msg_ ? ce_msg_ : "(null)");        \
  } while (0)

/* A library call that must succeed (not return -1 / NULL). */
#define CHECK_OK(expr)                                                 \
  do {                                                                 \
    if ((expr) == -1)                                                  \
      TEST_FAIL ("%s failed: %s", #expr,                               \
                 nbdcache_get_error () ? nbdcache_get_error () : "?"); \
  } while (0)

/* Per-command bookkeeping for completion callbacks.  Callbacks run
 * with the handle's lock held, in whichever thread drives the handle,
 * so tests that drive a handle from several threads use atomics.
 */
struct cmd {
  uint64_t offset;
  uint64_t count;
  int64_t cookie;
  int retire;                   /* what the callback returns */
  int calls;                    /* callback calls */
  int frees;                    /* .free calls */
  int error;                    /* *error seen by the callback */
};

static inline int
cmd_callback (void *user_data, int *error)
{
  struct cmd *c = user_data;

  c->calls++;
  c->error = *error;
  return c->retire;
}

static inline void
cmd_free (void *user_data)
{
  struct cmd *c = user_data;

  c->frees++;
}

static inline nbdcache_completion_callback
cmd_completion (struct cmd *c)
{
  nbdcache_completion_callback cb = {
    .callback = cmd_callback, .user_data = c, .free = cmd_free,
  };
  return cb;
}

/* Submit with a counting callback; the submission must fail with
 * ERRNUM, never call the callback, and call .free exactly once.
 */
#define CHECK_AIO_FAILS(h, xcount, xoffset, xflags, xerrno)            \
  do {                                                                 \
    struct cmd c_ = { .retire = 1 };                                   \
    int64_t r_ = nbdcache_aio_cache ((h), (xcount), (xoffset),         \
                                     cmd_completion (&c_), (xflags));  \
    CHECK_INT (r_, ==, -1);                                            \
    CHECK_ERROR ("nbdcache_aio_cache", xerrno);                        \
    CHECK_INT (c_.calls, ==, 0);                                       \
    CHECK_INT (c_.frees, ==, 1);                                       \
  } while (0)

/* Exit with "usage: PROGRAM USAGE" unless the program was given
 * exactly NARGS arguments.
 */
static inline void
check_usage (int argc, char *argv[], int nargs, const char *usage)
{
  if (argc != nargs + 1) {
    fprintf (stderr, "usage: %s %s\n", argv[0], usage);
    exit (EXIT_FAILURE);
  }
}

/* A new handle for EXPORT (none if NULL), connected to the daemon at
 * SOCK.
 */
static inline struct nbdcache_handle *
connect_to (const char *sock, const char *export)
{
  struct nbdcache_handle *h = nbdcache_create ();

  CHECK (h != NULL);
  if (export != NULL)
    CHECK_OK (nbdcache_set_export_name (h, export));
  CHECK_OK (nbdcache_connect (h, sock));
  return h;
}

/* For "PROGRAM SOCKET" tests: a handle connected to the export "disk"
 * of the daemon at argv[1]; exits with a usage message otherwise.
 */
static inline struct nbdcache_handle *
connect_disk (int argc, char *argv[])
{
  check_usage (argc, argv, 1, "SOCKET");
  return connect_to (argv[1], "disk");
}

#endif /* NBDCACHED_TESTS_TEST_LIB_H */
