/* nbdcached: a growable byte string (a vector of char). */
#ifndef NBDCACHED_COMMON_STRBUF_H
#define NBDCACHED_COMMON_STRBUF_H

#include <stdint.h>
#include "vector.h"

DEFINE_VECTOR_TYPE (strbuf, char)

/* Each append returns 0, or -1 with errno = ENOMEM; on failure the
 * buffer keeps its previous contents.  The contents are NOT kept
 * NUL-terminated; use strbuf_cstr when a C string is needed.
 */
int strbuf_append_mem (strbuf *sb, const void *data, size_t len);
int strbuf_append_str (strbuf *sb, const char *s);
int strbuf_append_u64 (strbuf *sb, uint64_t n);

/* NUL-terminate without changing len.  Returns the buffer or NULL on
 * ENOMEM.  The pointer is valid until the next append.
 */
const char *strbuf_cstr (strbuf *sb);

#endif /* NBDCACHED_COMMON_STRBUF_H */
