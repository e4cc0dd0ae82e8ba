/* nbdcachectl: the "cache" command, warming one range synchronously. */
#include <config.h>

#include <stdlib.h>

#include "ctl.h"
#include "protocol.h"

static const char *const cache_operands[] = {
  "EXPORT", "OFFSET", "COUNT", NULL
};

static int
run_cache (const struct command *cmd, int argc, char **argv)
{
  struct nbdcache_handle *h;
  struct operands ops;
  const char *export_name;
  uint64_t offset, count;
  int r;

  r = parse_args (cmd, argc, argv, NULL, NULL, NULL, &ops);
  if (r == KEEP_GOING)
    r = expect_operands (cmd, &ops, cache_operands);
  if (r != KEEP_GOING)
    return r;
  export_name = ops.arg[0];
  if (parse_size_arg (cmd, "OFFSET", ops.arg[1], &offset) == -1 ||
      parse_size_arg (cmd, "COUNT", ops.arg[2], &count) == -1)
    return EXIT_USAGE;
  /* What no export could accept is a usage error, daemon or not (an
   * empty EXPORT: expect_operands).
   */
  if (count == 0)
    return usage_error (cmd, "COUNT must not be 0");
  if (offset > NBDC_MAX_INTEGER || count > NBDC_MAX_INTEGER - offset)
    return usage_error (cmd, "OFFSET + COUNT is larger than 2^63-1");

  h = connect_daemon (export_name);
  if (h == NULL)
    return EXIT_FAILURE;
  r = EXIT_SUCCESS;
  deadline_waiting_for ("waiting for the daemon to warm %s", export_name);
  if (nbdcache_cache (h, count, offset, 0) == -1)
    r = library_error ();
  disconnect_daemon (h);
  return r;
}

const struct command cache_command = {
  .name = "cache",
  .synopsis = "EXPORT OFFSET COUNT",
  .summary = "Warm COUNT bytes from OFFSET and wait until done",
  .options = HELP_OPTION,
  .run = run_cache,
};
