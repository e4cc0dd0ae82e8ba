/* nbdcached tests: make chosen calls to library functions fail, to
 * reach error paths that no real condition reaches on demand (a
 * thread that cannot be started, a timerfd that cannot be made, a
 * send that finds no buffer space, a poll that finds no kernel memory,
 * a listener libevent has no memory for, a string that cannot be
 * copied, memory that cannot be allocated, a connect interrupted by a
 * signal).
 *
 * Preloaded into the daemon or a client (LD_PRELOAD) with FAIL_CALLS="NAME=N
 * [,NAME=N...]": the Nth call to NAME, counting from 1, fails as the
 * real call fails when the system is out of that resource; every other
 * call goes through.  Without FAIL_CALLS nothing fails.
 *
 * Allocations (malloc, calloc, realloc; strdup and the rest call
 * malloc) are armed from outside instead, since start-up makes
 * thousands of them: with FAIL_ARM_FILE=PATH set, SIGUSR2 makes the
 * shim read "SKIP COUNT" from PATH and restart its count, so that
 * after SKIP more allocations (on any thread) the next COUNT fail with
 * ENOMEM.  It then writes 0 to PATH.count, to say it is armed.
 * SIGUSR1 writes how many calls of the armed kind were made since
 * arming to PATH.count.  A test can so measure the allocations one
 * request makes, then fail each of them in turn.
 *
 * "SKIP COUNT epoll_ctl" in PATH arms the same way for the calls that
 * make epoll watch a descriptor (EPOLL_CTL_ADD; libevent's event_add
 * for a socket nothing watched yet): they fail with ENOSPC, as when
 * fs.epoll.max_user_watches is reached.  "SKIP COUNT epoll_ctl_mod"
 * does it for the calls that change what is watched (EPOLL_CTL_MOD;
 * event_add of a second event on a watched socket), with ENOMEM.
 * "SKIP COUNT timer" does it for the daemon's calls of libevent's
 * event_add with a timeout, which fails so when libevent cannot grow
 * its timer heap.  Allocations then go through.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

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

ssize_t
send (int fd, const void *buf, size_t len, int flags)
{
  static atomic_uint calls;
  ssize_t (*fn) (int, const void *, size_t, int);

  if (pick ("send", &calls)) {
    errno = ENOBUFS;
    return -1;
  }
  *(void **) &fn = real ("send");
  return fn (fd, buf, len, flags);
}

/* As when a signal without SA_RESTART interrupts a connect that waits
 * for room in a full listen queue.
 */
int
connect (int fd, const struct sockaddr *addr, socklen_t len)
{
  static atomic_uint calls;
  int (*fn) (int, const struct sockaddr *, socklen_t);

  if (pick ("connect", &calls)) {
    errno = EINTR;
    return -1;
  }
  *(void **) &fn = real ("connect");
  return fn (fd, addr, len);
}

/* As when there is no memory for the copy.  Counted apart from the
 * allocations, and chosen by FAIL_CALLS: start-up cannot be armed.
 */
char *
strdup (const char *str)
{
  static atomic_uint calls;
  char *(*fn) (const char *);

  if (pick ("strdup", &calls)) {
    errno = ENOMEM;
    return NULL;
  }
  *(void **) &fn = real ("strdup");
  return fn (str);
}

/* As when the kernel cannot allocate its table of descriptors. */
int
poll (struct pollfd *fds, nfds_t nfds, int timeout)
{
  static atomic_uint calls;
  int (*fn) (struct pollfd *, nfds_t, int);

  if (pick ("poll", &calls)) {
    errno = ENOMEM;
    return -1;
  }
  *(void **) &fn = real ("poll");
  return fn (fds, nfds, timeout);
}

/* Armed failures of the calls of kind armed_kind: call number N
 * (from 0, counted since arming) fails when FROM <= N < TO.  Unarmed,
 * nothing is counted.
 */
enum { ARM_ALLOC, ARM_EPOLL_ADD, ARM_EPOLL_MOD, ARM_TIMER };
static atomic_bool armed;
static atomic_int armed_kind;
static atomic_ulong armed_calls, armed_from, armed_to;
static char arm_file[PATH_MAX];

/* Count a call of KIND, and say whether it is to fail with ERR. */
static bool
armed_fails (int kind, int err)
{
  unsigned long n;

  if (!atomic_load_explicit (&armed, memory_order_relaxed) ||
      atomic_load_explicit (&armed_kind, memory_order_relaxed) != kind)
    return false;
  n = atomic_fetch_add (&armed_calls, 1);
  if (n < atomic_load (&armed_from) || n >= atomic_load (&armed_to))
    return false;
  errno = err;
  return true;
}

static bool
alloc_fails (void)
{
  return armed_fails (ARM_ALLOC, ENOMEM);
}

/* libevent's, declared here so that the shim needs no libevent. */
struct event;
struct event_base;
int event_add (struct event *ev, const struct timeval *tv);

int
event_add (struct event *ev, const struct timeval *tv)
{
  int (*fn) (struct event *, const struct timeval *);

  if (tv != NULL && armed_fails (ARM_TIMER, ENOMEM))
    return -1;
  *(void **) &fn = real ("event_add");
  return fn (ev, tv);
}

/* libevent's, declared here so that the shim needs no libevent; as
 * when it cannot allocate the listener.
 */
struct evconnlistener;
struct evconnlistener *evconnlistener_new (struct event_base *base,
                                           void *cb, void *ptr,
                                           unsigned flags, int backlog,
                                           int fd);

struct evconnlistener *
evconnlistener_new (struct event_base *base, void *cb, void *ptr,
                    unsigned flags, int backlog, int fd)
{
  static atomic_uint calls;
  struct evconnlistener *(*fn) (struct event_base *, void *, void *,
                                unsigned, int, int);

  if (pick ("evconnlistener_new", &calls)) {
    errno = ENOMEM;
    return NULL;
  }
  *(void **) &fn = real ("evconnlistener_new");
  return fn (base, cb, ptr, flags, backlog, fd);
}

int
epoll_ctl (int epfd, int op, int fd, struct epoll_event *event)
{
  int (*fn) (int, int, int, struct epoll_event *);

  if ((op == EPOLL_CTL_ADD && armed_fails (ARM_EPOLL_ADD, ENOSPC)) ||
      (op == EPOLL_CTL_MOD && armed_fails (ARM_EPOLL_MOD, ENOMEM)))
    return -1;
  *(void **) &fn = real ("epoll_ctl");
  return fn (epfd, op, fd, event);
}

/* The next unsigned decimal in *P, which it passes. */
static unsigned long
scan_ulong (const char **p)
{
  unsigned long n = 0;

  while (**p == ' ' || **p == '\n')
    (*p)++;
  while (**p >= '0' && **p <= '9')
    n = n * 10 + (unsigned long) (*(*p)++ - '0');
  return n;
}

/* Write the calls counted since arming to arm_file.count, whole: it is
 * written as arm_file.count.tmp and renamed, since the test reads it as
 * soon as it exists.  Only async-signal-safe calls.
 */
static void
write_count (void)
{
  char tmp[PATH_MAX + 16], path[PATH_MAX + 16], digits[24];
  size_t len = strlen (arm_file), i = sizeof digits;
  unsigned long n = atomic_load (&armed_calls);
  int fd;

  memcpy (path, arm_file, len);
  memcpy (path + len, ".count", sizeof ".count");
  memcpy (tmp, arm_file, len);
  memcpy (tmp + len, ".count.tmp", sizeof ".count.tmp");
  do {
    digits[--i] = (char) ('0' + n % 10);
    n /= 10;
  } while (n > 0);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (write (fd, digits + i, sizeof digits - i) == -1) {
      /* nothing to do: the test waits for the file, and fails */
    }
    close (fd);
    rename (tmp, path);
  }
}

/* SIGUSR1: report the count. */
static void
on_report (int sig)
{
  int saved = errno;

  write_count ();
  errno = saved;
}

/* SIGUSR2: read "SKIP COUNT [epoll_ctl|epoll_ctl_mod|timer]" from
 * arm_file and arm.  Only async-signal-safe calls.
 */
static void
on_arm (int sig)
{
  int saved = errno;
  char buf[64];
  const char *p = buf;
  ssize_t len;
  int fd = open (arm_file, O_RDONLY);

  if (fd >= 0) {
    len = read (fd, buf, sizeof buf - 1);
    close (fd);
    buf[len > 0 ? len : 0] = '\0';
    atomic_store (&armed, false);
    atomic_store (&armed_from, scan_ulong (&p));
    atomic_store (&armed_to, atomic_load (&armed_from) + scan_ulong (&p));
    while (*p == ' ')
      p++;
    atomic_store (&armed_kind,
                  strncmp (p, "epoll_ctl_mod", 13) == 0 ? ARM_EPOLL_MOD
                  : strncmp (p, "epoll_ctl", 9) == 0 ? ARM_EPOLL_ADD
                  : strncmp (p, "timer", 5) == 0 ? ARM_TIMER
                  : ARM_ALLOC);
    atomic_store (&armed_calls, 0);
    atomic_store (&armed, true);
    write_count ();             /* tells the test it is armed */
  }
  errno = saved;
}

/* Install the handlers when the test asks for them. */
static void __attribute__ ((constructor))
arm_init (void)
{
  const char *file = getenv ("FAIL_ARM_FILE");
  struct sigaction sa = { .sa_flags = SA_RESTART };

  if (file == NULL || strlen (file) >= sizeof arm_file)
    return;
  strcpy (arm_file, file);
  sigemptyset (&sa.sa_mask);
  sa.sa_handler = on_arm;
  sigaction (SIGUSR2, &sa, NULL);
  sa.sa_handler = on_report;
  sigaction (SIGUSR1, &sa, NULL);
}

/* dlsym may allocate before the real allocator is known: such early
 * blocks come from this arena and are never freed.
 */
static _Alignas (max_align_t) char early[4096];
static size_t early_used;

static void *
early_alloc (size_t size)
{
  size_t need = (size + 15) & ~(size_t) 15;

  if (need > sizeof early - early_used)
    abort ();
  early_used += need;
  return early + early_used - need;
}

static bool
is_early (const void *p)
{
  return (const char *) p >= early && (const char *) p < early + sizeof early;
}

static void *(*real_malloc) (size_t);
static void *(*real_calloc) (size_t, size_t);
static void *(*real_realloc) (void *, size_t);
static void (*real_free) (void *);
/* Not thread-local: the first allocations happen inside the dynamic
 * linker, before thread-local storage is safe to touch, and while the
 * process has one thread.
 */
static atomic_bool resolving;

/* Find the real allocator once.  Returns false while resolving (the
 * caller then uses the early arena).
 */
static bool
alloc_resolve (void)
{
  if (real_free != NULL)
    return true;
  if (resolving)
    return false;
  resolving = true;
  *(void **) &real_malloc = real ("malloc");
  *(void **) &real_calloc = real ("calloc");
  *(void **) &real_realloc = real ("realloc");
  *(void **) &real_free = real ("free");
  resolving = false;
  return true;
}

void *
malloc (size_t size)
{
  if (!alloc_resolve ())
    return early_alloc (size);
  return alloc_fails () ? NULL : real_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  if (!alloc_resolve ()) {
    void *p = early_alloc (n * size);

    return memset (p, 0, n * size);
  }
  return alloc_fails () ? NULL : real_calloc (n, size);
}

void *
realloc (void *p, size_t size)
{
  if (is_early (p))
    abort ();                   /* not expected from dlsym */
  if (!alloc_resolve ())
    return early_alloc (size);
  return alloc_fails () ? NULL : real_realloc (p, size);
}

void
free (void *p)
{
  if (p == NULL || is_early (p))
    return;
  if (alloc_resolve ())
    real_free (p);
}
