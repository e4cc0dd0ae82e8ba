/* nbdcached: checking json-c's tree against its text (shape.c),
 * private to proto/.
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
 * many of them are members of objects.
 */
struct nbdc_json_shape {
  size_t values;
  size_t members;
};

/* Does the string that ends with the quote at LINE[END] (of LEN
 * bytes) name a member, that is, does a ':' follow it?
 */
bool nbdc_is_member_name (const char *line, size_t len, size_t end);
/* The shape of LINE (LEN bytes), which json-c parsed in strict mode. */
void nbdc_text_shape (const char *line, size_t len,
                      struct nbdc_json_shape *shape);
/* The shape of the tree V. */
void nbdc_tree_shape (struct json_object *v, struct nbdc_json_shape *shape);
bool nbdc_shape_equal (const struct nbdc_json_shape *a,
                       const struct nbdc_json_shape *b);

#endif /* NBDCACHED_PROTO_SHAPE_H */
