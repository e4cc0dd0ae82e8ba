/* nbdcached: scoped cleanup helpers, in the style of nbdkit's common/utils.
 *
 * CLEANUP_FREE frees a pointer when it leaves scope; CLEANUP_JSON_PUT
 * drops a json-c reference; ACQUIRE_LOCK_FOR_CURRENT_SCOPE holds a
 * pthread mutex until the end of the enclosing block.
 */
#ifndef NBDCACHED_COMMON_CLEANUP_H
#define NBDCACHED_COMMON_CLEANUP_H

#include <pthread.h>
#include <stdlib.h>

void cleanup_free (void *ptr);
void cleanup_json_put (void *ptr);
void cleanup_unlock (pthread_mutex_t **ptr);

#define CLEANUP_FREE __attribute__ ((cleanup (cleanup_free)))
#define CLEANUP_JSON_PUT __attribute__ ((cleanup (cleanup_json_put)))

#define CLEANUP_CONCAT_(a, b) a##b
#define CLEANUP_CONCAT(a, b) CLEANUP_CONCAT_ (a, b)

/* Lock MUTEX now and unlock it when the current scope ends.  The
 * mutex must not already be held by this thread.
 */
#define ACQUIRE_LOCK_FOR_CURRENT_SCOPE(mutex)                            \
  __attribute__ ((cleanup (cleanup_unlock)))                             \
  pthread_mutex_t *CLEANUP_CONCAT (scoped_lock_, __LINE__) = (mutex);    \
  pthread_mutex_lock (CLEANUP_CONCAT (scoped_lock_, __LINE__))

#endif /* NBDCACHED_COMMON_CLEANUP_H */
