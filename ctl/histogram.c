/* nbdcachectl: reading the daemon's latency histograms.
 *
 * A histogram in the stats is an object
 *
 *   {"bounds_us": [100, 250, ...], "counts": [c0, ..., cN],
 *    "sum_us": S, "count": N}
 *
 * with one count per bucket (not cumulative), the last for values
 * above every bound.  histogram_get checks that shape, so that the
 * accessors below never meet a surprise.
 */
#include <config.h>

#include "ctl.h"

/* Element I of ARR, an array whose elements histogram_get checked. */
static uint64_t
element (struct json_object *arr, size_t i)
{
  return json_object_get_uint64 (json_object_array_get_idx (arr, i));
}

/* Whether ARR is an array of non-negative integers, increasing when
 * INCREASING is set.
 */
static bool
is_u64_array (struct json_object *arr, bool increasing)
{
  size_t n;

  if (!json_object_is_type (arr, json_type_array))
    return false;
  n = json_object_array_length (arr);
  for (size_t i = 0; i < n; i++) {
    struct json_object *v = json_object_array_get_idx (arr, i);

    if (!json_object_is_type (v, json_type_int) ||
        json_object_get_int64 (v) < 0)
      return false;
    if (increasing && i > 0 && element (arr, i) <= element (arr, i - 1))
      return false;
  }
  return true;
}

/* Whether V is a well-formed histogram; if so, fill *HIST, which
 * borrows from V.
 */
bool
histogram_get (struct json_object *v, struct histogram *hist)
{
  struct json_object *bounds = json_member (v, "bounds_us");
  struct json_object *counts = json_member (v, "counts");
  uint64_t sum;

  if (!is_u64_array (bounds, true) || !is_u64_array (counts, false) ||
      json_object_array_length (counts) !=
      json_object_array_length (bounds) + 1 ||
      !json_member_u64 (v, "sum_us", &sum))
    return false;
  *hist = (struct histogram) {
    .bounds_us = bounds,
    .counts = counts,
    .nbounds = json_object_array_length (bounds),
    .sum_us = sum,
  };
  return true;
}

/* The upper bound of bucket I < nbounds, in microseconds. */
uint64_t
histogram_bound (const struct histogram *hist, size_t i)
{
  return element (hist->bounds_us, i);
}

/* The count of bucket I <= nbounds (nbounds: the overflow bucket). */
uint64_t
histogram_count (const struct histogram *hist, size_t i)
{
  return element (hist->counts, i);
}

/* The number of values in all buckets. */
uint64_t
histogram_total (const struct histogram *hist)
{
  uint64_t total = 0;

  for (size_t i = 0; i <= hist->nbounds; i++)
    total += histogram_count (hist, i);
  return total;
}
