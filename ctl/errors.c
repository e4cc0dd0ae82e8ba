/* nbdcachectl: reporting errors on stderr. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

/* Point the user to --help, of CMD or (CMD == NULL) of the program.
 * Returns EXIT_USAGE, for "return try_help (cmd);".
 */
int
try_help (const struct command *cmd)
{
  fprintf (stderr, "Try '%s%s%s --help' for more information.\n",
           PROGRAM_NAME, cmd ? " " : "", cmd ? cmd->name : "");
  return EXIT_USAGE;
}

/* Report a usage error of CMD (or of the global options when CMD is
 * NULL) and point to --help.  Returns EXIT_USAGE.
 */
int
usage_error (const struct command *cmd, const char *fs, ...)
{
  va_list args;

  fprintf (stderr, "%s: ", PROGRAM_NAME);
  if (cmd)
    fprintf (stderr, "%s: ", cmd->name);
  va_start (args, fs);
  vfprintf (stderr, fs, args);
  va_end (args);
  fputc ('\n', stderr);
  return try_help (cmd);
}

/* Print "nbdcachectl: MESSAGE" on stderr. */
void
error_msg (const char *fs, ...)
{
  va_list args;

  fprintf (stderr, "%s: ", PROGRAM_NAME);
  va_start (args, fs);
  vfprintf (stderr, fs, args);
  va_end (args);
  fputc ('\n', stderr);
}

/* The calling thread's last libnbdcache error, which already names
 * the failed call.  Borrowed from the library.
 */
const char *
library_error_text (void)
{
  const char *msg = nbdcache_get_error ();

  return msg ? msg : "unknown error in libnbdcache";
}

/* Report library_error_text.  Returns EXIT_FAILURE. */
int
library_error (void)
{
  error_msg ("%s", library_error_text ());
  return EXIT_FAILURE;
}

void
out_of_memory (void)
{
  error_msg ("out of memory");
  exit (EXIT_FAILURE);
}
