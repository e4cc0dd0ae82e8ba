/* nbdcached: a growable array as one macro-generated type.
 *
 * DEFINE_VECTOR_TYPE (name, type) defines
 *
 *   typedef struct { type *ptr; size_t len, cap; } name;
 *   int  name##_append (name *v, type elem);    -1 + errno on ENOMEM
 *   int  name##_reserve (name *v, size_t n);    room for n more
 *   void name##_remove (name *v, size_t i);     keeps the order
 *   void name##_reset (name *v);                frees the storage
 *
 * Modelled on nbdkit's common/utils/vector.h.  Not thread-safe: the
 * owner of the vector serialises access.
 */
#ifndef NBDCACHED_COMMON_VECTOR_H
#define NBDCACHED_COMMON_VECTOR_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Grow *PTR (holding *CAP elements of ITEMSIZE bytes) to fit at least
 * LEN + N elements.  Returns 0, or -1 with errno set.
 */
int generic_vector_reserve (void **ptr, size_t *cap, size_t len,
                            size_t n, size_t itemsize);

#define DEFINE_VECTOR_TYPE(name, type)                                  \
  typedef struct {                                                      \
    type *ptr;                                                          \
    size_t len;                                                         \
    size_t cap;                                                         \
  } name;                                                               \
                                                                        \
  static inline int __attribute__ ((__unused__))                        \
  name##_reserve (name *v, size_t n)                                    \
  {                                                                     \
    return generic_vector_reserve ((void **) &v->ptr, &v->cap, v->len,  \
                                   n, sizeof (type));                   \
  }                                                                     \
                                                                        \
  static inline int __attribute__ ((__unused__))                        \
  name##_append (name *v, type elem)                                    \
  {                                                                     \
    if (v->len >= v->cap && name##_reserve (v, 1) == -1)                \
      return -1;                                                        \
    v->ptr[v->len++] = elem;                                            \
    return 0;                                                           \
  }                                                                     \
                                                                        \
  static inline void __attribute__ ((__unused__))                       \
  name##_remove (name *v, size_t i)                                     \
  {                                                                     \
    memmove (&v->ptr[i], &v->ptr[i + 1],                                \
             (v->len - i - 1) * sizeof (type));                         \
    v->len--;                                                           \
  }                                                                     \
                                                                        \
  static inline void __attribute__ ((__unused__))                       \
  name##_reset (name *v)                                                \
  {                                                                     \
    free (v->ptr);                                                      \
    v->ptr = NULL;                                                      \
    v->len = v->cap = 0;                                                \
  }

#endif /* NBDCACHED_COMMON_VECTOR_H */
