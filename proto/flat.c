/* nbdcached: the decoders' fast path, a scanner for one flat JSON
 * object (flat.h).
 *
 * When in doubt it says no.  It takes the spelling the encoders write,
 * with blanks, and returns -1 for everything else (escapes, nesting,
 * null, signs, fractions, long numbers, leading zeros, duplicate or
 * empty keys, control characters, bad UTF-8), so that the full parser
 * in decode.c judges and reports those exactly as it always did.
 */
#include <config.h>

#include "codec.h"
#include "flat.h"

/* Skip the blanks allowed between tokens.  json-c also skips CR and
 * LF there; such lines take the full parser.
 */
static const char *
skip_blanks (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

/* Scan the rest of a string whose opening quote was just before P.
 * Returns the position after the closing quote, or NULL.  The check
 * for UTF-8 here stands in for parse_object's check of the whole line,
 * as strings are the only place bytes above 0x7f may be.
 */
static const char *
scan_string (const char *p, const char *end, const char **s, size_t *len)
{
  const char *start = p;
  bool high = false;

  for (; p < end; p++) {
    unsigned char c = (unsigned char) *p;

    if (c == '"') {
      *s = start;
      *len = (size_t) (p - start);
      if (high && !nbdc_utf8_valid (start, *len))
        return NULL;
      return p + 1;
    }
    if (c < 0x20 || c == '\\')
      return NULL;
    high |= c >= 0x80;
  }
  return NULL;
}

/* Scan an integer of 1 to 18 digits without a leading zero.  Being
 * below 10^18, it is the same int64 to json-c and within
 * NBDC_MAX_INTEGER.
 */
static const char *
scan_uint (const char *p, const char *end, uint64_t *num)
{
  const char *start = p;
  uint64_t n = 0;

  for (; p < end && *p >= '0' && *p <= '9'; p++) {
    if (p - start == 18)
      return NULL;
    n = n * 10 + (uint64_t) (*p - '0');
  }
  if (p == start || (*start == '0' && p - start > 1))
    return NULL;
  *num = n;
  return p;
}

/* Scan the value at P into M.  Returns the position after it or NULL. */
static const char *
scan_value (const char *p, const char *end, struct nbdc_flat_member *m)
{
  if (p < end && *p == '"') {
    m->type = NBDC_FLAT_STRING;
    return scan_string (p + 1, end, &m->str, &m->str_len);
  }
  if (end - p >= 4 && memcmp (p, "true", 4) == 0) {
    m->type = NBDC_FLAT_TRUE;
    return p + 4;
  }
  if (end - p >= 5 && memcmp (p, "false", 5) == 0) {
    m->type = NBDC_FLAT_FALSE;
    return p + 5;
  }
  m->type = NBDC_FLAT_UINT;
  return scan_uint (p, end, &m->num);
}

/* Does M[N]'s key repeat one of M[0 .. N-1]?  json-c would keep the
 * last; the full parser sorts that out.
 */
static bool
is_duplicate (const struct nbdc_flat_member *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].key_len == m[n].key_len &&
        memcmp (m[i].key, m[n].key, m[n].key_len) == 0)
      return true;
  return false;
}

int
nbdc_flat_scan (const char *line, size_t len,
                struct nbdc_flat_member *m, size_t max)
{
  const char *p, *end = line + len;
  size_t n = 0;

  if (len >= NBDC_MAX_MESSAGE)
    return -1;
  p = skip_blanks (line, end);
  if (p == end || *p != '{')
    return -1;
  do {                          /* P is at the '{' or a ',' */
    if (n == max)
      return -1;
    p = skip_blanks (p + 1, end);
    if (p == end || *p != '"')
      return -1;
    p = scan_string (p + 1, end, &m[n].key, &m[n].key_len);
    if (p == NULL || m[n].key_len == 0 || is_duplicate (m, n))
      return -1;
    p = skip_blanks (p, end);
    if (p == end || *p != ':')
      return -1;
    p = scan_value (skip_blanks (p + 1, end), end, &m[n]);
    if (p == NULL)
      return -1;
    p = skip_blanks (p, end);
    n++;
  } while (p < end && *p == ',');
  if (p == end || *p != '}')
    return -1;
  /* What parse_object allows after the object. */
  for (p++; p < end; p++)
    if (*p != ' ' && *p != '\t' && *p != '\r')
      return -1;
  return (int) n;
}
