/* nbdcached benchmark client: run one workload through direct libnbd
 * or through nbdcached (libnbdcache), and print one line of JSON with
 * what was measured.  bench/run-bench.sh drives it; see bench/README.
 *
 *   bench-client MODE WORKLOAD [options]
 *     MODE      direct (needs --uri) | daemon (needs --socket, --export)
 *     WORKLOAD  latency | random | sequential | warm
 *   --requests N   requests to send (latency, random, sequential)
 *   --size S       request size in bytes (default 65536)
 *   --depth D      requests in flight (per connection in direct mode)
 *   --connections C  direct mode: NBD connections (threads)
 *   --offset O --length L  the range to use (default: the whole export)
 *   --seed N       random offsets
 *   --start-at T   connect first, then start at wall-clock time T
 *                  (ns since the epoch), so that several processes
 *                  start together; also prints "end_ns"
 *
 * Output: {"mode":..,"workload":..,"requests":N,"seconds":S,
 *          "rps":R,"cpu_us":C,"median_us":M,"p99_us":P}
 * where C is the CPU time (user and system) this process spent on the
 * requests themselves, from the start to the last completion: not on
 * connecting, nor on starting up or closing.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnbd.h>
#include "nbdcache.h"

struct opts {
  const char *mode, *workload, *uri, *socket, *export;
  uint64_t requests, size, depth, connections, offset, length, seed;
  uint64_t start_at;             /* CLOCK_REALTIME ns, or 0 */
};

/* The time of CLOCK, in ns. */
static uint64_t
clock_ns (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static uint64_t
now_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

static uint64_t
wall_ns (void)
{
  return clock_ns (CLOCK_REALTIME);
}

/* CPU time (user and system) of the calling thread so far. */
static uint64_t
thread_cpu_ns (void)
{
  return clock_ns (CLOCK_THREAD_CPUTIME_ID);
}

/* With --start-at, wait (once connected) for the common start time.
 * Returns the calling thread's CPU time then, from which its requests'
 * CPU time is counted.
 */
static uint64_t
wait_for_start (const struct opts *o)
{
  struct timespec ts = { (time_t) (o->start_at / 1000000000),
                         (long) (o->start_at % 1000000000) };

  if (o->start_at != 0)
    while (clock_nanosleep (CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
      ;
  return thread_cpu_ns ();
}

static void
die (const char *what, const char *err)
{
  fprintf (stderr, "bench-client: %s: %s\n", what, err ? err : "error");
  exit (1);
}

/* The offset of request I of a workload, in [offset, offset+length). */
static uint64_t
request_offset (const struct opts *o, uint64_t i, uint64_t *rng)
{
  uint64_t slots = o->length / o->size;

  if (strcmp (o->workload, "random") == 0) {
    *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return o->offset + (*rng >> 11) % slots * o->size;
  }
  return o->offset + i % slots * o->size;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

/* ---- direct libnbd ---- */

struct direct_thread {
  const struct opts *o;
  uint64_t first, count;        /* request indexes of this thread */
  uint64_t *lat;                /* latency mode only */
  uint64_t errors;
  uint64_t cpu_ns;              /* spent on the requests */
};

static int
direct_done (void *user_data, int *error)
{
  struct direct_thread *t = user_data;
  if (*error)
    t->errors++;
  return 1;
}

static void *
direct_worker (void *opaque)
{
  struct direct_thread *t = opaque;
  const struct opts *o = t->o;
  struct nbd_handle *h = nbd_create ();
  uint64_t rng = o->seed + t->first, i = 0, cpu0;

  if (h == NULL || nbd_connect_uri (h, o->uri) == -1)
    die ("nbd_connect_uri", nbd_get_error ());
  cpu0 = wait_for_start (o);
  if (t->lat) {
    for (i = 0; i < t->count; i++) {
      uint64_t start = now_ns ();
      if (nbd_cache (h, o->size, request_offset (o, t->first + i, &rng), 0) == -1)
        die ("nbd_cache", nbd_get_error ());
      t->lat[i] = (now_ns () - start) / 1000;
    }
  }
  else {
    while (i < t->count || nbd_aio_in_flight (h) > 0) {
      while (i < t->count && (uint64_t) nbd_aio_in_flight (h) < o->depth) {
        nbd_completion_callback cb = { .callback = direct_done, .user_data = t };
        if (nbd_aio_cache (h, o->size, request_offset (o, t->first + i, &rng),
                           cb, 0) == -1)
          die ("nbd_aio_cache", nbd_get_error ());
        i++;
      }
      if (nbd_poll (h, -1) == -1)
        die ("nbd_poll", nbd_get_error ());
    }
  }
  t->cpu_ns = thread_cpu_ns () - cpu0;
  nbd_shutdown (h, 0);
  nbd_close (h);
  return NULL;
}

/* ---- through the daemon ---- */

static int
daemon_done (void *user_data, int *error)
{
  uint64_t *errors = user_data;
  if (*error)
    (*errors)++;
  return 1;
}

static uint64_t
run_daemon (const struct opts *o, uint64_t *lat, uint64_t *cpu_ns)
{
  struct nbdcache_handle *h = nbdcache_create ();
  uint64_t rng = o->seed, i = 0, errors = 0, cpu0;

  if (h == NULL || nbdcache_set_export_name (h, o->export) == -1 ||
      nbdcache_connect (h, o->socket) == -1)
    die ("nbdcache_connect", nbdcache_get_error ());
  cpu0 = wait_for_start (o);
  if (lat) {
    for (i = 0; i < o->requests; i++) {
      uint64_t start = now_ns ();
      if (nbdcache_cache (h, o->size, request_offset (o, i, &rng), 0) == -1)
        die ("nbdcache_cache", nbdcache_get_error ());
      lat[i] = (now_ns () - start) / 1000;
    }
  }
  else {
    while (i < o->requests || nbdcache_aio_in_flight (h) > 0) {
      while (i < o->requests &&
             (uint64_t) nbdcache_aio_in_flight (h) < o->depth) {
        nbdcache_completion_callback cb = {
          .callback = daemon_done, .user_data = &errors,
        };
        if (nbdcache_aio_cache (h, o->size, request_offset (o, i, &rng),
                                cb, 0) == -1)
          die ("nbdcache_aio_cache", nbdcache_get_error ());
        i++;
      }
      if (nbdcache_poll (h, -1) == -1)
        die ("nbdcache_poll", nbdcache_get_error ());
    }
  }
  *cpu_ns = thread_cpu_ns () - cpu0;
  nbdcache_close (h);
  return errors;
}

static uint64_t
run_direct (const struct opts *o, uint64_t *lat, uint64_t *cpu_ns)
{
  uint64_t n = o->connections, errors = 0;
  struct direct_thread *t = calloc (n, sizeof *t);
  pthread_t *tid = calloc (n, sizeof *tid);

  for (uint64_t k = 0; k < n; k++) {
    t[k].o = o;
    t[k].first = o->requests * k / n;
    t[k].count = o->requests * (k + 1) / n - t[k].first;
    t[k].lat = lat ? lat + t[k].first : NULL;
    pthread_create (&tid[k], NULL, direct_worker, &t[k]);
  }
  for (uint64_t k = 0; k < n; k++) {
    pthread_join (tid[k], NULL);
    errors += t[k].errors;
    *cpu_ns += t[k].cpu_ns;
  }
  free (t);
  free (tid);
  return errors;
}

static int64_t
export_size (const struct opts *o)
{
  int64_t size;

  if (strcmp (o->mode, "direct") == 0) {
    struct nbd_handle *h = nbd_create ();
    if (h == NULL || nbd_connect_uri (h, o->uri) == -1)
      die ("nbd_connect_uri", nbd_get_error ());
    size = nbd_get_size (h);
    nbd_close (h);
  }
  else {
    struct nbdcache_handle *h = nbdcache_create ();
    if (h == NULL || nbdcache_set_export_name (h, o->export) == -1 ||
        nbdcache_connect (h, o->socket) == -1 ||
        (size = nbdcache_get_size (h)) == -1)
      die ("nbdcache_get_size", nbdcache_get_error ());
    nbdcache_close (h);
  }
  return size;
}

int
main (int argc, char **argv)
{
  static const struct option lopts[] = {
    { "uri", required_argument, NULL, 'u' },
    { "socket", required_argument, NULL, 's' },
    { "export", required_argument, NULL, 'e' },
    { "requests", required_argument, NULL, 'n' },
    { "size", required_argument, NULL, 'z' },
    { "depth", required_argument, NULL, 'd' },
    { "connections", required_argument, NULL, 'c' },
    { "offset", required_argument, NULL, 'o' },
    { "length", required_argument, NULL, 'l' },
    { "seed", required_argument, NULL, 'r' },
    { "start-at", required_argument, NULL, 't' },
    { NULL },
  };
  struct opts o = { .export = "bench", .requests = 10000, .size = 65536,
                    .depth = 64, .connections = 1, .seed = 1 };
  uint64_t *lat = NULL, start, ns, errors, cpu_ns = 0;
  int c;

  while ((c = getopt_long (argc, argv, "", lopts, NULL)) != -1) {
    uint64_t v = optarg ? strtoull (optarg, NULL, 0) : 0;
    switch (c) {
    case 'u': o.uri = optarg; break;
    case 's': o.socket = optarg; break;
    case 'e': o.export = optarg; break;
    case 'n': o.requests = v; break;
    case 'z': o.size = v; break;
    case 'd': o.depth = v; break;
    case 'c': o.connections = v; break;
    case 'o': o.offset = v; break;
    case 'l': o.length = v; break;
    case 'r': o.seed = v; break;
    case 't': o.start_at = v; break;
    default: exit (2);
    }
  }
  if (argc - optind != 2) {
    fprintf (stderr, "usage: bench-client direct|daemon WORKLOAD [options]\n");
    exit (2);
  }
  o.mode = argv[optind];
  o.workload = argv[optind + 1];
  if (o.length == 0)
    o.length = (uint64_t) export_size (&o) - o.offset;
  if (o.size == 0 || o.length < o.size) {
    fprintf (stderr, "bench-client: --length %" PRIu64 " holds no request "
             "of --size %" PRIu64 " (sizes are in bytes)\n", o.length, o.size);
    exit (2);
  }
  if (strcmp (o.workload, "warm") == 0)
    o.requests = o.length / o.size;
  if (strcmp (o.workload, "latency") == 0)
    lat = calloc (o.requests, sizeof *lat);

  start = now_ns ();
  errors = strcmp (o.mode, "direct") == 0 ? run_direct (&o, lat, &cpu_ns)
                                          : run_daemon (&o, lat, &cpu_ns);
  ns = now_ns () - start;
  if (o.start_at)                    /* from the common start, not ours */
    ns = wall_ns () - o.start_at;
  if (errors)
    die ("requests failed", NULL);

  printf ("{\"mode\":\"%s\",\"workload\":\"%s\",\"requests\":%" PRIu64
          ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"rps\":%.1f"
          ",\"cpu_us\":%" PRIu64,
          o.mode, o.workload, o.requests, o.requests * o.size, ns / 1e9,
          o.requests / (ns / 1e9), cpu_ns / 1000);
  if (o.start_at)
    printf (",\"end_ns\":%" PRIu64, o.start_at + ns);
  if (lat) {
    qsort (lat, o.requests, sizeof *lat, cmp_u64);
    printf (",\"median_us\":%" PRIu64 ",\"p99_us\":%" PRIu64,
            lat[o.requests / 2], lat[o.requests * 99 / 100]);
  }
  printf ("}\n");
  free (lat);
  return 0;
}
