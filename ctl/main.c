/* nbdcachectl: global options and dispatch to a subcommand. */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The -s option, or NULL for libnbdcache's default socket. */
const char *socket_path;

static const struct command *const commands[] = {
  &exports_command,
  &cache_command,
  &warm_command,
  &stats_command,
  &clients_command,
  &pause_command,
  &resume_command,
  &reload_command,
};
#define NR_COMMANDS (sizeof commands / sizeof commands[0])

/* " SYNOPSIS", or "" for a command without arguments. */
static const char *
synopsis_sep (const struct command *cmd)
{
  return cmd->synopsis[0] ? " " : "";
}

/* The length of "NAME SYNOPSIS", as the main --help lists it. */
static int
synopsis_len (const struct command *cmd)
{
  return (int) (strlen (cmd->name) + strlen (synopsis_sep (cmd)) +
                strlen (cmd->synopsis));
}

static void
usage (void)
{
  int width = 0;

  printf ("Usage: " PROGRAM_NAME " [-s PATH] [-t SECONDS] COMMAND [ARGS]\n"
          "\n"
          "Control nbdcached, the NBD connection-pooling cache daemon.\n"
          "\n"
          "Options:\n"
          "  -s, --socket PATH      connect to the daemon at PATH\n"
          "  -t, --timeout SECONDS  wait for the daemon no longer than\n"
          "                         SECONDS in all (such as 10 or 0.5),\n"
          "                         else exit 124\n"
          "  -h, --help             print this help and exit\n"
          "  -V, --version          print the version and exit\n"
          "\n"
          "Commands:\n");
  for (size_t i = 0; i < NR_COMMANDS; i++)
    if (synopsis_len (commands[i]) > width)
      width = synopsis_len (commands[i]);
  for (size_t i = 0; i < NR_COMMANDS; i++)
    printf ("  %s%s%s%*s  %s\n", commands[i]->name,
            synopsis_sep (commands[i]), commands[i]->synopsis,
            width - synopsis_len (commands[i]), "", commands[i]->summary);
  printf ("\n"
          "Commands marked (admin) are for root and the daemon's user.\n"
          "Sizes take K, M, G, T, P or E suffixes (powers of 1024).\n"
          "Run '" PROGRAM_NAME " COMMAND --help' for a command's options;\n"
          "see nbdcachectl(1) for more.\n");
}

/* Print the --help text of one subcommand on stdout. */
void
command_help (const struct command *cmd)
{
  printf ("Usage: " PROGRAM_NAME " [-s PATH] [-t SECONDS] %s%s%s\n\n%s.\n",
          cmd->name, synopsis_sep (cmd), cmd->synopsis, cmd->summary);
  if (cmd->options)
    printf ("\nOptions:\n%s", cmd->options);
}

static const struct command *
find_command (const char *name)
{
  for (size_t i = 0; i < NR_COMMANDS; i++)
    if (strcmp (commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

/* Parse the options before the command.  Returns KEEP_GOING with
 * optind at the command, or an exit status.
 */
static int
parse_global_options (int argc, char **argv)
{
  static const struct option long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "socket", required_argument, NULL, 's' },
    { "timeout", required_argument, NULL, 't' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
  };
  double seconds;
  int c;

  /* "+": stop at the command, whose options are its own. */
  while ((c = getopt_long (argc, argv, "+hs:t:V", long_options, NULL)) != -1) {
    switch (c) {
    case 'h':
      usage ();
      return EXIT_SUCCESS;
    case 's':
      if (*optarg == '\0')
        return usage_error (NULL, "--socket: the path is empty");
      socket_path = optarg;
      break;
    case 't':
      if (parse_seconds_arg (NULL, "--timeout", optarg, &seconds) == -1)
        return EXIT_USAGE;
      deadline_set (seconds);
      break;
    case 'V':
      printf ("%s %s\n", PROGRAM_NAME, PACKAGE_VERSION);
      return EXIT_SUCCESS;
    default:
      return try_help (NULL);
    }
  }
  if (optind >= argc)
    return usage_error (NULL, "no command given");
  return KEEP_GOING;
}

/* Run CMD on argv[0..argc-1], argv[0] being the command's name.  The
 * name is replaced by "nbdcachectl: NAME", so that getopt's messages
 * look like usage_error's.
 */
static int
run_command (const struct command *cmd, int argc, char **argv)
{
  char *name;
  int r;

  if (asprintf (&name, "%s: %s", PROGRAM_NAME, cmd->name) == -1)
    out_of_memory ();
  argv[0] = name;
  r = cmd->run (cmd, argc, argv);
  free (name);
  return r;
}

/* Exit with status R, or with failure if what was written to standard
 * output (--help, --version, a command's output) did not all get
 * there, for example to a full disk.
 */
static void __attribute__ ((noreturn))
finish (int r)
{
  if (fflush (stdout) == EOF || ferror (stdout)) {
    error_msg ("write error on standard output");
    r = EXIT_FAILURE;
  }
  exit (r);
}

int
main (int argc, char *argv[])
{
  const struct command *cmd;
  int r;

  /* getopt prefixes its messages with argv[0]. */
  argv[0] = (char *) PROGRAM_NAME;
  r = parse_global_options (argc, argv);
  if (r != KEEP_GOING)
    finish (r);

  cmd = find_command (argv[optind]);
  if (cmd == NULL)
    finish (usage_error (NULL, "unknown command '%s'", argv[optind]));

  finish (run_command (cmd, argc - optind, &argv[optind]));
}
