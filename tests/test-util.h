/* nbdcached tests: tiny assertion macros shared by the C tests.
 *
 * Every failed check prints file:line, the function and the failed
 * expression (with the values where the macro knows them), then
 * exits 1 so that the harness reports the test as failed.  Safe to
 * use from any thread.
 */
#ifndef NBDCACHED_TESTS_TEST_UTIL_H
#define NBDCACHED_TESTS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A test of pure functions may define TEST_KEEP_GOING before including
 * this file: failures are then counted, the test carries on to report
 * them all, and main returns TEST_EXIT_STATUS.
 */
#ifdef TEST_KEEP_GOING
static int test_failures;
#define TEST_FAILED_() (test_failures++)
#define TEST_EXIT_STATUS (test_failures ? EXIT_FAILURE : EXIT_SUCCESS)
#else
#define TEST_FAILED_() exit (EXIT_FAILURE)
#endif

#define TEST_FAIL(fmt, ...)                                            \
  do {                                                                 \
    fprintf (stderr, "%s:%d: %s: FAIL: " fmt "\n",                     \
             __FILE__, __LINE__, __func__, ##__VA_ARGS__);             \
    fflush (stderr);                                                   \
    TEST_FAILED_ ();                                                   \
  } while (0)

/* CHECK (cond): fail unless COND is true. */
#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond))                                                       \
      TEST_FAIL ("check failed: %s", #cond);                           \
  } while (0)

/* CHECK_INT (a, op, b): compare two integers, printing both. */
#define CHECK_INT(a, op, b)                                            \
  do {                                                                 \
    long long ci_a_ = (long long) (a), ci_b_ = (long long) (b);        \
    if (!(ci_a_ op ci_b_))                                             \
      TEST_FAIL ("check failed: %s %s %s (%lld %s %lld)",              \
                 #a, #op, #b, ci_a_, #op, ci_b_);                      \
  } while (0)

/* CHECK_U64 (a, op, b): the same for unsigned 64 bit values. */
#define CHECK_U64(a, op, b)                                            \
  do {                                                                 \
    unsigned long long cu_a_ = (unsigned long long) (a);               \
    unsigned long long cu_b_ = (unsigned long long) (b);               \
    if (!(cu_a_ op cu_b_))                                             \
      TEST_FAIL ("check failed: %s %s %s (%llu %s %llu)",              \
                 #a, #op, #b, cu_a_, #op, cu_b_);                      \
  } while (0)

/* CHECK_STR (a, b): two C strings are equal (NULL counts as "(null)"). */
#define CHECK_STR(a, b)                                                \
  do {                                                                 \
    const char *cs_a_ = (a), *cs_b_ = (b);                             \
    if (cs_a_ == NULL || cs_b_ == NULL || strcmp (cs_a_, cs_b_) != 0)  \
      TEST_FAIL ("check failed: %s == %s\n  got:      \"%s\"\n"        \
                 "  expected: \"%s\"", #a, #b,                         \
                 cs_a_ ? cs_a_ : "(null)", cs_b_ ? cs_b_ : "(null)");  \
  } while (0)

/* CHECK_PREFIX (s, prefix): S starts with PREFIX. */
#define CHECK_PREFIX(s, prefix)                                        \
  do {                                                                 \
    const char *cp_s_ = (s), *cp_p_ = (prefix);                        \
    if (cp_s_ == NULL || strncmp (cp_s_, cp_p_, strlen (cp_p_)) != 0)  \
      TEST_FAIL ("check failed: %s starts with \"%s\"\n  got: \"%s\"", \
                 #s, cp_p_, cp_s_ ? cp_s_ : "(null)");                 \
  } while (0)

/* CHECK_CONTAINS (s, needle): S contains NEEDLE. */
#define CHECK_CONTAINS(s, needle)                                      \
  do {                                                                 \
    const char *cc_s_ = (s), *cc_n_ = (needle);                        \
    if (cc_s_ == NULL || strstr (cc_s_, cc_n_) == NULL)                \
      TEST_FAIL ("check failed: %s contains \"%s\"\n  got: \"%s\"",    \
                 #s, cc_n_, cc_s_ ? cc_s_ : "(null)");                 \
  } while (0)

#endif /* NBDCACHED_TESTS_TEST_UTIL_H */
