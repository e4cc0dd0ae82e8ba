/* nbdcached: reading a configuration file one whole line at a time,
 * for inih.  See config-feed.c.
 */
#ifndef NBDCACHED_CONFIG_FEED_H
#define NBDCACHED_CONFIG_FEED_H

#include <stdbool.h>
#include <stdio.h>

struct config_feed {
  FILE *fp;
  char *line;                   /* the current line, whole, no newline */
  size_t cap;
  int lineno;                   /* of the current line, from 1 */
  char *section;                /* the current section's name, or NULL */
  int section_lineno;           /* the line it starts on */
  bool is_section;              /* the current line is a section header */
  bool long_line;               /* inih got a stand-in for it */
  int read_errno;               /* set if reading failed */
};

extern void config_feed_init (struct config_feed *f, FILE *fp);
extern void config_feed_free (struct config_feed *f);
extern bool config_feed_next (struct config_feed *f);
extern char *config_feed_inih_reader (char *str, int num, void *opaque);
extern char *config_feed_long_value (const struct config_feed *f);

#endif /* NBDCACHED_CONFIG_FEED_H */
