/* nbdcached: libFuzzer target for the protocol decoders.
 *
 * Feeds arbitrary bytes to both decoders (requests, as the daemon
 * reads them, and daemon messages, as libnbdcache reads them) and
 * re-encodes whatever decodes, checking that the encoders' output
 * decodes again.  Built by test-fuzz.sh with clang -fsanitize=fuzzer;
 * fuzz-replay.c runs the same function over the corpus without
 * libFuzzer, so the target is compiled and exercised in every build.
 *
 * A longer run (one hour), from the build tree:
 *   make -C tests check TESTS=test-fuzz.sh FUZZ_SECONDS=3600
 * test-fuzz.sh shows the clang command line that builds the target.
 */
#include <config.h>

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Re-encode a decoded request and check it decodes the same. */
static void
roundtrip_request (const struct nbdc_request *req)
{
  strbuf sb = { 0 };
  struct nbdc_request again;
  struct nbdc_error err;
  int r = 0;

  switch (req->op) {
  case NBDC_OP_HELLO:
    r = nbdc_encode_hello (&sb, req->id, req->u.hello.version,
                           req->u.hello.client);
    break;
  case NBDC_OP_CACHE:
    r = nbdc_encode_cache (&sb, req->id, req->u.cache.export,
                           req->u.cache.offset, req->u.cache.count,
                           (uint32_t) req->u.cache.flags);
    break;
  case NBDC_OP_EXPORTS:
  case NBDC_OP_STATS:
  case NBDC_OP_CLIENTS:
  case NBDC_OP_RELOAD:
    r = nbdc_encode_simple_op (&sb, req->id, req->op);
    break;
  case NBDC_OP_PAUSE:
  case NBDC_OP_RESUME:
    r = nbdc_encode_export_op (&sb, req->id, req->op, req->u.cache.export);
    break;
  }
  if (r == 0 && (req->op != NBDC_OP_CACHE || req->u.cache.flags <= UINT32_MAX)) {
    /* Strings with embedded NULs are cut short by the encoder, so only
     * the op and id are compared.
     */
    if (nbdc_decode_request (sb.ptr, sb.len - 1, &again, &err) == 0) {
      assert (again.op == req->op);
      assert (again.id == req->id);
      nbdc_request_free (&again);
    }
  }
  strbuf_reset (&sb);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct nbdc_request req;
  struct nbdc_message msg;
  struct nbdc_error err;
  strbuf sb = { 0 };

  if (nbdc_decode_request ((const char *) data, size, &req, &err) == 0) {
    roundtrip_request (&req);
    nbdc_request_free (&req);
  }
  else {
    /* Whatever failed must be reportable. */
    assert (err.errnum != 0);
    assert (nbdc_encode_reply_error (&sb, req.id, err.errnum,
                                     err.message) == 0);
    assert (nbdc_decode_message (sb.ptr, sb.len - 1, &msg, &err) == 0);
    assert (!msg.ok);
    nbdc_message_free (&msg);
    strbuf_reset (&sb);
  }
  if (nbdc_decode_message ((const char *) data, size, &msg, &err) == 0)
    nbdc_message_free (&msg);
  return 0;
}
