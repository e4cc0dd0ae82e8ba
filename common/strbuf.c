/* nbdcached: growable byte strings. */
#include <config.h>

#include "strbuf.h"

/* The encoders make many small appends per message: only call out to
 * the growth code when the buffer lacks room.
 */
int
strbuf_append_mem (strbuf *sb, const void *data, size_t len)
{
  if (sb->cap - sb->len < len && strbuf_reserve (sb, len) == -1)
    return -1;
  memcpy (sb->ptr + sb->len, data, len);
  sb->len += len;
  return 0;
}

int
strbuf_append_str (strbuf *sb, const char *s)
{
  return strbuf_append_mem (sb, s, strlen (s));
}

/* Decimal digits without going through printf: this is on the hot
 * path of every reply and event.
 */
int
strbuf_append_u64 (strbuf *sb, uint64_t n)
{
  char tmp[20];
  size_t i = sizeof tmp;

  do {
    tmp[--i] = (char) ('0' + n % 10);
    n /= 10;
  } while (n > 0);
  return strbuf_append_mem (sb, &tmp[i], sizeof tmp - i);
}

const char *
strbuf_cstr (strbuf *sb)
{
  if (strbuf_reserve (sb, 1) == -1)
    return NULL;
  sb->ptr[sb->len] = '\0';
  return sb->ptr;
}
