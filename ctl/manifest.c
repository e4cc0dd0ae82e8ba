/* nbdcachectl: reading a warm manifest (warm --manifest FILE).
 *
 * A manifest is JSON Lines: each line is blank, a comment (first
 * non-blank character "#"), or one JSON object
 *
 *   {"export":"disk","offset":0,"count":1048576}    a range
 *   {"export":"disk"}                                the whole export
 *
 * The whole file is checked before anything is warmed, so that a
 * typo on the last line does not leave a half-warmed set behind.
 * Every bad line is reported as "FILE:LINE: reason".
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "ctl.h"
#include "protocol.h"
#include "shape.h"

/* Stop reporting after this many bad lines: it is not a manifest. */
#define MAX_REPORTED 20

/* One entry, as read from a line. */
struct line_entry {
  const char *export_name;      /* borrowed from the parsed line */
  bool have_offset, have_count;
  uint64_t offset, count;
};

/* The name of PATH in messages: "-" is standard input. */
const char *
manifest_name (const char *path)
{
  return strcmp (path, "-") == 0 ? "<stdin>" : path;
}

/* Format a reason into WHY (of WHYLEN bytes).  Returns -1. */
static int __attribute__ ((format (printf, 3, 4)))
reason (char *why, size_t whylen, const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  vsnprintf (why, whylen, fs, args);
  va_end (args);
  return -1;
}

/* Read the integer member V, named KEY, into *N. */
static int
get_integer (struct json_object *v, const char *key, uint64_t *n,
             char *why, size_t whylen)
{
  if (!json_object_is_type (v, json_type_int))
    return reason (why, whylen, "\"%s\" must be an integer", key);
  if (json_object_get_int64 (v) < 0)
    return reason (why, whylen, "\"%s\" must not be negative", key);
  *n = json_object_get_uint64 (v);
  if (*n > INT64_MAX)
    return reason (why, whylen, "\"%s\" is larger than 2^63-1", key);
  return 0;
}

/* Read the members of the object OBJ into *ENT. */
static int
get_members (struct json_object *obj, struct line_entry *ent,
             char *why, size_t whylen)
{
  json_object_object_foreach (obj, key, v) {
    if (strcmp (key, "export") == 0) {
      if (!json_object_is_type (v, json_type_string))
        return reason (why, whylen, "\"export\" must be a string");
      ent->export_name = json_object_get_string (v);
      if ((size_t) json_object_get_string_len (v) !=
          strlen (ent->export_name))
        return reason (why, whylen, "\"export\" contains a NUL character");
    }
    else if (strcmp (key, "offset") == 0) {
      if (get_integer (v, key, &ent->offset, why, whylen) == -1)
        return -1;
      ent->have_offset = true;
    }
    else if (strcmp (key, "count") == 0) {
      if (get_integer (v, key, &ent->count, why, whylen) == -1)
        return -1;
      ent->have_count = true;
    }
    else
      return reason (why, whylen, "unknown member \"%s\"", key);
  }
  return 0;
}

/* Check the entry as a whole. */
static int
check_entry (const struct line_entry *ent, char *why, size_t whylen)
{
  if (ent->export_name == NULL)
    return reason (why, whylen, "\"export\" is missing");
  if (ent->export_name[0] == '\0')
    return reason (why, whylen, "\"export\" must not be empty");
  if (strlen (ent->export_name) > NBDC_MAX_EXPORT_NAME)
    return reason (why, whylen, "\"export\" is longer than %d bytes",
                   NBDC_MAX_EXPORT_NAME);
  if (ent->have_offset != ent->have_count)
    return reason (why, whylen, "a range needs both \"offset\" and "
                   "\"count\"; without both the entry is the whole export");
  if (ent->have_count && ent->count == 0)
    return reason (why, whylen, "\"count\" must not be 0");
  if (ent->have_count && ent->count > INT64_MAX - ent->offset)
    return reason (why, whylen, "offset + count is larger than 2^63-1");
  return 0;
}

/* Parse LINE (LEN bytes, no blanks around it) and add its entry to W,
 * as line number LINENO.  Returns 0, or -1 with a reason in WHY.
 */
static int
parse_entry (struct warm *w, const char *line, size_t len,
             unsigned long lineno, char *why, size_t whylen)
{
  CLEANUP_JSON_PUT struct json_object *obj = NULL;
  struct json_tokener *tok;
  struct line_entry ent = { .export_name = NULL };
  struct nbdc_json_shape text, tree = { .values = 0 };
  struct nbdc_error err;
  enum json_tokener_error jerr;
  size_t end;

  /* What json-c does not check (proto/shape.h), as the daemon does:
   * NUL bytes, UTF-8, raw control characters, lone surrogates, leading
   * zeros; and below, a member given twice, of which it keeps the last.
   */
  if (nbdc_check_json_text ("the line", line, len, &text, &err) == -1)
    return reason (why, whylen, "%s", err.message);
  tok = json_tokener_new ();
  if (tok == NULL)
    out_of_memory ();
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  obj = json_tokener_parse_ex (tok, line, (int) len);
  jerr = json_tokener_get_error (tok);
  end = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);

  if (jerr == json_tokener_continue)
    return reason (why, whylen, "invalid JSON: the object is not complete "
                   "(each entry must be on one line)");
  if (obj == NULL)
    return reason (why, whylen, "invalid JSON: %s",
                   json_tokener_error_desc (jerr));
  if (end < len)
    return reason (why, whylen, "text after the JSON object");
  if (!json_object_is_type (obj, json_type_object))
    return reason (why, whylen, "expected a JSON object, not %s",
                   json_type_to_name (json_object_get_type (obj)));
  nbdc_tree_shape (obj, &tree);
  if (!nbdc_shape_equal (&text, &tree))
    return reason (why, whylen, "a member is given more than once");
  if (get_members (obj, &ent, why, whylen) == -1 ||
      check_entry (&ent, why, whylen) == -1)
    return -1;
  warm_add (w, ent.export_name, !ent.have_count, ent.offset, ent.count,
            lineno);
  return 0;
}

/* Whether C is blank in the sense of the manifest format. */
static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Handle one line read from the manifest: skip blanks and comments,
 * parse the rest.  Returns 0, or -1 with a reason in WHY.
 */
static int
read_line (struct warm *w, const char *line, size_t len,
           unsigned long lineno, char *why, size_t whylen)
{
  while (len > 0 && is_blank (*line)) {
    line++;
    len--;
  }
  while (len > 0 && is_blank (line[len - 1]))
    len--;
  if (len == 0 || line[0] == '#')
    return 0;
  return parse_entry (w, line, len, lineno, why, whylen);
}

/* Read the lines of FP into W's entries, reporting bad ones under
 * NAME: the first MAX_REPORTED, then, if there is another, that we
 * give up.  Returns the number of bad lines reported, or -1 on a read
 * error.
 */
static long
read_lines (FILE *fp, const char *name, struct warm *w)
{
  CLEANUP_FREE char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned long lineno = 0;
  long bad = 0;
  char why[256];

  for (;;) {
    /* getline fails without setting the stream's error flag when it
     * runs out of memory (a huge line): tell that from the end.
     */
    errno = 0;
    len = getline (&line, &cap, fp);
    if (len == -1) {
      if (errno != 0 && !ferror (fp)) {
        error_msg ("%s:%lu: %s", name, lineno + 1, strerror (errno));
        return -1;
      }
      break;
    }
    lineno++;
    /* A byte-order mark that some editors write first: not data. */
    if (lineno == 1 && len >= 3 && memcmp (line, "\xef\xbb\xbf", 3) == 0) {
      memmove (line, line + 3, (size_t) len - 3 + 1);
      len -= 3;
    }
    if (read_line (w, line, (size_t) len, lineno, why, sizeof why) == 0)
      continue;
    if (bad == MAX_REPORTED) {
      error_msg ("%s: too many errors, giving up", name);
      break;
    }
    error_msg ("%s:%lu: %s", name, lineno, why);
    bad++;
  }
  if (ferror (fp)) {
    error_msg ("%s: %s", name, strerror (errno));
    return -1;
  }
  return bad;
}

/* Read the manifest PATH ("-": standard input) into W's entries.
 * Returns 0, or reports every problem (up to MAX_REPORTED) and
 * returns -1; W then holds nothing worth warming.
 */
int
manifest_read (const char *path, struct warm *w)
{
  const char *name = manifest_name (path);
  bool is_stdin = strcmp (path, "-") == 0;
  FILE *fp = is_stdin ? stdin : fopen (path, "r");
  long bad;

  if (fp == NULL) {
    error_msg ("%s: %s", name, strerror (errno));
    return -1;
  }
  bad = read_lines (fp, name, w);
  if (!is_stdin)
    fclose (fp);
  if (bad != 0)
    return -1;
  if (w->entries.len == 0) {
    error_msg ("%s: the manifest lists nothing to warm", name);
    return -1;
  }
  return 0;
}
