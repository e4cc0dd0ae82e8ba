/* nbdcachectl: a small printer of column-aligned tables.
 *
 * Cells are added row by row, left to right; a table has no special
 * header, its first row is simply printed first.  Columns are two
 * spaces apart, left-aligned unless table_align_right was called, and
 * lines carry no trailing blanks.  Widths count UTF-8 characters, not
 * bytes, so that a name like "café" lines up with ASCII ones (a wide
 * character, as in CJK, still counts as one column).
 *
 * On ENOMEM these functions exit through out_of_memory: a CLI has
 * nothing better to do, and callers stay free of error paths.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Start an empty table of NCOLS columns; table_free releases it. */
void
table_init (struct table *t, size_t ncols)
{
  t->ncols = ncols;
  t->cells = (string_vector) { .ptr = NULL };
  t->right = calloc (ncols ? ncols : 1, sizeof *t->right);
  if (t->right == NULL)
    out_of_memory ();
}

void
table_align_right (struct table *t, size_t col)
{
  if (col < t->ncols)
    t->right[col] = true;
}

/* Add CELL, which the table now owns and frees. */
void
table_add_owned (struct table *t, char *cell)
{
  if (string_vector_append (&t->cells, cell) == -1)
    out_of_memory ();
}

/* Add a copy of CELL; NULL adds "-", the mark of a missing value. */
void
table_add (struct table *t, const char *cell)
{
  char *copy = strdup (cell ? cell : "-");

  if (copy == NULL)
    out_of_memory ();
  table_add_owned (t, copy);
}

void
table_addf (struct table *t, const char *fs, ...)
{
  va_list args;
  char *cell;
  int r;

  va_start (args, fs);
  r = vasprintf (&cell, fs, args);
  va_end (args);
  if (r == -1)
    out_of_memory ();
  table_add_owned (t, cell);
}

/* The width of the UTF-8 text S: its characters, not its bytes. */
static size_t
text_width (const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    if (((unsigned char) *s & 0xc0) != 0x80)
      n++;
  return n;
}

/* The width of each column, in a new array of t->ncols sizes. */
static size_t *
column_widths (const struct table *t)
{
  size_t *widths = calloc (t->ncols ? t->ncols : 1, sizeof *widths);

  if (widths == NULL)
    out_of_memory ();
  for (size_t i = 0; i < t->cells.len; i++) {
    size_t len = text_width (t->cells.ptr[i]);

    if (len > widths[i % t->ncols])
      widths[i % t->ncols] = len;
  }
  return widths;
}

/* Print the N cells of ROW, padded to WIDTHS. */
static void
print_row (const struct table *t, const size_t *widths,
           char *const *row, size_t n, FILE *fp)
{
  for (size_t col = 0; col < n; col++) {
    int pad = (int) (widths[col] - text_width (row[col]));
    bool last = col == n - 1;

    if (col > 0)
      fputs ("  ", fp);
    if (t->right[col])
      fprintf (fp, "%*s%s", pad, "", row[col]);
    else
      fprintf (fp, "%s%*s", row[col], last ? 0 : pad, "");
  }
  fputc ('\n', fp);
}

/* Print the table on FP.  A last, incomplete row is printed as far as
 * it goes.
 */
void
table_print (const struct table *t, FILE *fp)
{
  size_t *widths;

  if (t->ncols == 0)
    return;
  widths = column_widths (t);
  for (size_t i = 0; i < t->cells.len; i += t->ncols) {
    size_t n = t->cells.len - i < t->ncols ? t->cells.len - i : t->ncols;

    print_row (t, widths, &t->cells.ptr[i], n, fp);
  }
  free (widths);
}

void
table_free (struct table *t)
{
  for (size_t i = 0; i < t->cells.len; i++)
    free (t->cells.ptr[i]);
  string_vector_reset (&t->cells);
  free (t->right);
  t->right = NULL;
}
