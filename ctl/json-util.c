/* nbdcachectl: reading json-c values without trusting their shape.
 *
 * The daemon may be older or newer than this program, so any member
 * may be missing or of another type.  These accessors answer "absent"
 * (NULL or false) instead of guessing, and callers print "-".
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "human-size.h"

/* The member KEY of OBJ, borrowed, or NULL if OBJ is not an object or
 * has no such member.
 */
struct json_object *
json_member (struct json_object *obj, const char *key)
{
  struct json_object *v;

  if (!json_object_is_type (obj, json_type_object) ||
      !json_object_object_get_ex (obj, key, &v))
    return NULL;
  return v;
}

/* The string member KEY of OBJ, borrowed, or NULL. */
const char *
json_member_string (struct json_object *obj, const char *key)
{
  struct json_object *v = json_member (obj, key);

  if (!json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

/* Whether OBJ has a non-negative integer member KEY; if so, set *V. */
bool
json_member_u64 (struct json_object *obj, const char *key, uint64_t *v)
{
  struct json_object *m = json_member (obj, key);

  if (!json_object_is_type (m, json_type_int) ||
      json_object_get_int64 (m) < 0)
    return false;
  *v = json_object_get_uint64 (m);
  return true;
}

/* Whether OBJ has a boolean member KEY; if so, set *V. */
bool
json_member_bool (struct json_object *obj, const char *key, bool *v)
{
  struct json_object *m = json_member (obj, key);

  if (!json_object_is_type (m, json_type_boolean))
    return false;
  *v = json_object_get_boolean (m);
  return true;
}

bool
json_is_number (struct json_object *v)
{
  return json_object_is_type (v, json_type_int) ||
    json_object_is_type (v, json_type_double);
}

/* V as JSON text with FLAGS, borrowed from V; NULL on ENOMEM.  No
 * "\/" escapes: export names may well hold slashes.
 */
static const char *
json_text (struct json_object *v, int flags)
{
  return json_object_to_json_string_ext (v, flags |
                                         JSON_C_TO_STRING_NOSLASHESCAPE);
}

static char *
int_text (struct json_object *v, bool human)
{
  char buf[HUMAN_SIZE_LEN];
  int64_t i = json_object_get_int64 (v);

  if (i < 0)
    snprintf (buf, sizeof buf, "%" PRIi64, i);
  else if (human)
    format_human_size (json_object_get_uint64 (v), buf, sizeof buf);
  else
    snprintf (buf, sizeof buf, "%" PRIu64, json_object_get_uint64 (v));
  return strdup (buf);
}

/* V as text for a human, in a new string the caller frees: integers
 * in decimal, or with a size suffix when HUMAN; booleans as yes/no;
 * strings as they are; null or NULL as "-"; arrays and objects as
 * compact JSON.  Exits on ENOMEM.
 */
char *
json_value_text (struct json_object *v, bool human)
{
  const char *j;
  char *s;

  switch (json_object_get_type (v)) {
  case json_type_null:
    s = strdup ("-");
    break;
  case json_type_boolean:
    s = strdup (json_object_get_boolean (v) ? "yes" : "no");
    break;
  case json_type_int:
    s = int_text (v, human);
    break;
  case json_type_double:
    if (asprintf (&s, "%g", json_object_get_double (v)) == -1)
      s = NULL;
    break;
  case json_type_string:
    s = strdup (json_object_get_string (v));
    break;
  default:
    j = json_text (v, JSON_C_TO_STRING_PLAIN);
    s = j ? strdup (j) : NULL;
  }
  if (s == NULL)
    out_of_memory ();
  return s;
}

/* Print V as indented JSON and a newline on FP, as --json does. */
void
print_json_pretty (struct json_object *v, FILE *fp)
{
  const char *j = json_text (v, JSON_C_TO_STRING_PRETTY |
                             JSON_C_TO_STRING_SPACED);

  if (j == NULL)
    out_of_memory ();
  fprintf (fp, "%s\n", j);
}
