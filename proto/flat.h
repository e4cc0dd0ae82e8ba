/* nbdcached: the decoders' fast path (flat.c), private to proto/.
 *
 * The messages of the hot path (cache requests, cookie replies,
 * completion events) are one JSON object of scalars.  nbdc_flat_scan
 * reads such an object without json-c; anything else is left to the
 * full parser.
 */
#ifndef NBDCACHED_PROTO_FLAT_H
#define NBDCACHED_PROTO_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum nbdc_flat_type {
  NBDC_FLAT_STRING,
  NBDC_FLAT_UINT,
  NBDC_FLAT_TRUE,
  NBDC_FLAT_FALSE,
};

/* One member of the object.  KEY and STR point into the scanned line
 * and are not NUL-terminated.
 */
struct nbdc_flat_member {
  const char *key;
  size_t key_len;
  enum nbdc_flat_type type;
  const char *str;              /* NBDC_FLAT_STRING */
  size_t str_len;
  uint64_t num;                 /* NBDC_FLAT_UINT, below 10^18 */
};

/* Scan LINE (LEN bytes) as one JSON object of at most MAX members
 * whose values are strings, integers or booleans, filling M.  Returns
 * the number of members (at least 1), or -1 when LINE is not such an
 * object in the simplest spelling: then only the full parser may
 * judge it.  Whatever this accepts, json-c (strict) and parse_object
 * in decode.c accept with the same meaning.  Never allocates;
 * thread-safe.
 */
int nbdc_flat_scan (const char *line, size_t len,
                    struct nbdc_flat_member *m, size_t max);

/* Are the LEN bytes at S the C string WORD? */
static inline bool
nbdc_flat_eq (const char *s, size_t len, const char *word)
{
  return strlen (word) == len && memcmp (s, word, len) == 0;
}

#endif /* NBDCACHED_PROTO_FLAT_H */
