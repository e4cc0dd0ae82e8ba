/* nbdcached: sizes with K/M/G/T/P/E suffixes (powers of 1024). */
#ifndef NBDCACHED_COMMON_HUMAN_SIZE_H
#define NBDCACHED_COMMON_HUMAN_SIZE_H

#include <stdint.h>

/* Parse STR as a non-negative size: decimal digits, optionally
 * followed by one of K, M, G, T, P, E (binary multiples, case
 * insensitive, optionally followed by "iB" or "B"), or a plain "B".
 * Returns 0 and sets *SIZE, or -1 with a static message in *ERROR
 * ("not a number", "must not be negative", "not a whole number",
 * "unknown suffix", "too large").
 */
int parse_human_size (const char *str, uint64_t *size, const char **error);

/* Room for any format_human_size string or 64-bit decimal. */
#define HUMAN_SIZE_LEN 32

/* Write SIZE as a short human string ("1.5G", "512K", "100") into
 * BUF of LEN bytes.  Returns BUF.
 */
char *format_human_size (uint64_t size, char *buf, size_t len);

#endif /* NBDCACHED_COMMON_HUMAN_SIZE_H */
