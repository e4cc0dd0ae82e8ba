/* nbdcached: reading a configuration file one whole line at a time.
 *
 * inih, as Debian builds it (libinih 55), reads each line into a
 * 200-byte buffer, keeps at most 49 bytes of a section name, and does
 * not tell its handler which line it is on.  A URI or an allow-users
 * list can be longer than 200 bytes, and an export name up to 255.
 * So inih does not read the file itself: it reads through
 * config_feed_inih_reader, which reads whole lines with getline(3)
 * and hands inih
 *  - a section header as "[s]" (the handler takes the real name from
 *    the feed);
 *  - a key line too long for inih's buffer as its "key =" part and a
 *    stand-in value (the handler takes the real value from
 *    config_feed_long_value, which applies inih's rules to the line);
 *  - every other line as it is.
 * inih calls its handler for a line before it reads the next one, so
 * during a handler call the feed holds that line, its number and its
 * section.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-feed.h"

void
config_feed_init (struct config_feed *f, FILE *fp)
{
  memset (f, 0, sizeof *f);
  f->fp = fp;
}

void
config_feed_free (struct config_feed *f)
{
  free (f->line);
  free (f->section);
  f->line = f->section = NULL;
  f->cap = 0;
}

/* The first character of S that is in CHARS, or that starts an
 * inline comment (";" after a blank), or S's end: inih's rule.
 */
static char *
scan_to (char *s, const char *chars)
{
  bool was_space = false;

  while (*s && !strchr (chars, *s) && !(was_space && *s == ';')) {
    was_space = isspace ((unsigned char) *s);
    s++;
  }
  return s;
}

/* Where the text of the current line starts: after a UTF-8 BOM on the
 * first line (inih skips one) and leading blanks.
 */
static char *
line_start (const struct config_feed *f)
{
  char *p = f->line;

  if (f->lineno == 1 && strncmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  return p + strspn (p, " \t\r\f\v");
}

/* Read the next line into F.  A section header, "[NAME]" with
 * anything after the "]", becomes F's current section.  Returns false
 * at the end of the file, or on an error with read_errno set.
 */
bool
config_feed_next (struct config_feed *f)
{
  ssize_t n;
  char *p, *end;

  errno = 0;
  n = getline (&f->line, &f->cap, f->fp);
  if (n == -1) {
    /* Not ferror: glibc's getline fails for want of memory without
     * setting the stream's error flag, which would pass for the end.
     */
    if (!feof (f->fp))
      f->read_errno = errno ? errno : EIO;
    return false;
  }
  f->lineno++;
  while (n > 0 && (f->line[n - 1] == '\n' || f->line[n - 1] == '\r'))
    f->line[--n] = '\0';
  f->is_section = false;
  p = line_start (f);
  if (*p != '[')
    return true;
  end = scan_to (p + 1, "]");
  if (*end != ']')
    return true;                /* inih reports it */
  free (f->section);
  f->section = strndup (p + 1, (size_t) (end - p - 1));
  if (f->section == NULL) {
    f->read_errno = ENOMEM;
    return false;
  }
  f->section_lineno = f->lineno;
  f->is_section = true;
  return true;
}

/* inih's reader (ini_reader): the next line, or the stand-in described
 * at the top of this file, in STR of NUM bytes.  NULL at the end.
 */
char *
config_feed_inih_reader (char *str, int num, void *opaque)
{
  struct config_feed *f = opaque;
  size_t len, key_len;
  char *p, *eq;

  if (num < 4 || !config_feed_next (f))
    return NULL;
  f->long_line = false;
  if (f->is_section) {
    strcpy (str, "[s]");
    return str;
  }
  len = strlen (f->line);
  if (len < (size_t) num) {
    memcpy (str, f->line, len + 1);
    return str;
  }
  f->long_line = true;
  p = line_start (f);
  if (*p == ';' || *p == '#') {
    strcpy (str, ";");
    return str;
  }
  eq = scan_to (p, "=:");
  key_len = (size_t) (eq - f->line) + 1;
  if (*eq == '\0' || *eq == ';' || key_len + 2 > (size_t) num) {
    /* No "key =": the syntax error inih would report. */
    strcpy (str, "?");
    return str;
  }
  memcpy (str, f->line, key_len);
  strcpy (str + key_len, "-");
  return str;
}

/* The value on the current line, a key line too long for inih, by
 * inih's rules: after the first "=" or ":", up to an inline comment,
 * without the blanks around it.  Points into (and cuts) F's line.
 */
char *
config_feed_long_value (const struct config_feed *f)
{
  char *v = scan_to (line_start (f), "=:") + 1;
  char *end = scan_to (v, "");

  while (end > v && isspace ((unsigned char) end[-1]))
    end--;
  *end = '\0';
  while (isspace ((unsigned char) *v))
    v++;
  return v;
}
