/* nbdcached tests: nbdc_decode_request resets every member a caller
 * reads, on both paths, even in a struct that still holds an earlier
 * request or garbage.  The decoder no longer zeroes the whole struct
 * (its strings buffer is left alone), so a member an op does not set,
 * such as "flags" or "client" when absent, must still come out 0 or
 * NULL.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec-compare.h"

#define TEST_KEEP_GOING
#include "test-util.h"

static const char *const lines[] = {
  "{\"op\":\"cache\",\"id\":7,\"export\":\"disk\",\"offset\":4096,"
  "\"count\":512,\"flags\":1}",
  "{\"op\":\"cache\",\"id\":8,\"export\":\"d\",\"offset\":0,\"count\":1}",
  "{\"op\":\"hello\",\"id\":1,\"version\":2,\"client\":\"me\"}",
  "{\"op\":\"hello\",\"id\":2,\"version\":1}",
  "{\"op\":\"pause\",\"id\":3,\"export\":\"disk\"}",
  "{\"op\":\"stats\",\"id\":4}",
  "{\"op\":\"cache\",\"id\":9,\"export\":\"d\",\"offset\":0,\"count\":1,"
  "\"bogus\":1}",                                   /* fails: unknown */
  "{\"op\":\"cache\",\"export\":\"d\",\"offset\":0,\"count\":1}", /* no id */
  "{\"op\":\"nosuch\",\"id\":5}",
};
#define NR_LINES (sizeof lines / sizeof lines[0])

/* Decode LINE into REUSED, which holds whatever it held, and into a
 * zeroed struct, with the fast path on or off; compare what callers
 * read.
 */
static void
check (const char *line, struct nbdc_request *reused, bool fast)
{
  struct nbdc_request fresh;
  struct nbdc_error e1, e2;
  int r1, r2;

  memset (&fresh, 0, sizeof fresh);
  nbdc_fastpath_disabled = !fast;
  r1 = nbdc_decode_request (line, strlen (line), reused, &e1);
  r2 = nbdc_decode_request (line, strlen (line), &fresh, &e2);
  nbdc_fastpath_disabled = false;

  if (r1 != r2 || reused->op != fresh.op || reused->id != fresh.id)
    TEST_FAIL ("%s (fast %d): %d/%d op %d/%d id %llu/%llu", line, fast,
               r1, r2, reused->op, fresh.op,
               (unsigned long long) reused->id,
               (unsigned long long) fresh.id);
  else if (r1 == 0) {
    if (!same_request (reused, &fresh))
      TEST_FAIL ("%s (fast %d): a reused struct decodes differently",
                 line, fast);
    if ((reused->root == NULL) != (fresh.root == NULL))
      TEST_FAIL ("%s (fast %d): the paths differ", line, fast);
  }
  if (r1 == 0)
    nbdc_request_free (reused);
  if (r2 == 0)
    nbdc_request_free (&fresh);
}

int
main (void)
{
  struct nbdc_request reused;

  for (int fast = 0; fast <= 1; fast++) {
    memset (&reused, 0xa5, sizeof reused);
    reused.root = NULL;
    /* Each line after every other, so that each starts from the
     * leftovers of each.
     */
    for (size_t i = 0; i < NR_LINES; i++)
      for (size_t j = 0; j < NR_LINES; j++) {
        check (lines[i], &reused, fast);
        check (lines[j], &reused, fast);
      }
  }
  return TEST_EXIT_STATUS;
}
