/* nbdcached: NBD block-size rules (NBD protocol, "Block size
 * constraints"), as pure functions of an export's sizes.
 */
#include <config.h>

#include <errno.h>

#include "internal.h"

/* Used when the server advertises no maximum (FIELD-NOTES, NBD spec). */
#define DEFAULT_BLOCK_MAX (32U * 1024 * 1024)
/* The preferred size the NBD protocol suggests when none is given. */
#define DEFAULT_BLOCK_PREF 4096U
/* One NBD request carries a 32-bit length. */
#define NBD_REQUEST_MAX UINT32_MAX

void
set_block_sizes (struct export_info *info, int64_t min, int64_t pref,
                 int64_t max)
{
  info->block_advertised = min > 0 || pref > 0 || max > 0;
  info->block_min = min > 0 ? (uint32_t) min : 1;
  info->block_pref = pref > 0 ? (uint32_t) pref : DEFAULT_BLOCK_PREF;
  if (info->block_pref < info->block_min)
    info->block_pref = info->block_min;
  info->block_max = max > 0 ? (uint32_t) max : DEFAULT_BLOCK_MAX;
  if (info->block_max < info->block_min)
    info->block_max = info->block_min;
}

void
cap_block_max (struct export_info *info, uint64_t cap)
{
  if (info->block_max > cap)
    info->block_max = cap > info->block_min ? (uint32_t) cap : info->block_min;
}

int
normalise_range (const struct export_info *info, uint64_t offset,
                 uint64_t count, uint64_t *start, uint64_t *end,
                 struct nbdc_error *err)
{
  uint64_t min = info->block_min;
  uint64_t reachable = info->size - info->size % min;

  if (count == 0) {
    nbdc_set_error (err, EINVAL, "count must not be 0");
    return -1;
  }
  if (offset > info->size || count > info->size - offset) {
    nbdc_set_error (err, EINVAL,
                    "range [%llu, %llu) runs past the end of the export "
                    "(size %llu)", (unsigned long long) offset,
                    (unsigned long long) offset + count,
                    (unsigned long long) info->size);
    return -1;
  }
  *start = offset - offset % min;
  *end = offset + count;
  if (*end % min != 0)
    *end += min - *end % min;
  /* A server should make its size a multiple of the minimum.  If it
   * does not, the last block is partial and no aligned request can
   * reach it (NBD, "Block size constraints"): libnbd refuses such a
   * request without sending it.  Cache is only a hint, so that tail
   * is left out; a range that lies wholly inside it is refused.
   */
  if (*end > reachable)
    *end = reachable;
  if (*start >= *end) {
    nbdc_set_error (err, EINVAL,
                    "range [%llu, %llu) lies in the export's last partial "
                    "block: the size %llu is not a multiple of the minimum "
                    "block size %llu, so no aligned request reaches it",
                    (unsigned long long) offset,
                    (unsigned long long) offset + count,
                    (unsigned long long) info->size,
                    (unsigned long long) min);
    return -1;
  }
  return 0;
}

uint64_t
chunk_end (const struct export_info *info, uint64_t pos, uint64_t end)
{
  uint64_t max = info->block_max;
  uint64_t step, next;

  if (max > NBD_REQUEST_MAX)
    max = NBD_REQUEST_MAX;
  step = max - max % info->block_pref;
  if (step == 0)
    step = max - max % info->block_min;
  next = (pos / step + 1) * step;
  return next < end ? next : end;
}

bool
fit_piece (const struct export_info *server, uint64_t pos, uint64_t end,
           uint64_t *from, uint64_t *to)
{
  uint64_t min = server->block_min;
  uint64_t reachable = server->size - server->size % min;

  if (end % min != 0)
    end += min - end % min;
  if (end > reachable)
    end = reachable;
  *from = pos - pos % min;
  if (*from >= end)
    return false;
  *to = chunk_end (server, *from, end);
  return true;
}
