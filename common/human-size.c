/* nbdcached: parse and print sizes with binary suffixes. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "human-size.h"

static const char suffixes[] = "KMGTPE";

int
parse_human_size (const char *str, uint64_t *size, const char **error)
{
  char *end;
  unsigned long long n;
  unsigned shift = 0;

  if (!isdigit ((unsigned char) str[0])) {
    *error = str[0] == '-' && isdigit ((unsigned char) str[1]) ?
      "must not be negative" : "not a number";
    return -1;
  }
  errno = 0;
  n = strtoull (str, &end, 10);
  if (errno == ERANGE) {
    *error = "too large";
    return -1;
  }
  if (*end == '.') {
    *error = "not a whole number (a size is digits with an optional "
      "suffix K, M, G, T, P or E)";
    return -1;
  }
  if (*end != '\0') {
    const char *p = NULL;
    for (size_t i = 0; suffixes[i]; i++)
      if (toupper ((unsigned char) *end) == suffixes[i])
        p = &suffixes[i];
    if (p != NULL) {
      shift = 10 * (unsigned) (p - suffixes + 1);
      end++;
      if (strcasecmp (end, "iB") == 0 || strcasecmp (end, "B") == 0)
        end += strlen (end);
    }
    else if (strcasecmp (end, "B") == 0)
      end++;
    if (*end != '\0') {
      *error = "unknown suffix (use K, M, G, T, P or E)";
      return -1;
    }
  }
  if (shift > 0 && n > (UINT64_MAX >> shift)) {
    *error = "too large";
    return -1;
  }
  *size = (uint64_t) n << shift;
  return 0;
}

char *
format_human_size (uint64_t size, char *buf, size_t len)
{
  int i = -1;
  double d = (double) size;

  while (d >= 1024.0 && i < 5) {
    d /= 1024.0;
    i++;
  }
  /* 1023.5M and up would print as "1024M": say "1.0G". */
  if (i >= 0 && i < 5 && d >= 1023.5) {
    d /= 1024.0;
    i++;
  }
  if (i < 0)
    snprintf (buf, len, "%llu", (unsigned long long) size);
  else if (d < 10.0 && size % (1ULL << (10 * (i + 1))) != 0)
    snprintf (buf, len, "%.1f%c", d, suffixes[i]);
  else
    snprintf (buf, len, "%.0f%c", d, suffixes[i]);
  return buf;
}
