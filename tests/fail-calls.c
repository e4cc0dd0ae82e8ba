/* nbdcached tests: make one chosen call to a library function fail,
 * to reach error paths that no real condition reaches on demand (a
 * thread that cannot be started, a timerfd that cannot be made).
 *
 * Preloaded into the daemon (LD_PRELOAD, see fail_calls in
 * functions.sh) with FAIL_CALLS="NAME=N[,NAME=N...]": the Nth call to
 * NAME, counting from 1, fails as the real call fails when the system
 * is out of that resource; every other call goes through.  Without
 * FAIL_CALLS nothing fails.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>

/* Count a call to NAME in *CALLS, and say whether FAIL_CALLS picks
 * this one to fail.  Thread-safe.
 */
static bool
pick (const char *name, atomic_uint *calls)
{
  unsigned n = atomic_fetch_add (calls, 1) + 1;
  const char *spec = getenv ("FAIL_CALLS");
  size_t len = strlen (name);

  while (spec != NULL && *spec != '\0') {
    if (strncmp (spec, name, len) == 0 && spec[len] == '=')
      return strtoul (spec + len + 1, NULL, 10) == n;
    spec = strchr (spec, ',');
    if (spec != NULL)
      spec++;
  }
  return false;
}

/* The real function NAME, from the next object in the search order
 * (libc, or a sanitizer's interceptor).
 */
static void *
real (const char *name)
{
  void *fn = dlsym (RTLD_NEXT, name);

  if (fn == NULL)
    abort ();
  return fn;
}

int
pthread_create (pthread_t *thread, const pthread_attr_t *attr,
                void *(*start) (void *), void *arg)
{
  static atomic_uint calls;
  int (*fn) (pthread_t *, const pthread_attr_t *, void *(*) (void *),
             void *);

  if (pick ("pthread_create", &calls))
    return EAGAIN;
  *(void **) &fn = real ("pthread_create");
  return fn (thread, attr, start, arg);
}

int
timerfd_create (int clockid, int flags)
{
  static atomic_uint calls;
  int (*fn) (int, int);

  if (pick ("timerfd_create", &calls)) {
    errno = EMFILE;
    return -1;
  }
  *(void **) &fn = real ("timerfd_create");
  return fn (clockid, flags);
}
