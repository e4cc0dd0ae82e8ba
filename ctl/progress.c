/* nbdcachectl: the progress bar of "warm", on stderr.
 *
 *   [#############                 ]  45%  460M/1.0G  120M/s
 *
 * The line is redrawn in place with a carriage return, at most
 * REDRAW_INTERVAL apart, and padded with blanks over a longer
 * previous line.  It stays under 60 columns.  The rate is the average
 * since the start.  The caller decides whether to show it at all
 * (only on a terminal); a disabled bar prints nothing.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "human-size.h"

#define BAR_WIDTH 30
#define REDRAW_INTERVAL 0.1     /* seconds */

/* Set up P for TOTAL bytes; a bar not ENABLED stays silent. */
void
progress_init (struct progress *p, bool enabled, uint64_t total)
{
  p->enabled = enabled;
  p->total = total;
  p->last_draw = -1;
  p->last_len = 0;
}

/* Redraw the line now, whatever the time since the last draw. */
static void
draw (struct progress *p, uint64_t done, double elapsed)
{
  double frac = p->total > 0 ? (double) done / (double) p->total : 1.0;
  double rate = elapsed > 0 ? (double) done / elapsed : 0;
  char bar[BAR_WIDTH + 1], line[128];
  char done_s[HUMAN_SIZE_LEN], total_s[HUMAN_SIZE_LEN], rate_s[HUMAN_SIZE_LEN];
  size_t fill;
  int len;

  if (frac > 1.0)
    frac = 1.0;
  fill = (size_t) (frac * BAR_WIDTH);
  memset (bar, '#', fill);
  memset (bar + fill, ' ', BAR_WIDTH - fill);
  bar[BAR_WIDTH] = '\0';

  len = snprintf (line, sizeof line, "[%s] %3u%%  %s/%s  %s/s", bar,
                  (unsigned) (frac * 100),
                  format_human_size (done, done_s, sizeof done_s),
                  format_human_size (p->total, total_s, sizeof total_s),
                  format_human_size ((uint64_t) rate, rate_s, sizeof rate_s));
  if (len < 0)
    return;
  if ((size_t) len >= sizeof line)
    len = sizeof line - 1;

  /* One write, so that the terminal never shows half a line. */
  fprintf (stderr, "\r%s%*s", line,
           len < p->last_len ? p->last_len - len : 0, "");
  deadline_mid_line (true);
  if (len > p->last_len)
    p->last_len = len;
  p->last_draw = elapsed;
}

/* Show that DONE bytes are warm after ELAPSED seconds, unless the
 * bar was drawn less than REDRAW_INTERVAL ago.
 */
void
progress_update (struct progress *p, uint64_t done, double elapsed)
{
  if (!p->enabled)
    return;
  if (p->last_draw >= 0 && elapsed - p->last_draw < REDRAW_INTERVAL)
    return;
  draw (p, done, elapsed);
}

/* Draw the final state and end the line, so that what follows on
 * stderr starts on a line of its own.
 */
void
progress_finish (struct progress *p, uint64_t done, double elapsed)
{
  if (!p->enabled)
    return;
  draw (p, done, elapsed);
  fputc ('\n', stderr);
  deadline_mid_line (false);
}
