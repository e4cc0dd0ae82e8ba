/* nbdcached: the shape of a JSON text and of json-c's tree of it, to
 * tell a parse that lost part of the text for want of memory (see
 * shape.h).
 */
#include <config.h>

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "shape.h"

/* The index in LINE (LEN bytes) of the quote that ends the string
 * whose opening quote is at LINE[START], or LEN.
 */
static size_t
string_end (const char *line, size_t len, size_t start)
{
  for (size_t i = start + 1; i < len; i++) {
    if (line[i] == '\\')
      i++;                      /* the escaped character */
    else if (line[i] == '"')
      return i;
  }
  return len;
}

bool
nbdc_is_member_name (const char *line, size_t len, size_t end)
{
  size_t i = end + 1;

  while (i < len && (line[i] == ' ' || line[i] == '\t' ||
                     line[i] == '\r' || line[i] == '\n'))
    i++;
  return i < len && line[i] == ':';
}

/* If the token LINE[START] to LINE[END - 1] is a number with a leading
 * zero ("00", "-01", "007"; RFC 8259 has none, json-c 0.16 reads "00"
 * as 0 even in strict mode) and SHAPE notes none yet, note it: from
 * START to the end of its digits.
 */
static void
note_leading_zero (const char *line, size_t start, size_t end,
                   struct nbdc_json_shape *shape)
{
  size_t zero = start + (line[start] == '-');
  size_t digits = zero;

  if (shape->leading_zero_len != 0 || zero + 1 >= end ||
      line[zero] != '0' || !isdigit ((unsigned char) line[zero + 1]))
    return;
  while (digits < end && isdigit ((unsigned char) line[digits]))
    digits++;
  shape->leading_zero = start;
  shape->leading_zero_len = digits - start;
}

void
nbdc_text_shape (const char *line, size_t len, struct nbdc_json_shape *shape)
{
  *shape = (struct nbdc_json_shape) { .values = 0 };
  for (size_t i = 0; i < len; i++) {
    char c = line[i];

    if (c == '"') {
      i = string_end (line, len, i);
      if (nbdc_is_member_name (line, len, i))
        shape->members++;
      else
        shape->values++;
    }
    else if (c == '{' || c == '[')
      shape->values++;
    else if (isalnum ((unsigned char) c) || c == '-') {
      /* A number, true, false or null: one value, up to its end. */
      size_t start = i;

      shape->values++;
      while (i + 1 < len && (isalnum ((unsigned char) line[i + 1]) ||
                             strchr ("+-.", line[i + 1]) != NULL))
        i++;
      note_leading_zero (line, start, i + 1, shape);
    }
  }
}

void
nbdc_tree_shape (struct json_object *v, struct nbdc_json_shape *shape)
{
  shape->values++;
  if (json_object_is_type (v, json_type_object)) {
    json_object_object_foreach (v, key, member) {
      (void) key;
      shape->members++;
      nbdc_tree_shape (member, shape);
    }
  }
  else if (json_object_is_type (v, json_type_array)) {
    size_t n = json_object_array_length (v);

    for (size_t i = 0; i < n; i++)
      nbdc_tree_shape (json_object_array_get_idx (v, i), shape);
  }
}

bool
nbdc_shape_equal (const struct nbdc_json_shape *a,
                  const struct nbdc_json_shape *b)
{
  return a->values == b->values && a->members == b->members;
}
