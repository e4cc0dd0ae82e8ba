/* nbdcached tests: the NBD block-size rules of daemon/normalise.c.
 *
 * set_block_sizes fills in defaults, normalise_range rounds a client's
 * range outward to the minimum block size, leaves out a partial last
 * block and rejects what runs past the end, chunk_end splits the
 * result into chunks that the server accepts, and cap_block_max lowers
 * the maximum they may reach.  The last part checks the invariants on
 * many random small geometries.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test-util.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)

static struct export_info
make_info (uint64_t size, int64_t min, int64_t pref, int64_t max)
{
  struct export_info info = { .size = size, .can_cache = true };

  set_block_sizes (&info, min, pref, max);
  return info;
}

/* normalise_range must succeed with [start, end). */
#define CHECK_RANGE(info, offset, count, xstart, xend)                 \
  do {                                                                 \
    uint64_t s_ = 0, e_ = 0;                                           \
    struct nbdc_error err_ = { 0 };                                    \
    if (normalise_range (&(info), (offset), (count), &s_, &e_, &err_)  \
        == -1)                                                         \
      TEST_FAIL ("normalise_range (%s, %s) failed: %s",                \
                 #offset, #count, err_.message);                       \
    CHECK_U64 (s_, ==, (xstart));                                      \
    CHECK_U64 (e_, ==, (xend));                                        \
  } while (0)

/* normalise_range must fail with EINVAL. */
#define CHECK_RANGE_EINVAL(info, offset, count)                        \
  do {                                                                 \
    uint64_t s_ = 0, e_ = 0;                                           \
    struct nbdc_error err_ = { 0 };                                    \
    if (normalise_range (&(info), (offset), (count), &s_, &e_, &err_)  \
        != -1)                                                         \
      TEST_FAIL ("normalise_range (%s, %s) succeeded: [%llu, %llu)",   \
                 #offset, #count, (unsigned long long) s_,             \
                 (unsigned long long) e_);                             \
    CHECK_INT (err_.errnum, ==, EINVAL);                               \
    CHECK (err_.message[0] != '\0');                                   \
  } while (0)

static void
test_set_block_sizes (void)
{
  struct export_info info;

  /* Nothing advertised: the NBD protocol's defaults. */
  info = make_info (MiB, 0, 0, 0);
  CHECK (!info.block_advertised);
  CHECK_U64 (info.block_min, ==, 1);
  CHECK_U64 (info.block_pref, ==, 4096);
  CHECK_U64 (info.block_max, ==, 32 * MiB);

  /* libnbd reports "not advertised" as 0 or as -1. */
  info = make_info (MiB, -1, -1, -1);
  CHECK (!info.block_advertised);
  CHECK_U64 (info.block_min, ==, 1);
  CHECK_U64 (info.block_pref, ==, 4096);
  CHECK_U64 (info.block_max, ==, 32 * MiB);

  info = make_info (MiB, 512, 4096, MiB);
  CHECK (info.block_advertised);
  CHECK_U64 (info.block_min, ==, 512);
  CHECK_U64 (info.block_pref, ==, 4096);
  CHECK_U64 (info.block_max, ==, MiB);

  /* A large minimum raises the default preferred size to it. */
  info = make_info (MiB, 65536, 0, 0);
  CHECK (info.block_advertised);
  CHECK_U64 (info.block_min, ==, 65536);
  CHECK_U64 (info.block_pref, ==, 65536);
  CHECK_U64 (info.block_max, ==, 32 * MiB);

  /* A maximum below the minimum is raised to it. */
  info = make_info (MiB, 4096, 0, 1024);
  CHECK_U64 (info.block_min, ==, 4096);
  CHECK_U64 (info.block_max, ==, 4096);

  /* The largest maximum NBD can express. */
  info = make_info (MiB, 1, 4096, UINT32_MAX);
  CHECK_U64 (info.block_max, ==, UINT32_MAX);
}

static void
test_normalise_range (void)
{
  struct export_info info = make_info (MiB, 512, 4096, 64 * KiB);
  struct export_info big = make_info (INT64_MAX, 4096, 0, 0);
  struct export_info odd = make_info (1000, 512, 0, 0);
  struct export_info byte = make_info (MiB, 0, 0, 0);

  /* Rounded outward to the minimum. */
  CHECK_RANGE (info, 0, 1, 0, 512);
  CHECK_RANGE (info, 100, 10, 0, 512);
  CHECK_RANGE (info, 511, 2, 0, 1024);
  CHECK_RANGE (info, 512, 512, 512, 1024);
  CHECK_RANGE (info, 513, 1023, 512, 1536);
  CHECK_RANGE (info, 0, MiB, 0, MiB);
  CHECK_RANGE (info, MiB - 1, 1, MiB - 512, MiB);
  CHECK_RANGE (byte, 3, 5, 3, 8);

  /* Empty. */
  CHECK_RANGE_EINVAL (info, 0, 0);
  CHECK_RANGE_EINVAL (info, MiB, 0);

  /* Past the end, however it is written. */
  CHECK_RANGE_EINVAL (info, 0, MiB + 1);
  CHECK_RANGE_EINVAL (info, 1, MiB);
  CHECK_RANGE_EINVAL (info, MiB, 1);
  CHECK_RANGE_EINVAL (info, MiB + 1, 1);
  CHECK_RANGE_EINVAL (info, 10 * MiB, 512);
  CHECK_RANGE_EINVAL (info, (uint64_t) INT64_MAX, 2);
  CHECK_RANGE_EINVAL (info, 1, UINT64_MAX);
  CHECK_RANGE_EINVAL (info, UINT64_MAX, 1);
  CHECK_RANGE_EINVAL (info, UINT64_MAX - 511, 1024);
  CHECK_RANGE_EINVAL (big, (uint64_t) INT64_MAX - 1, 2);
  CHECK_RANGE_EINVAL (big, (uint64_t) INT64_MAX, 1);
  CHECK_RANGE_EINVAL (big, 4096, UINT64_MAX - 4095);
  CHECK_RANGE_EINVAL (big, 1, (uint64_t) INT64_MAX);

  /* The largest export: rounding up must not overflow, and the last
   * (partial) block is left out.
   */
  CHECK_RANGE (big, (uint64_t) INT64_MAX - 4097, 1,
               (uint64_t) INT64_MAX - 8191, (uint64_t) INT64_MAX - 4095);
  CHECK_RANGE (big, 0, (uint64_t) INT64_MAX,
               0, (uint64_t) INT64_MAX - 4095);
  CHECK_RANGE_EINVAL (big, (uint64_t) INT64_MAX - 1, 1);

  /* A size that is not a multiple of the minimum: the partial block
   * [512, 1000) cannot be reached aligned, so it is left out, and a
   * range inside it alone is refused.
   */
  CHECK_RANGE (odd, 0, 1000, 0, 512);
  CHECK_RANGE (odd, 0, 10, 0, 512);
  CHECK_RANGE (odd, 500, 50, 0, 512);
  CHECK_RANGE_EINVAL (odd, 900, 50);
  CHECK_RANGE_EINVAL (odd, 999, 1);
  CHECK_RANGE_EINVAL (odd, 512, 488);
  CHECK_RANGE_EINVAL (odd, 999, 2);
  CHECK_RANGE_EINVAL (odd, 1000, 1);
}

static void
test_chunk_end (void)
{
  struct export_info def = make_info (1024 * MiB, 0, 0, 0);
  struct export_info odd = make_info (MiB, 512, 4096, 10000);
  struct export_info pbig = make_info (MiB, 512, 65536, 32768);
  struct export_info huge = make_info (INT64_MAX, 1, 4096, UINT32_MAX);
  const uint64_t huge_step = UINT32_MAX - UINT32_MAX % 4096;

  /* Default maximum: 32M chunks on 32M boundaries. */
  CHECK_U64 (chunk_end (&def, 0, 100 * MiB), ==, 32 * MiB);
  CHECK_U64 (chunk_end (&def, 32 * MiB, 100 * MiB), ==, 64 * MiB);
  CHECK_U64 (chunk_end (&def, 1, 100 * MiB), ==, 32 * MiB);
  CHECK_U64 (chunk_end (&def, 32 * MiB - 1, 100 * MiB), ==, 32 * MiB);
  CHECK_U64 (chunk_end (&def, 96 * MiB, 100 * MiB), ==, 100 * MiB);
  CHECK_U64 (chunk_end (&def, 0, 4096), ==, 4096);
  CHECK_U64 (chunk_end (&def, 10, 11), ==, 11);

  /* A maximum that is not a multiple of the preferred size: the step
   * is rounded down to one (8192), so no chunk exceeds 10000.
   */
  CHECK_U64 (chunk_end (&odd, 0, MiB), ==, 8192);
  CHECK_U64 (chunk_end (&odd, 512, MiB), ==, 8192);
  CHECK_U64 (chunk_end (&odd, 8192, MiB), ==, 16384);
  CHECK_U64 (chunk_end (&odd, 8192 * 5 + 512, MiB), ==, 8192 * 6);
  CHECK_U64 (chunk_end (&odd, 8192 * 5, 8192 * 5 + 1024), ==,
             8192 * 5 + 1024);

  /* A preferred size above the maximum: steps of the maximum. */
  CHECK_U64 (chunk_end (&pbig, 0, MiB), ==, 32768);
  CHECK_U64 (chunk_end (&pbig, 32768 + 512, MiB), ==, 65536);

  /* The largest maximum. */
  CHECK_U64 (chunk_end (&huge, 0, (uint64_t) INT64_MAX), ==, huge_step);
  CHECK_U64 (chunk_end (&huge, huge_step, (uint64_t) INT64_MAX), ==,
             2 * huge_step);
  CHECK_U64 (chunk_end (&huge, (uint64_t) INT64_MAX - 1,
                        (uint64_t) INT64_MAX), ==, (uint64_t) INT64_MAX);
}

static void
test_cap_block_max (void)
{
  struct export_info def = make_info (1024 * MiB, 0, 0, 0);
  struct export_info small = make_info (MiB, 512, 4096, 65536);
  struct export_info bigmin = make_info (MiB, 65536, 65536, MiB);

  /* Lowered to the cap, and chunks cut at its multiples. */
  cap_block_max (&def, 4 * MiB);
  CHECK_U64 (def.block_max, ==, 4 * MiB);
  CHECK_U64 (chunk_end (&def, 1000, 32 * MiB), ==, 4 * MiB);
  CHECK_U64 (chunk_end (&def, 28 * MiB, 32 * MiB), ==, 32 * MiB);

  /* A maximum below the cap stays. */
  cap_block_max (&small, 4 * MiB);
  CHECK_U64 (small.block_max, ==, 65536);

  /* Never below the minimum. */
  cap_block_max (&bigmin, 4096);
  CHECK_U64 (bigmin.block_max, ==, 65536);
}

/* A small deterministic PRNG (xorshift64), so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd (uint64_t n)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return n ? rng_state % n : 0;
}

/* Check every rule on one geometry and one client range. */
static void
check_one (uint64_t min, uint64_t pref, uint64_t max, uint64_t size,
           uint64_t offset, uint64_t count, unsigned iter)
{
  struct export_info info = make_info (size, (int64_t) min, (int64_t) pref,
                                       (int64_t) max);
  struct nbdc_error err = { 0 };
  uint64_t start, end, pos, step, nchunks = 0;
  uint64_t reachable = size - size % min;   /* whole blocks only */
  bool valid = count > 0 && offset <= size && count <= size - offset &&
    offset < reachable;
  int r;

  r = normalise_range (&info, offset, count, &start, &end, &err);
  if (!valid) {
    if (r != -1 || err.errnum != EINVAL)
      TEST_FAIL ("iteration %u: min=%llu pref=%llu max=%llu size=%llu "
                 "offset=%llu count=%llu: expected EINVAL, got r=%d",
                 iter, (unsigned long long) min, (unsigned long long) pref,
                 (unsigned long long) max, (unsigned long long) size,
                 (unsigned long long) offset, (unsigned long long) count, r);
    return;
  }
  if (r == -1)
    TEST_FAIL ("iteration %u: size=%llu offset=%llu count=%llu: %s",
               iter, (unsigned long long) size, (unsigned long long) offset,
               (unsigned long long) count, err.message);

  /* [start, end) is the smallest min-aligned cover, without the last
   * partial block.
   */
  CHECK_U64 (start, <=, offset);
  CHECK_U64 (start % min, ==, 0);
  CHECK_U64 (offset - start, <, min);
  CHECK_U64 (end, <=, reachable);
  CHECK_U64 (end % min, ==, 0);
  if (offset + count <= reachable) {
    CHECK_U64 (end, >=, offset + count);
    CHECK_U64 (end - (offset + count), <, min);
  }
  else
    CHECK_U64 (end, ==, reachable);

  /* The chunk step: max rounded down to a multiple of pref (or of min
   * when pref is larger than max).
   */
  step = info.block_max - info.block_max % info.block_pref;
  if (step == 0)
    step = info.block_max - info.block_max % info.block_min;

  for (pos = start; pos < end; ) {
    uint64_t next = chunk_end (&info, pos, end);

    if (next <= pos || next > end || next - pos > info.block_max)
      TEST_FAIL ("iteration %u: min=%llu pref=%llu max=%llu size=%llu "
                 "[%llu, %llu): bad chunk [%llu, %llu)", iter,
                 (unsigned long long) min, (unsigned long long) pref,
                 (unsigned long long) max, (unsigned long long) size,
                 (unsigned long long) start, (unsigned long long) end,
                 (unsigned long long) pos, (unsigned long long) next);
    /* Every boundary inside the range is on the step grid, so it is
     * aligned to the preferred and the minimum size.
     */
    if (next < end) {
      CHECK_U64 (next % step, ==, 0);
      CHECK_U64 (next % info.block_min, ==, 0);
    }
    /* Chunks strictly inside the range are whole steps. */
    if (pos != start && next != end)
      CHECK_U64 (next - pos, ==, step);
    pos = next;
    nchunks++;
  }
  CHECK_U64 (pos, ==, end);
  CHECK_U64 (nchunks, <=, (end - start) / step + 2);
}

static void
test_random (void)
{
  unsigned iter;

  for (iter = 0; iter < 30000; iter++) {
    uint64_t min = 1ULL << rnd (7);                 /* 1 .. 64 */
    uint64_t pref = min << rnd (4);                 /* min .. 8 min */
    uint64_t max = min * (1 + rnd (40));            /* a multiple of min */
    uint64_t size = rnd (6000);
    uint64_t offset, count;

    switch (rnd (8)) {
    case 0:                                         /* anything */
      offset = rnd (size + 100);
      count = rnd (size + 100);
      break;
    case 1:                                         /* the whole export */
      offset = 0;
      count = size;
      break;
    case 2:                                         /* the last byte */
      offset = size ? size - 1 : 0;
      count = 1;
      break;
    case 3:                                         /* overflowing */
      offset = UINT64_MAX - rnd (100);
      count = 1 + rnd (200);
      break;
    default:                                        /* inside */
      offset = rnd (size + 1);
      count = rnd (size - offset + 1);
      break;
    }
    if (rnd (10) == 0)
      pref = 0;                                     /* not advertised */
    if (rnd (10) == 0)
      max = 0;
    check_one (min, pref, max, size, offset, count, iter);
  }
}

int
main (void)
{
  test_set_block_sizes ();
  test_normalise_range ();
  test_chunk_end ();
  test_cap_block_max ();
  test_random ();
  printf ("test-normalise: ok\n");
  return 0;
}
