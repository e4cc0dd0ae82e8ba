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

/* The options of a subcommand that has none but --help. */
static const struct option help_only_options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 }
};

/* Whether ARG is an operand, where getopt would see an option: "-"
 * (standard input) or a negative number ("-1", "-5M"), which no option
 * of nbdcachectl looks like (none is a digit).  The operand's own
 * parser then says what is wrong with a negative number.
 */
static bool
is_operand (const char *arg)
{
  return arg[0] != '-' || arg[1] == '\0' ||
    isdigit ((unsigned char) arg[1]);
}

/* Note ARG as the next operand of OPS. */
static void
add_operand (struct operands *ops, const char *arg)
{
  if (ops->n < sizeof ops->arg / sizeof ops->arg[0])
    ops->arg[ops->n] = arg;
  ops->n++;
}

/* Parse the arguments of CMD, options and operands in any order, up to
 * "--" after which all are operands.  LONG_OPTIONS (NULL: --help only)
 * must have {"help", no_argument, NULL, 'h'}; the only short option is
 * -h.  --help prints CMD's help at once, wherever it is, so it wins
 * over any mistake in the arguments but an unknown option before it.
 * Every other option goes to ON_OPTION with getopt's code and
 * argument (borrowed from ARGV) and OPTS, to be noted: checking values
 * is for the caller, after this, so that --help after a bad value
 * still helps.  The operands are noted in OPS in order.  Returns
 * KEEP_GOING, or an exit status (getopt has reported a bad option).
 */
int
parse_args (const struct command *cmd, int argc, char **argv,
            const struct option *long_options, option_fn on_option,
            void *opts, struct operands *ops)
{
  int c;

  if (long_options == NULL)
    long_options = help_only_options;
  ops->n = 0;
  /* With optind 0, glibc also forgets the state of an earlier parse;
   * with argc 1 this call parses nothing.  "+": getopt stops at
   * operands, which the loop takes, so that it never takes a negative
   * number for options.
   */
  optind = 0;
  getopt_long (1, argv, "+h", long_options, NULL);
  while (optind < argc) {
    if (strcmp (argv[optind], "--") == 0) {
      while (++optind < argc)
        add_operand (ops, argv[optind]);
      break;
    }
    if (is_operand (argv[optind])) {
      add_operand (ops, argv[optind++]);
      continue;
    }
    c = getopt_long (argc, argv, "+h", long_options, NULL);
    if (c == 'h') {
      command_help (cmd);
      return EXIT_SUCCESS;
    }
    /* -1 cannot happen at an option; it would loop for ever. */
    if (c == '?' || c == -1)
      return try_help (cmd);
    on_option (c, optarg, opts);
  }
  return KEEP_GOING;
}

/* Check that OPS are the operands NAMES (NULL-terminated) of CMD, no
 * fewer and no more: report the first one missing or the first extra
 * one.  An EXPORT operand must not be empty: no export has that name,
 * daemon or not.  Returns KEEP_GOING, or EXIT_USAGE after the report.
 */
int
expect_operands (const struct command *cmd, const struct operands *ops,
                 const char *const *names)
{
  size_t n = 0;

  while (names[n] != NULL)
    n++;
  if (ops->n < n)
    return usage_error (cmd, "missing %s", names[ops->n]);
  if (ops->n > n)
    return usage_error (cmd, "unexpected argument '%s'", ops->arg[n]);
  for (size_t i = 0; i < n; i++)
    if (strcmp (names[i], "EXPORT") == 0 && ops->arg[i][0] == '\0')
      return usage_error (cmd, "EXPORT must not be empty");
  return KEEP_GOING;
}
