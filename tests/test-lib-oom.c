/* nbdcached tests: libnbdcache when memory runs out, against a real
 * daemon (see test-lib-oom.sh) that serves the export "disk".  The
 * program runs with fail-calls.so preloaded, which it arms itself
 * (FAIL_ARM_FILE, SIGUSR2: see fail-calls.c).
 *
 * Usage: test-lib-oom SOCKET sweep
 *        test-lib-oom SOCKET track     (with FAIL_CALLS=poll=2)
 *
 * sweep: each allocation that connecting, a synchronous cache, "exports"
 * (nbdcache_get_size, nbdcache_get_exports_json) and "stats" make, the
 * decoding of the daemon's replies by json-c included, is made to fail
 * in turn.  Each call either succeeds with a whole result, or fails
 * with ENOMEM and a message saying memory ran out: never EPROTO, as if
 * the daemon had broken the protocol.
 *
 * track: the poll(2) of a query fails (ENOMEM) while a cache command is
 * in flight, and so does the allocation to note that the query's reply
 * will still come.  The query fails with ENOMEM; the connection cannot
 * be trusted and is closed, and the command completes once, with
 * ENOMEM, not EPROTO; later calls say why the connection was lost.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nbdcache.h"
#include "test-lib.h"

#define EXPORT "disk"

static const char *sock;
static const char *arm_file;

/* Write TEXT to PATH without allocating (allocations may be failing). */
static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (fd == -1 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    TEST_FAIL ("%s: %s", path, strerror (errno));
  close (fd);
}

/* After SKIP more allocations, the next COUNT fail (COUNT 0: none).
 * The shim's handler runs before raise returns.
 */
static void
arm_allocations (unsigned long skip, unsigned long count)
{
  char text[64];

  snprintf (text, sizeof text, "%lu %lu\n", skip, count);
  write_file (arm_file, text);
  raise (SIGUSR2);
}

/* How many allocations were made since arm_allocations. */
static unsigned long
allocations_made (void)
{
  char path[4096], text[32] = "";
  ssize_t len;
  int fd;

  raise (SIGUSR1);
  snprintf (path, sizeof path, "%s.count", arm_file);
  fd = open (path, O_RDONLY);
  if (fd == -1)
    TEST_FAIL ("%s: %s", path, strerror (errno));
  len = read (fd, text, sizeof text - 1);
  close (fd);
  CHECK (len > 0);
  return strtoul (text, NULL, 10);
}

/* A new handle, connected, with the export set. */
static struct nbdcache_handle *
connect_handle (void)
{
  struct nbdcache_handle *h = nbdcache_create ();

  CHECK (h != NULL);
  CHECK_OK (nbdcache_connect (h, sock));
  CHECK_OK (nbdcache_set_export_name (h, EXPORT));
  return h;
}

/* What one call did. */
struct outcome {
  int ok;                       /* it succeeded */
  int errnum;
  char message[512];
  char *json;                   /* the JSON it returned, to check */
};

static void
note_error (struct outcome *o)
{
  o->ok = 0;
  o->errnum = nbdcache_get_errno ();
  snprintf (o->message, sizeof o->message, "%s",
            nbdcache_get_error () ? nbdcache_get_error () : "(none)");
}

/* One call, on *H, which it may replace (op_connect). */
typedef void (*op_fn) (struct nbdcache_handle **h, struct outcome *o);

static void
op_connect (struct nbdcache_handle **hp, struct outcome *o)
{
  struct nbdcache_handle *h = nbdcache_create ();

  o->ok = h != NULL && nbdcache_connect (h, sock) == 0;
  if (!o->ok)
    note_error (o);
  nbdcache_close (h);
}

static void
op_cache (struct nbdcache_handle **hp, struct outcome *o)
{
  o->ok = nbdcache_cache (*hp, 4096, 0, 0) == 0;
  if (!o->ok)
    note_error (o);
}

static void
op_size (struct nbdcache_handle **hp, struct outcome *o)
{
  o->ok = nbdcache_get_size (*hp) == 1024 * 1024;
  if (!o->ok)
    note_error (o);
}

static void
op_exports (struct nbdcache_handle **hp, struct outcome *o)
{
  o->json = nbdcache_get_exports_json (*hp);
  o->ok = o->json != NULL;
  if (!o->ok)
    note_error (o);
}

static void
op_stats (struct nbdcache_handle **hp, struct outcome *o)
{
  o->json = nbdcache_get_stats_json (*hp);
  o->ok = o->json != NULL;
  if (!o->ok)
    note_error (o);
}

/* Exit statuses of a child of sweep. */
enum {
  CHILD_OK = 0, CHILD_FAILED_TEST = 1, CHILD_ENOMEM = 2,
  CHILD_CRASHED_IN_JSON_C = 3,
};

/* Before 0.17, json-c does not check the copy it makes of a member's
 * name (json_tokener.c), and crashes without memory for it; nbdcached
 * cannot help that.  A crash with json-c on the stack is that one.
 */
static void
on_crash (int sig)
{
  void *frames[64];
  int n = backtrace (frames, 64);
  Dl_info info;

  for (int i = 0; i < n; i++)
    if (dladdr (frames[i], &info) && info.dli_fname &&
        strstr (info.dli_fname, "libjson-c") != NULL &&
        JSON_C_VERSION_NUM < 0x001100)
      _exit (CHILD_CRASHED_IN_JSON_C);
  signal (sig, SIG_DFL);
  raise (sig);
}

/* Check O, of the call NAME with allocation S failing: a whole result,
 * or ENOMEM said as such.  Returns a CHILD_* status, or fails the test.
 */
static int
check_outcome (const char *name, unsigned long s, struct outcome *o)
{
  if (o->ok) {
    if (o->json != NULL) {
      struct json_object *v = json_tokener_parse (o->json);

      if (v == NULL || (!json_object_is_type (v, json_type_object) &&
                        !json_object_is_type (v, json_type_array)))
        TEST_FAIL ("%s, allocation %lu: a garbled result: %s",
                   name, s, o->json);
      json_object_put (v);
    }
    free (o->json);
    o->json = NULL;
    return CHILD_OK;
  }
  if (o->errnum != ENOMEM ||
      (strstr (o->message, "out of memory") == NULL &&
       strstr (o->message, strerror (ENOMEM)) == NULL))
    TEST_FAIL ("%s, allocation %lu: expected ENOMEM, said as such; got "
               "errno %d (%s): %s", name, s, o->errnum,
               strerror (o->errnum), o->message);
  return CHILD_ENOMEM;
}

/* On a new connection, call OP once, then again with allocation S
 * failing (S == ULONG_MAX: none, but counted).  Returns what the
 * second call did; with S == ULONG_MAX, *MADE is the allocations it
 * made.
 */
static struct outcome
call_failing (op_fn op, const char *name, unsigned long s,
              unsigned long *made)
{
  struct nbdcache_handle *h = connect_handle ();
  struct outcome o = { .json = NULL };

  /* Once first, so that what grows once has grown. */
  op (&h, &o);
  CHECK (check_outcome (name, s, &o) == CHILD_OK);
  if (s == ULONG_MAX)
    arm_allocations (1000000000, 0);
  else
    arm_allocations (s, 1);
  op (&h, &o);
  if (made != NULL)
    *made = allocations_made ();
  arm_allocations (0, 0);
  nbdcache_close (h);
  return o;
}

/* Fail each allocation of OP (called NAME) in turn, each in a child
 * process, so that a crash is seen as such.
 */
static void
sweep (const char *name, op_fn op)
{
  unsigned long n, s, failed = 0, crashed = 0;
  struct outcome o;

  o = call_failing (op, name, ULONG_MAX, &n);
  CHECK (check_outcome (name, 0, &o) == CHILD_OK);
  printf ("%s: %lu allocations\n", name, n);
  fflush (stdout);

  for (s = 0; s < n; s++) {
    pid_t pid = fork ();
    int status;

    CHECK (pid != -1);
    if (pid == 0) {
      signal (SIGSEGV, on_crash);
      o = call_failing (op, name, s, NULL);
      _exit (check_outcome (name, s, &o));
    }
    CHECK (waitpid (pid, &status, 0) == pid);
    if (!WIFEXITED (status) || WEXITSTATUS (status) == CHILD_FAILED_TEST)
      TEST_FAIL ("%s, allocation %lu: the call failed the test (status "
                 "0x%x)", name, s, status);
    failed += WEXITSTATUS (status) == CHILD_ENOMEM;
    crashed += WEXITSTATUS (status) == CHILD_CRASHED_IN_JSON_C;
  }
  printf ("%s: %lu of %lu failed with ENOMEM, %lu crashed in json-c %s\n",
          name, failed, n, crashed, json_c_version ());
  CHECK (failed > 0);
}

/* The completion callback of the command in flight in track. */
static int
note_completion (void *user_data, int *error)
{
  struct cmd *c = user_data;

  c->calls++;
  c->error = *error;
  return 1;
}

static void
track (void)
{
  struct nbdcache_handle *h = connect_handle (); /* poll 1 */
  struct cmd c = { .offset = 0 };
  nbdcache_completion_callback cb = {
    .callback = note_completion, .user_data = &c, .free = cmd_free,
  };
  char *json;

  CHECK (nbdcache_aio_cache (h, 4096, 0, cb, 0) > 0);
  /* Poll 2 fails, and so does every allocation from here. */
  arm_allocations (0, 1000000000);
  json = nbdcache_get_stats_json (h);
  arm_allocations (0, 0);
  CHECK (json == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", ENOMEM);
  printf ("query: %s\n", nbdcache_get_error ());
  CHECK_INT (c.calls, ==, 1);
  CHECK_INT (c.frees, ==, 1);
  if (c.error != ENOMEM)
    TEST_FAIL ("the command in flight completed with %d (%s), not ENOMEM",
               c.error, strerror (c.error));
  CHECK (nbdcache_get_stats_json (h) == NULL);
  CHECK_ERROR ("nbdcache_get_stats_json", ENOTCONN);
  printf ("then: %s\n", nbdcache_get_error ());
  CHECK (strstr (nbdcache_get_error (), "out of memory to track a reply"));
  nbdcache_close (h);
}

int
main (int argc, char *argv[])
{
  if (argc != 3)
    TEST_FAIL ("usage: %s SOCKET sweep|track", argv[0]);
  sock = argv[1];
  arm_file = getenv ("FAIL_ARM_FILE");
  if (arm_file == NULL)
    TEST_FAIL ("FAIL_ARM_FILE is not set");

  /* backtrace allocates when first called: not in on_crash. */
  {
    void *frame;
    backtrace (&frame, 1);
  }
  if (strcmp (argv[2], "track") == 0)
    track ();
  else {
    sweep ("connect", op_connect);
    sweep ("cache", op_cache);
    sweep ("get_size", op_size);
    sweep ("get_exports_json", op_exports);
    sweep ("get_stats_json", op_stats);
  }
  return EXIT_SUCCESS;
}
