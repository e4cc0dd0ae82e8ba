/* nbdcached: run the fuzz target over files without libFuzzer.
 *
 * Usage: fuzz-replay FILE...  Exits 0 when every input was handled
 * without a crash or a failed assertion (the target aborts on those).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    FILE *fp = fopen (argv[i], "rb");
    uint8_t buf[70000];
    size_t n;

    if (fp == NULL) {
      perror (argv[i]);
      return 1;
    }
    n = fread (buf, 1, sizeof buf, fp);
    fclose (fp);
    LLVMFuzzerTestOneInput (buf, n);
  }
  printf ("fuzz-replay: %d inputs OK\n", argc - 1);
  return 0;
}
