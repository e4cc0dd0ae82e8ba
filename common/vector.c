/* nbdcached: out-of-line growth for DEFINE_VECTOR_TYPE. */
#include <config.h>

#include "vector.h"

int
generic_vector_reserve (void **ptr, size_t *cap, size_t len,
                        size_t n, size_t itemsize)
{
  size_t want, newcap;
  void *p;

  if (n > SIZE_MAX - len) {
    errno = ENOMEM;
    return -1;
  }
  want = len + n;
  if (want <= *cap)
    return 0;
  newcap = *cap ? *cap : 8;
  while (newcap < want) {
    if (newcap > SIZE_MAX / 2) {
      newcap = want;
      break;
    }
    newcap *= 2;
  }
  if (newcap > SIZE_MAX / itemsize) {
    errno = ENOMEM;
    return -1;
  }
  p = realloc (*ptr, newcap * itemsize);
  if (p == NULL)
    return -1;
  *ptr = p;
  *cap = newcap;
  return 0;
}
