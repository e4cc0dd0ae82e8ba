/* nbdcached: checking a JSON text for what json-c does not (shape.c,
 * json-text.c), for the codec and for nbdcachectl's manifest reader;
 * not part of libnbdcache's interface.
 *
 * json-c 0.16 does not check every allocation of a parse: when it has
 * no memory to add a member to an object or an element to an array,
 * it leaves it out and reports success.  A reply would then seem to
 * lack a member (EPROTO) or an export (ENOENT), when memory ran out.
 * Comparing the tree's shape with the text's shows it.
 */
#ifndef NBDCACHED_PROTO_SHAPE_H
#define NBDCACHED_PROTO_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* How many values a JSON text or tree holds, at every depth, and how
 * many of them are members of objects.  Of a text, also the first
 * number written with a leading zero, which JSON does not allow and
 * json-c does not always refuse.
 */
struct nbdc_json_shape {
  size_t values;
  size_t members;
  size_t leading_zero;          /* its offset in the text, */
  size_t leading_zero_len;      /* and its length: 0 if none */
};

/* Does the string that ends with the quote at LINE[END] (of LEN
 * bytes) name a member, that is, does a ':' follow it?
 */
bool nbdc_is_member_name (const char *line, size_t len, size_t end);
/* The shape of LINE (LEN bytes, any text without NUL bytes: it need
 * not be valid JSON).
 */
void nbdc_text_shape (const char *line, size_t len,
                      struct nbdc_json_shape *shape);
/* The shape of the tree V. */
void nbdc_tree_shape (struct json_object *v, struct nbdc_json_shape *shape);
bool nbdc_shape_equal (const struct nbdc_json_shape *a,
                       const struct nbdc_json_shape *b);

struct nbdc_error;
/* json-text.c: what json-c does not check in a JSON text. */
int nbdc_check_json_text (const char *what, const char *text, size_t len,
                          struct nbdc_json_shape *shape,
                          struct nbdc_error *err);

#endif /* NBDCACHED_PROTO_SHAPE_H */
