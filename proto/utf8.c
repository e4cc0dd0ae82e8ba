/* nbdcached: UTF-8 checks for text that goes into protocol messages. */
#include <config.h>

#include <limits.h>
#include <string.h>

#include "codec.h"

/* Length of the UTF-8 sequence starting with byte B, or 0 if B cannot
 * start one.
 */
static size_t
seq_len (unsigned char b)
{
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/* How many of the N bytes at P begin a well-formed sequence (no
 * overlong forms, no surrogates, nothing above U+10FFFF)?  P[0] is a
 * lead byte and N at most seq_len (P[0]); N if all do.  Inline: this
 * is nbdc_utf8_valid's inner loop.
 */
static inline size_t
good_prefix (const unsigned char *p, size_t n)
{
  size_t i;

  for (i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      break;
  if (i > 1 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
                (p[0] == 0xed && p[1] > 0x9f) ||
                (p[0] == 0xf0 && p[1] < 0x90) ||
                (p[0] == 0xf4 && p[1] > 0x8f)))
    return 1;                   /* the second byte cannot follow */
  return i;
}

int
nbdc_utf8_char (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t n = seq_len (p[0]), good;

  if (n == 0)
    return -1;
  good = good_prefix (p, n < len ? n : len);
  return good == n ? (int) n : -(int) good;
}

bool
nbdc_utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t i = 0;

  while (i < len) {
    size_t n = seq_len (p[i]);
    if (n == 0 || n > len - i || good_prefix (&p[i], n) != n)
      return false;
    i += n;
  }
  return true;
}

void
nbdc_copy_printable (char *dst, size_t len, const char *src)
{
  int max = len - 1 > INT_MAX ? INT_MAX : (int) (len - 1);
  int n = nbdc_utf8_prefix (src, max);

  memcpy (dst, src, (size_t) n);
  dst[n] = '\0';
  for (char *p = dst; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = '?';
}

int
nbdc_utf8_prefix (const char *s, int max)
{
  const unsigned char *p = (const unsigned char *) s;
  int i = 0;

  while (p[i] != '\0') {
    int n = (int) seq_len (p[i]);
    if (n == 0)
      n = 1;                    /* not UTF-8: step over the byte */
    if (i + n > max)
      break;
    i += n;
  }
  return i;
}
