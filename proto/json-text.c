/* nbdcached: what a JSON text must be, that json-c 0.16 does not check
 * (RFC 8259): used on every message the full parser reads (decode.c)
 * and on every line of a manifest (nbdcachectl), so that both refuse
 * the same texts, for the same reasons, in the same words.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "codec.h"
#include "shape.h"

/* The UTF-16 unit of the escape "\uXXXX" at P (LEFT bytes there), or
 * -1 if P holds no such escape.
 */
static long
u_escape (const char *p, size_t left)
{
  long v = 0;

  if (left < 6 || p[0] != '\\' || p[1] != 'u')
    return -1;
  for (int k = 2; k < 6; k++) {
    int d = p[k];

    if (d >= '0' && d <= '9') d -= '0';
    else if (d >= 'a' && d <= 'f') d -= 'a' - 10;
    else if (d >= 'A' && d <= 'F') d -= 'A' - 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Refuse what json-c 0.16 would let through inside the strings of
 * LINE: raw control characters (0x01 to 0x1f; RFC 8259 wants them
 * escaped, but even strict mode takes them); a UTF-16 surrogate
 * escape that is not half of a pair ("\ud800" alone, which json-c
 * turns into U+FFFD: it is no character, so no UTF-8); and member
 * names holding "\u0000", which json-c cuts short at the NUL
 * ("id\u0000x" would become a second "id").  get_string refuses
 * "\u0000" in values itself, naming the field.  Returns 0, or -1 with
 * ERR filled.  Only the full path needs this: nbdc_flat_scan already
 * declines control characters and escapes in strings.
 */
static int
check_strings (const char *line, size_t len, struct nbdc_error *err)
{
  bool in_string = false, nul = false;

  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) line[i];

    if (!in_string)
      in_string = c == '"';
    else if (c < 0x20) {
      nbdc_set_error (err, EINVAL,
                      "malformed JSON: raw control character 0x%02x "
                      "in a string at byte %zu (it must be escaped)", c, i);
      return -1;
    }
    else if (c == '\\') {
      long u = u_escape (&line[i], len - i);
      bool high = u >= 0xd800 && u <= 0xdbff;
      bool low = u >= 0xdc00 && u <= 0xdfff;

      if (high) {
        long next = u_escape (&line[i + 6], len - i - 6);

        if (next >= 0xdc00 && next <= 0xdfff)
          i += 6;               /* a whole pair: skip its first half */
        else
          low = true;           /* alone, as good as a lone low half */
      }
      if (low) {
        nbdc_set_error (err, EINVAL,
                        "malformed JSON: \\u%04lx at byte %zu is half of "
                        "a UTF-16 surrogate pair without its other half",
                        u, i);
        return -1;
      }
      nul |= u == 0;
      i++;                      /* the escaped character is no quote */
    }
    else if (c == '"') {
      if (nul && nbdc_is_member_name (line, len, i)) {
        nbdc_set_error (err, EINVAL,
                        "member name ending at byte %zu contains a NUL "
                        "character (\\u0000)", i);
        return -1;
      }
      in_string = nul = false;
    }
  }
  return 0;
}

/* Check the JSON text TEXT (LEN bytes), called WHAT in messages ("the
 * message", "the line"): no NUL byte, valid UTF-8 (json-c's own check
 * lets overlong forms and surrogates through), nothing check_strings
 * refuses, and no number with a leading zero (json-c 0.16 reads "00"
 * as 0).  Fills *SHAPE with the text's shape (nbdc_text_shape), for
 * the caller to compare with json-c's tree.  Returns 0, or -1 with
 * EINVAL in ERR.  Whether it is JSON at all is json-c's to say.
 */
int
nbdc_check_json_text (const char *what, const char *text, size_t len,
                      struct nbdc_json_shape *shape, struct nbdc_error *err)
{
  if (memchr (text, '\0', len) != NULL) {
    nbdc_set_error (err, EINVAL, "%s contains a NUL byte", what);
    return -1;
  }
  if (!nbdc_utf8_valid (text, len)) {
    nbdc_set_error (err, EINVAL, "%s is not valid UTF-8", what);
    return -1;
  }
  if (check_strings (text, len, err) == -1)
    return -1;
  nbdc_text_shape (text, len, shape);
  if (shape->leading_zero_len != 0) {
    nbdc_set_error (err, EINVAL, "malformed JSON: the number %.*s at byte "
                    "%zu has a leading zero (numbers are decimal, without "
                    "leading zeros)", (int) shape->leading_zero_len,
                    &text[shape->leading_zero], shape->leading_zero);
    return -1;
  }
  return 0;
}
