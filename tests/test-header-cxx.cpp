// nbdcached tests: <nbdcache.h> compiles as C++ and its calls have C
// linkage, so that taking their addresses links against libnbdcache.
#include <config.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <nbdcache.h>

static int
count_call (void *user_data, int *error)
{
  ++*static_cast<int *> (user_data);
  return *error == 0;
}

int
main ()
{
  // Function pointers to every call: a missing extern "C" would leave
  // C++-mangled references that do not link.
  struct nbdcache_handle *(*create) (void) = nbdcache_create;
  void (*close_) (struct nbdcache_handle *) = nbdcache_close;
  const char *(*get_error) (void) = nbdcache_get_error;
  int (*get_errno) (void) = nbdcache_get_errno;
  int (*set_export_name) (struct nbdcache_handle *, const char *) =
    nbdcache_set_export_name;
  char *(*get_export_name) (struct nbdcache_handle *) =
    nbdcache_get_export_name;
  int (*connect_) (struct nbdcache_handle *, const char *) = nbdcache_connect;
  int64_t (*get_size) (struct nbdcache_handle *) = nbdcache_get_size;
  char *(*get_exports_json) (struct nbdcache_handle *) =
    nbdcache_get_exports_json;
  char *(*get_stats_json) (struct nbdcache_handle *) =
    nbdcache_get_stats_json;
  char *(*get_exports_reply_json) (struct nbdcache_handle *) =
    nbdcache_get_exports_reply_json;
  char *(*get_clients_json) (struct nbdcache_handle *) =
    nbdcache_get_clients_json;
  char *(*get_clients_reply_json) (struct nbdcache_handle *) =
    nbdcache_get_clients_reply_json;
  int (*pause_export) (struct nbdcache_handle *, const char *) =
    nbdcache_pause_export;
  int (*resume_export) (struct nbdcache_handle *, const char *) =
    nbdcache_resume_export;
  int (*reload) (struct nbdcache_handle *) = nbdcache_reload;
  int64_t (*aio_cache) (struct nbdcache_handle *, uint64_t, uint64_t,
                        nbdcache_completion_callback, uint32_t) =
    nbdcache_aio_cache;
  int (*cache) (struct nbdcache_handle *, uint64_t, uint64_t, uint32_t) =
    nbdcache_cache;
  int (*poll_) (struct nbdcache_handle *, int) = nbdcache_poll;
  int (*aio_get_fd) (struct nbdcache_handle *) = nbdcache_aio_get_fd;
  unsigned (*aio_get_direction) (struct nbdcache_handle *) =
    nbdcache_aio_get_direction;
  int (*aio_command_completed) (struct nbdcache_handle *, uint64_t) =
    nbdcache_aio_command_completed;
  int64_t (*aio_peek_command_completed) (struct nbdcache_handle *) =
    nbdcache_aio_peek_command_completed;
  int64_t (*aio_in_flight) (struct nbdcache_handle *) =
    nbdcache_aio_in_flight;

  int calls = 0;
  nbdcache_completion_callback cb = { count_call, &calls, 0 };
  nbdcache_completion_callback null_cb = NBDCACHE_NULL_COMPLETION;
  struct nbdcache_handle *h = create ();

  if (h == 0) {
    std::fprintf (stderr, "%s\n", get_error ());
    return EXIT_FAILURE;
  }
  if (set_export_name (h, "disk") == -1) {
    std::fprintf (stderr, "%s\n", get_error ());
    return EXIT_FAILURE;
  }
  char *name = get_export_name (h);
  if (name == 0 || name[0] != 'd') {
    std::fprintf (stderr, "get_export_name\n");
    return EXIT_FAILURE;
  }
  std::free (name);

  // Not connected: the calls fail as documented, and nothing is
  // called back.
  if (aio_cache (h, 512, 0, cb, 0) != -1 || get_errno () != ENOTCONN ||
      aio_cache (h, 512, 0, null_cb, 0) != -1 ||
      cache (h, 512, 0, 0) != -1 || get_size (h) != -1 ||
      get_exports_json (h) != 0 || get_stats_json (h) != 0 ||
      get_exports_reply_json (h) != 0 || get_clients_json (h) != 0 ||
      get_clients_reply_json (h) != 0 || pause_export (h, "disk") != -1 ||
      resume_export (h, "disk") != -1 || reload (h) != -1 ||
      get_errno () != ENOTCONN ||
      poll_ (h, 0) != -1 || aio_get_fd (h) != -1 ||
      aio_get_direction (h) != 0 || aio_in_flight (h) != 0 ||
      aio_peek_command_completed (h) != -1 ||
      aio_command_completed (h, 1) != -1 || calls != 0) {
    std::fprintf (stderr, "unexpected result from an unconnected handle\n");
    return EXIT_FAILURE;
  }
  (void) connect_;
  close_ (h);
  std::printf ("test-header-cxx: ok\n");
  return EXIT_SUCCESS;
}
