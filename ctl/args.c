/* nbdcachectl: parsing the arguments and options of subcommands. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "human-size.h"

/* Parse STR, the argument WHAT of CMD, as a size with an optional
 * K/M/G/T/P/E suffix.  Returns 0, or reports a usage error and
 * returns -1.
 */
int
parse_size_arg (const struct command *cmd, const char *what,
                const char *str, uint64_t *size)
{
  const char *error;

  if (parse_human_size (str, size, &error) == -1) {
    usage_error (cmd, "%s '%s': %s", what, str, error);
    return -1;
  }
  return 0;
}

/* Parse STR, the argument WHAT of CMD, as a decimal integer in
 * [MIN, MAX].  Returns 0, or reports a usage error and returns -1.
 */
int
parse_count_arg (const struct command *cmd, const char *what,
                 const char *str, unsigned min, unsigned max, unsigned *n)
{
  char *end = NULL;
  unsigned long v = 0;

  /* strtoul alone would take " 8", "+8" and "-8". */
  errno = 0;
  if (isdigit ((unsigned char) str[0]))
    v = strtoul (str, &end, 10);
  if (end == NULL || *end != '\0' || errno != 0 || v < min || v > max) {
    usage_error (cmd, "%s '%s': expected a number from %u to %u",
                 what, str, min, max);
    return -1;
  }
  *n = (unsigned) v;
  return 0;
}

/* The largest --timeout: about 31 years, and far from time_t's limit. */
#define MAX_SECONDS 1e9

/* Parse STR, the argument WHAT of CMD (NULL for a global option), as
 * a number of seconds above 0, with an optional fraction: "5", "0.5".
 * Returns 0, or reports a usage error and returns -1.
 */
int
parse_seconds_arg (const struct command *cmd, const char *what,
                   const char *str, double *seconds)
{
  size_t digits = strspn (str, "0123456789");
  const char *end = str + digits;
  double v;

  /* Digits with at most one ".": strtod alone would also take " 5",
   * "+5", "5e3", "0x5", "inf" and "nan".
   */
  if (*end == '.') {
    size_t fraction = strspn (end + 1, "0123456789");

    digits += fraction;
    end += 1 + fraction;
  }
  if (digits == 0 || *end != '\0') {
    usage_error (cmd, "%s '%s': expected a number of seconds, such as 10 "
                 "or 0.5", what, str);
    return -1;
  }
  v = strtod (str, NULL);
  if (v <= 0) {
    usage_error (cmd, "%s '%s': must be more than 0", what, str);
    return -1;
  }
  if (v > MAX_SECONDS) {
    usage_error (cmd, "%s '%s': must be at most %.0f seconds",
                 what, str, MAX_SECONDS);
    return -1;
  }
  *seconds = v;
  return 0;
}

/* getopt takes an operand such as "-1" (a negative OFFSET) for
 * options ("invalid option -- '1'").  No option is a digit, so
 * option parsing ends before the first such argument, and the
 * operand's own parser says what is wrong with it.  Returns how many
 * of ARGV getopt may see.
 */
static int
options_end (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--") == 0)
      break;
    if (argv[i][0] == '-' && isdigit ((unsigned char) argv[i][1]))
      return i;
  }
  return argc;
}

/* Parse the options of a subcommand that has none but --help.
 * Returns KEEP_GOING with optind at the first operand (the operands
 * are argv[optind] to argv[argc - 1]), or an exit status.  The caller
 * has reset optind.
 */
int
parse_no_options (const struct command *cmd, int argc, char **argv)
{
  static const struct option long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  int nargs = options_end (argc, argv);
  int c;

  while ((c = getopt_long (nargs, argv, "h", long_options, NULL)) != -1) {
    if (c != 'h')
      return try_help (cmd);
    command_help (cmd);
    return EXIT_SUCCESS;
  }
  return KEEP_GOING;
}
