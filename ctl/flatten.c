/* nbdcachectl: flattening JSON objects into "a.b.c" = value leaves.
 *
 * "stats" shows whatever members the daemon sends, so that counters
 * added later appear without a change here.  Nested objects become
 * dotted keys; every other value (scalars and arrays) is one leaf.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Append to OUT the leaves of the member KEY = V of an object whose
 * own key is PREFIX (NULL at the top).  Keys are copied; values are
 * borrowed from V.  Exits on ENOMEM.
 */
void
flatten_member (leaves *out, const char *prefix, const char *key,
                struct json_object *v)
{
  char *full;

  if (prefix) {
    if (asprintf (&full, "%s.%s", prefix, key) == -1)
      out_of_memory ();
  }
  else if ((full = strdup (key)) == NULL)
    out_of_memory ();

  if (json_object_is_type (v, json_type_object)) {
    flatten_object (out, full, v);
    free (full);
  }
  else if (leaves_append (out, (struct leaf) { .key = full, .value = v })
           == -1)
    out_of_memory ();
}

/* Append to OUT the leaves of every member of OBJ, under PREFIX. */
void
flatten_object (leaves *out, const char *prefix, struct json_object *obj)
{
  json_object_object_foreach (obj, key, v)
    flatten_member (out, prefix, key, v);
}

/* The value of the leaf named KEY in L, or NULL. */
struct json_object *
leaves_find (const leaves *l, const char *key)
{
  for (size_t i = 0; i < l->len; i++)
    if (strcmp (l->ptr[i].key, key) == 0)
      return l->ptr[i].value;
  return NULL;
}

void
leaves_free (leaves *l)
{
  for (size_t i = 0; i < l->len; i++)
    free (l->ptr[i].key);
  leaves_reset (l);
}
