/* nbdcached tests: parse_human_size and format_human_size
 * (common/human-size.c).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "human-size.h"
#include "test-util.h"

#define CHECK_PARSE(str, expected)                                     \
  do {                                                                 \
    uint64_t n_ = 12345;                                               \
    const char *e_ = NULL;                                             \
    if (parse_human_size ((str), &n_, &e_) == -1)                      \
      TEST_FAIL ("parse_human_size (\"%s\") failed: %s", (str),        \
                 e_ ? e_ : "(no message)");                            \
    CHECK_U64 (n_, ==, (expected));                                    \
  } while (0)

/* Must fail, leave *size alone, and give a message containing WHY. */
#define CHECK_PARSE_ERR(str, why)                                      \
  do {                                                                 \
    uint64_t n_ = 12345;                                               \
    const char *e_ = NULL;                                             \
    if (parse_human_size ((str), &n_, &e_) != -1)                      \
      TEST_FAIL ("parse_human_size (\"%s\") succeeded: %llu", (str),   \
                 (unsigned long long) n_);                             \
    CHECK_U64 (n_, ==, 12345);                                         \
    CHECK_CONTAINS (e_, (why));                                        \
  } while (0)

#define CHECK_FORMAT(n, expected)                                      \
  do {                                                                 \
    char buf_[32];                                                     \
    CHECK (format_human_size ((n), buf_, sizeof buf_) == buf_);        \
    CHECK_STR (buf_, (expected));                                      \
  } while (0)

int
main (void)
{
  CHECK_PARSE ("0", 0);
  CHECK_PARSE ("512", 512);
  CHECK_PARSE ("1K", 1024);
  CHECK_PARSE ("1k", 1024);
  CHECK_PARSE ("1M", 1024 * 1024);
  CHECK_PARSE ("1G", 1024ULL * 1024 * 1024);
  CHECK_PARSE ("1T", 1ULL << 40);
  CHECK_PARSE ("1P", 1ULL << 50);
  CHECK_PARSE ("1E", 1ULL << 60);
  CHECK_PARSE ("15E", 15ULL << 60);
  CHECK_PARSE ("1KiB", 1024);
  CHECK_PARSE ("1kib", 1024);
  CHECK_PARSE ("1MB", 1024 * 1024);
  CHECK_PARSE ("2gb", 2ULL << 30);
  CHECK_PARSE ("3B", 3);
  CHECK_PARSE ("3b", 3);
  CHECK_PARSE ("0K", 0);
  CHECK_PARSE ("18446744073709551615", UINT64_MAX);
  CHECK_PARSE ("16383P", 16383ULL << 50);

  CHECK_PARSE_ERR ("", "not a number");
  CHECK_PARSE_ERR ("K", "not a number");
  CHECK_PARSE_ERR ("-1", "must not be negative");
  CHECK_PARSE_ERR ("-", "not a number");
  CHECK_PARSE_ERR (" 1", "not a number");
  CHECK_PARSE_ERR ("+1", "not a number");
  CHECK_PARSE_ERR ("1Q", "unknown suffix");
  CHECK_PARSE_ERR ("1KX", "unknown suffix");
  CHECK_PARSE_ERR ("1KBB", "unknown suffix");
  CHECK_PARSE_ERR ("1iB", "unknown suffix");
  CHECK_PARSE_ERR ("1 K", "unknown suffix");
  CHECK_PARSE_ERR ("1.5G", "not a whole number");
  CHECK_PARSE_ERR ("1.", "not a whole number");
  CHECK_PARSE_ERR ("18446744073709551616", "too large");
  CHECK_PARSE_ERR ("99999999999999999999999", "too large");
  CHECK_PARSE_ERR ("16E", "too large");
  CHECK_PARSE_ERR ("16384P", "too large");
  CHECK_PARSE_ERR ("18014398509481984K", "too large");

  CHECK_FORMAT (0, "0");
  CHECK_FORMAT (100, "100");
  CHECK_FORMAT (1023, "1023");
  CHECK_FORMAT (1024, "1K");
  CHECK_FORMAT (1536, "1.5K");
  CHECK_FORMAT (512 * 1024, "512K");
  CHECK_FORMAT (1024 * 1024, "1M");
  CHECK_FORMAT (32 * 1024 * 1024, "32M");
  CHECK_FORMAT (1024ULL * 1024 * 1024, "1G");
  CHECK_FORMAT (3ULL << 29, "1.5G");
  CHECK_FORMAT (1ULL << 40, "1T");
  CHECK_FORMAT (1ULL << 60, "1E");
  /* Just under a unit: rounded up into it, not to "1024" of the last. */
  CHECK_FORMAT ((1ULL << 30) - (1ULL << 19), "1.0G");
  CHECK_FORMAT ((1ULL << 20) - 1, "1.0M");
  CHECK_FORMAT ((1ULL << 20) - 1024, "1023K");

  /* What format prints, parse reads back, for whole multiples. */
  {
    static const uint64_t sizes[] = {
      1, 4096, 1ULL << 20, 7ULL << 30, 100ULL << 40, 3ULL << 50,
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      char buf[32];
      uint64_t n;
      const char *e;
      format_human_size (sizes[i], buf, sizeof buf);
      CHECK_INT (parse_human_size (buf, &n, &e), ==, 0);
      CHECK_U64 (n, ==, sizes[i]);
    }
  }

  printf ("test-human-size: ok\n");
  return 0;
}
