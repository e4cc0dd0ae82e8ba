/* nbdcached: UTF-8 checks for text that goes into protocol messages. */
#include <config.h>

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

/* Is the sequence of N bytes at P well formed (no overlong forms, no
 * surrogates, nothing above U+10FFFF)?
 */
static bool
seq_ok (const unsigned char *p, size_t n)
{
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return false;
  if (n == 3 && p[0] == 0xe0 && p[1] < 0xa0) return false;
  if (n == 3 && p[0] == 0xed && p[1] > 0x9f) return false;
  if (n == 4 && p[0] == 0xf0 && p[1] < 0x90) return false;
  if (n == 4 && p[0] == 0xf4 && p[1] > 0x8f) return false;
  return true;
}

bool
nbdc_utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t i = 0;

  while (i < len) {
    size_t n = seq_len (p[i]);
    if (n == 0 || n > len - i || !seq_ok (&p[i], n))
      return false;
    i += n;
  }
  return true;
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
