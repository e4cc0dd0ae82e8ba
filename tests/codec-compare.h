/* nbdcached tests: comparing what the codec decoded, for the tests
 * that decode the same line two ways (fast path and json-c, a reused
 * and a fresh struct).
 */
#ifndef NBDCACHED_TESTS_CODEC_COMPARE_H
#define NBDCACHED_TESTS_CODEC_COMPARE_H

#include <stdbool.h>
#include <string.h>

#include "codec.h"

/* Are two decoded strings the same (both NULL, or equal)? */
static inline bool
same_string (const char *a, const char *b)
{
  return a == b || (a != NULL && b != NULL && strcmp (a, b) == 0);
}

/* Do two decoded requests say the same: op, id, and the fields of
 * that op?
 */
static inline bool
same_request (const struct nbdc_request *a, const struct nbdc_request *b)
{
  if (a->op != b->op || a->id != b->id)
    return false;
  switch (a->op) {
  case NBDC_OP_HELLO:
    return a->u.hello.version == b->u.hello.version &&
      same_string (a->u.hello.client, b->u.hello.client);
  case NBDC_OP_CACHE:
  case NBDC_OP_PAUSE:
  case NBDC_OP_RESUME:
    return same_string (a->u.cache.export, b->u.cache.export) &&
      a->u.cache.offset == b->u.cache.offset &&
      a->u.cache.count == b->u.cache.count &&
      a->u.cache.flags == b->u.cache.flags;
  default:
    return true;
  }
}

#endif /* NBDCACHED_TESTS_CODEC_COMPARE_H */
