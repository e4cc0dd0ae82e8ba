/* nbdcached tests: the protocol codec (proto/decode.c, proto/encode.c,
 * proto/errnames.c).
 *
 * Valid requests decode with the right fields; every kind of bad
 * request fails with the errno the specification gives (and keeps the
 * id once it was read); the encoders produce exactly the bytes of the
 * specification, valid JSON even for hostile strings; daemon messages
 * decode; errno names round trip.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec.h"

/* Pure functions: report every failed check, not just the first. */
#define TEST_KEEP_GOING
#include "test-util.h"

/* Decode the C string JSON as a request, which must succeed. */
#define DECODE_OK(json, req)                                           \
  do {                                                                 \
    struct nbdc_error e_;                                              \
    if (nbdc_decode_request ((json), strlen (json), (req), &e_) == -1) \
      TEST_FAIL ("decoding %s failed: %s (errno %d)",                  \
                 (json), e_.message, e_.errnum);                       \
  } while (0)

/* Decode LEN bytes at LINE as a request, which must fail with ERRNUM
 * and leave req.id == ID.
 */
#define DECODE_ERR_LEN(line, len, xerrno, xid)                         \
  do {                                                                 \
    struct nbdc_request r_;                                            \
    struct nbdc_error e_ = { 0 };                                      \
    if (nbdc_decode_request ((line), (len), &r_, &e_) != -1) {         \
      nbdc_request_free (&r_);                                         \
      TEST_FAIL ("decoding %.200s succeeded, expected errno %s",       \
                 (line), #xerrno);                                     \
      break;                                                           \
    }                                                                  \
    if (e_.errnum != (xerrno))                                         \
      TEST_FAIL ("decoding %.200s: errno %s (%s), expected %s",        \
                 (line), nbdc_errno_name (e_.errnum), e_.message,      \
                 #xerrno);                                             \
    if (e_.message[0] == '\0')                                         \
      TEST_FAIL ("decoding %.200s: empty error message", (line));      \
    if (r_.id != (uint64_t) (xid))                                     \
      TEST_FAIL ("decoding %.200s: req.id = %llu, expected %llu",      \
                 (line), (unsigned long long) r_.id,                   \
                 (unsigned long long) (xid));                          \
  } while (0)

#define DECODE_ERR(json, xerrno, xid)                                  \
  DECODE_ERR_LEN ((json), strlen (json), xerrno, xid)

/* As DECODE_ERR, and the message must contain NEEDLE. */
#define DECODE_ERR_MSG(json, xerrno, xid, needle)                      \
  do {                                                                 \
    struct nbdc_request r2_;                                           \
    struct nbdc_error e2_;                                             \
    DECODE_ERR ((json), xerrno, xid);                                  \
    nbdc_decode_request ((json), strlen (json), &r2_, &e2_);           \
    CHECK_CONTAINS (e2_.message, (needle));                            \
  } while (0)

/* The text of a cache request with id ID for export "d": OFFSET and
 * COUNT are JSON text, REST more members ("" or ",\"name\":value").
 * CACHE_ERR decodes it, which must fail with ERRNUM and keep ID.
 */
#define CACHE_JSON(id, offset, count, rest)                            \
  "{\"op\":\"cache\",\"id\":" #id ",\"export\":\"d\",\"offset\":" offset   \
  ",\"count\":" count rest "}"
#define CACHE_ERR(id, offset, count, rest, xerrno)                     \
  DECODE_ERR (CACHE_JSON (id, offset, count, rest), xerrno, id)

/* The bytes in SB must be exactly EXPECTED. */
#define CHECK_BYTES(sb, expected)                                      \
  do {                                                                 \
    const char *x_ = (expected);                                       \
    if ((sb).len != strlen (x_) || memcmp ((sb).ptr, x_, (sb).len) != 0) \
      TEST_FAIL ("encoded bytes differ\n  got:      \"%.*s\"\n"        \
                 "  expected: \"%s\"", (int) (sb).len, (sb).ptr, x_);  \
  } while (0)

static void
test_decode_valid (void)
{
  struct nbdc_request req;

  DECODE_OK ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"me\"}",
             &req);
  CHECK_INT (req.op, ==, NBDC_OP_HELLO);
  CHECK_U64 (req.id, ==, 1);
  CHECK_U64 (req.u.hello.version, ==, 1);
  CHECK_STR (req.u.hello.client, "me");
  nbdc_request_free (&req);
  CHECK (req.root == NULL);

  /* "client" is optional; key order does not matter; blanks around
   * and inside the object are fine.
   */
  DECODE_OK (" { \"version\" : 7 , \"id\":2, \"op\":\"hello\" }\r", &req);
  CHECK_INT (req.op, ==, NBDC_OP_HELLO);
  CHECK_U64 (req.id, ==, 2);
  CHECK_U64 (req.u.hello.version, ==, 7);
  CHECK (req.u.hello.client == NULL);
  nbdc_request_free (&req);

  DECODE_OK ("{\"op\":\"exports\",\"id\":3}", &req);
  CHECK_INT (req.op, ==, NBDC_OP_EXPORTS);
  CHECK_U64 (req.id, ==, 3);
  nbdc_request_free (&req);

  DECODE_OK ("{\"id\":9223372036854775807,\"op\":\"stats\"}", &req);
  CHECK_INT (req.op, ==, NBDC_OP_STATS);
  CHECK_U64 (req.id, ==, NBDC_MAX_INTEGER);
  nbdc_request_free (&req);

  DECODE_OK ("{\"op\":\"cache\",\"id\":4,\"export\":\"disk0\","
             "\"offset\":4096,\"count\":9223372036854775807}", &req);
  CHECK_INT (req.op, ==, NBDC_OP_CACHE);
  CHECK_U64 (req.id, ==, 4);
  CHECK_STR (req.u.cache.export, "disk0");
  CHECK_U64 (req.u.cache.offset, ==, 4096);
  CHECK_U64 (req.u.cache.count, ==, NBDC_MAX_INTEGER);
  CHECK_U64 (req.u.cache.flags, ==, 0);
  nbdc_request_free (&req);

  /* "flags" is optional; the codec passes its value on (the daemon
   * checks it against the mask).  Escapes in strings are decoded.
   */
  DECODE_OK ("{\"op\":\"cache\",\"id\":5,\"export\":\"a\\\"b\\u00e9\","
             "\"offset\":0,\"count\":1,\"flags\":0}", &req);
  CHECK_STR (req.u.cache.export, "a\"b\xc3\xa9");
  CHECK_U64 (req.u.cache.offset, ==, 0);
  CHECK_U64 (req.u.cache.count, ==, 1);
  CHECK_U64 (req.u.cache.flags, ==, 0);
  nbdc_request_free (&req);
}

static void
test_decode_json_errors (void)
{
  char *big;
  size_t n;

  /* Malformed JSON. */
  DECODE_ERR ("{\"op\":", EINVAL, 0);
  DECODE_ERR ("{", EINVAL, 0);
  DECODE_ERR ("", EINVAL, 0);
  DECODE_ERR ("hello", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1,}", EINVAL, 0);
  DECODE_ERR ("{'op':'stats','id':1}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\" \"id\":1}", EINVAL, 0);

  /* Not an object. */
  DECODE_ERR_MSG ("[1,2]", EINVAL, 0, "not a JSON object");
  DECODE_ERR_MSG ("\"stats\"", EINVAL, 0, "not a JSON object");
  DECODE_ERR_MSG ("[{\"op\":\"stats\",\"id\":1}]", EINVAL, 0,
                  "not a JSON object");
  DECODE_ERR ("42", EINVAL, 0);
  DECODE_ERR ("true", EINVAL, 0);
  DECODE_ERR ("null", EINVAL, 0);

  /* Text after the object. */
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1} x", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1}\t}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1}{}", EINVAL, 0);

  /* A NUL byte inside, even inside a string. */
  {
    static const char nul[] = "{\"op\":\"stats\",\"id\":1,\"x\":\"a\0b\"}";
    DECODE_ERR_LEN (nul, sizeof nul - 1, EINVAL, 0);
    static const char nul2[] = "{\"op\":\"stats\",\"id\":1}\0";
    DECODE_ERR_LEN (nul2, sizeof nul2 - 1, EINVAL, 0);
  }

  /* Invalid UTF-8: a stray continuation byte, a truncated sequence,
   * a byte that never occurs.  (test-codec-strings checks the finer
   * rules of RFC 3629.)
   */
  DECODE_ERR ("{\"op\":\"cache\",\"id\":1,\"export\":\"\x80\","
              "\"offset\":0,\"count\":1}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"cache\",\"id\":1,\"export\":\"\xc3\","
              "\"offset\":0,\"count\":1}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"cache\",\"id\":1,\"export\":\"d\xc3\xa9\xa9\","
              "\"offset\":0,\"count\":1}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"hello\",\"id\":1,\"version\":1,"
              "\"client\":\"\xff\"}", EINVAL, 0);
  /* ... while valid UTF-8 is fine. */
  {
    struct nbdc_request req;
    DECODE_OK ("{\"op\":\"hello\",\"id\":1,\"version\":1,"
               "\"client\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", &req);
    CHECK_STR (req.u.hello.client, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    nbdc_request_free (&req);
  }

  /* Nesting: every value is a level, the message's object level 1
   * (PROTOCOL.md section 5).  A value at level 8 is fine (the request
   * is then rejected for its unknown field, with its id); one at level
   * 9 fails before the id is read, be it a scalar or a container.
   */
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":1,\"x\":[[[[[[1]]]]]]}",
                  EINVAL, 1, "unknown field");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":1,\"x\":[[[[[[{}]]]]]]}",
                  EINVAL, 1, "unknown field");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":1,\"x\":{\"a\":{\"b\":{\"c\":"
                  "{\"d\":{\"e\":{\"f\":1}}}}}}}", EINVAL, 1, "unknown field");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":1,\"x\":[[[[[[[1]]]]]]]}",
                  EINVAL, 0, "nested deeper than 8 levels");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":1,\"x\":[[[[[[[{}]]]]]]]}",
                  EINVAL, 0, "nested deeper than 8 levels");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":1,\"x\":[[[[[[[[1]]]]]]]]}",
                  EINVAL, 0, "nested");
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1,\"x\":{\"a\":{\"b\":{\"c\":{\"d\":"
              "{\"e\":{\"f\":{\"g\":{}}}}}}}}}", EINVAL, 0);
  DECODE_ERR ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
              EINVAL, 0);

  /* Length: 65535 bytes (padded with blanks) is accepted, 65536 is
   * EMSGSIZE, even though the JSON is otherwise fine.
   */
  big = malloc (NBDC_MAX_MESSAGE + 16);
  CHECK (big != NULL);
  n = (size_t) sprintf (big, "{\"op\":\"stats\",\"id\":6}");
  memset (big + n, ' ', NBDC_MAX_MESSAGE + 16 - n);
  {
    struct nbdc_request req;
    struct nbdc_error err;
    CHECK_INT (nbdc_decode_request (big, NBDC_MAX_MESSAGE - 1, &req, &err),
               ==, 0);
    CHECK_U64 (req.id, ==, 6);
    nbdc_request_free (&req);
  }
  DECODE_ERR_LEN (big, NBDC_MAX_MESSAGE, EMSGSIZE, 0);
  DECODE_ERR_LEN (big, NBDC_MAX_MESSAGE + 15, EMSGSIZE, 0);
  free (big);
}

static void
test_decode_field_errors (void)
{
  /* The id. */
  DECODE_ERR_MSG ("{\"op\":\"stats\"}", EINVAL, 0, "\"id\"");
  DECODE_ERR ("{\"op\":\"stats\",\"id\":0}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":\"1\"}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":null}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":true}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":[1]}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":-1}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1.5}", EINVAL, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":9223372036854775808}", ERANGE, 0);

  /* The op, after a good id: the id is kept for the error reply. */
  DECODE_ERR_MSG ("{\"id\":11}", EINVAL, 11, "\"op\"");
  DECODE_ERR ("{\"id\":12,\"op\":1}", EINVAL, 12);
  DECODE_ERR ("{\"id\":13,\"op\":null}", EINVAL, 13);
  DECODE_ERR_MSG ("{\"id\":14,\"op\":\"warm\"}", ENOSYS, 14, "warm");
  DECODE_ERR ("{\"id\":15,\"op\":\"HELLO\"}", ENOSYS, 15);
  DECODE_ERR ("{\"id\":16,\"op\":\"\"}", ENOSYS, 16);

  /* Unknown fields, in every op. */
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":21,\"verbose\":true}",
                  EINVAL, 21, "verbose");
  DECODE_ERR ("{\"op\":\"exports\",\"id\":22,\"x\":1}", EINVAL, 22);
  DECODE_ERR ("{\"op\":\"hello\",\"id\":23,\"version\":1,\"x\":1}", EINVAL, 23);
  CACHE_ERR (24, "0", "1", ",\"Count\":1", EINVAL);

  /* Missing required fields. */
  DECODE_ERR_MSG ("{\"op\":\"hello\",\"id\":31}", EINVAL, 31, "version");
  DECODE_ERR ("{\"op\":\"hello\",\"id\":31,\"client\":\"x\"}", EINVAL, 31);
  DECODE_ERR_MSG ("{\"op\":\"cache\",\"id\":32,\"offset\":0,\"count\":1}",
                  EINVAL, 32, "export");
  DECODE_ERR_MSG ("{\"op\":\"cache\",\"id\":33,\"export\":\"d\",\"count\":1}",
                  EINVAL, 33, "offset");
  DECODE_ERR_MSG ("{\"op\":\"cache\",\"id\":34,\"export\":\"d\",\"offset\":0}",
                  EINVAL, 34, "count");

  /* Wrong types. */
  DECODE_ERR ("{\"op\":\"hello\",\"id\":41,\"version\":\"1\"}", EINVAL, 41);
  DECODE_ERR ("{\"op\":\"hello\",\"id\":41,\"version\":1,\"client\":5}",
              EINVAL, 41);
  DECODE_ERR ("{\"op\":\"hello\",\"id\":41,\"version\":1,\"client\":null}",
              EINVAL, 41);
  DECODE_ERR ("{\"op\":\"cache\",\"id\":42,\"export\":7,\"offset\":0,"
              "\"count\":1}", EINVAL, 42);
  DECODE_ERR ("{\"op\":\"cache\",\"id\":42,\"export\":[\"d\"],\"offset\":0,"
              "\"count\":1}", EINVAL, 42);
  CACHE_ERR (43, "\"0\"", "1", "", EINVAL);
  CACHE_ERR (43, "false", "1", "", EINVAL);
  CACHE_ERR (44, "0", "null", "", EINVAL);
  CACHE_ERR (44, "0", "{}", "", EINVAL);
  CACHE_ERR (45, "0", "1", ",\"flags\":\"0\"", EINVAL);

  /* Negative and fractional numbers. */
  DECODE_ERR_MSG (CACHE_JSON (51, "-1", "1", ""), EINVAL, 51, "negative");
  CACHE_ERR (51, "0", "-9223372036854775808", "", EINVAL);
  CACHE_ERR (51, "0", "1", ",\"flags\":-1", EINVAL);
  DECODE_ERR ("{\"op\":\"hello\",\"id\":51,\"version\":-1}", EINVAL, 51);
  DECODE_ERR_MSG (CACHE_JSON (52, "0.5", "1", ""), EINVAL, 52, "integer");
  CACHE_ERR (52, "0", "1.0", "", EINVAL);
  CACHE_ERR (52, "0", "1e3", "", EINVAL);
  /* A leading zero is no JSON (RFC 8259): refused on both paths (the
   * fast path declines it; json-c would read "00" as 0).  Zeros that
   * are no leading zero are not mistaken for one.
   */
  DECODE_ERR_MSG (CACHE_JSON (54, "00", "1", ""), EINVAL, 0, "leading zero");
  DECODE_ERR_MSG (CACHE_JSON (54, "0", "01", ""), EINVAL, 0, "leading zero");
  DECODE_ERR_MSG (CACHE_JSON (54, "-00", "1", ""), EINVAL, 0, "leading zero");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":54,"
                  "\"x\":[0,10,100,-0,0.05,1e05,1E-05,\"007\"]}",
                  EINVAL, 54, "unknown field");
  /* A repeated member is refused, on both paths (the fast path
   * declines it), whichever value comes last, and at any depth.
   */
  DECODE_ERR_MSG ("{\"op\":\"cache\",\"id\":55,\"op\":\"stats\"}",
                  EINVAL, 0, "repeats a member name");
  DECODE_ERR_MSG (CACHE_JSON (55, "0", "1", ",\"count\":2"), EINVAL, 0,
                  "repeats a member name");
  DECODE_ERR_MSG ("{\"op\":\"stats\",\"id\":55,"
                  "\"x\":[{\"a\":1,\"a\":[2]}]}",
                  EINVAL, 0, "repeats a member name");
  /* -0 is zero, not negative (PROTOCOL.md section 5), on the fast
   * path and (with an escape in the name) on json-c's.
   */
  {
    struct nbdc_request req;

    DECODE_OK (CACHE_JSON (53, "-0", "1", ""), &req);
    CHECK_U64 (req.u.cache.offset, ==, 0);
    nbdc_request_free (&req);
    DECODE_OK ("{\"op\":\"cache\",\"id\":53,\"export\":\"\\u0061\","
               "\"offset\":-0,\"count\":1}", &req);
    CHECK_U64 (req.u.cache.offset, ==, 0);
    nbdc_request_free (&req);
  }
  DECODE_ERR ("{\"op\":\"hello\",\"id\":52,\"version\":1.5}", EINVAL, 52);

  /* Too large: 2^63, 2^64, 2^64 - 1, 10^30 written as digits. */
  DECODE_ERR_MSG (CACHE_JSON (61, "0", "9223372036854775808", ""),
                  ERANGE, 61, "count");
  CACHE_ERR (61, "18446744073709551616", "1", "", ERANGE);
  CACHE_ERR (61, "18446744073709551615", "1", "", ERANGE);
  CACHE_ERR (61, "0", "1000000000000000000000000000000", "", ERANGE);
  DECODE_ERR ("{\"op\":\"hello\",\"id\":61,\"version\":18446744073709551616}",
              ERANGE, 61);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":18446744073709551616}", ERANGE, 0);
  DECODE_ERR ("{\"op\":\"stats\",\"id\":1000000000000000000000000000000}",
              ERANGE, 0);
}

static void
test_encode_requests (void)
{
  strbuf sb = { 0 };
  struct nbdc_request req;
  char line[256];

  CHECK_INT (nbdc_encode_cache (&sb, 3, "disk", 4096, 512, 0), ==, 0);
  CHECK_BYTES (sb, "{\"op\":\"cache\",\"id\":3,\"export\":\"disk\","
               "\"offset\":4096,\"count\":512,\"flags\":0}\n");
  /* Round trip, without the LF. */
  CHECK_INT (nbdc_decode_request (sb.ptr, sb.len - 1, &req,
                                  &(struct nbdc_error) { 0 }), ==, 0);
  CHECK_INT (req.op, ==, NBDC_OP_CACHE);
  CHECK_U64 (req.id, ==, 3);
  CHECK_STR (req.u.cache.export, "disk");
  CHECK_U64 (req.u.cache.offset, ==, 4096);
  CHECK_U64 (req.u.cache.count, ==, 512);
  nbdc_request_free (&req);

  /* Encoders append. */
  sb.len = 0;
  CHECK_INT (nbdc_encode_simple_op (&sb, 7, NBDC_OP_EXPORTS), ==, 0);
  CHECK_INT (nbdc_encode_simple_op (&sb, 8, NBDC_OP_STATS), ==, 0);
  CHECK_BYTES (sb, "{\"op\":\"exports\",\"id\":7}\n"
               "{\"op\":\"stats\",\"id\":8}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_hello (&sb, 1, 1, "prog \"x\""), ==, 0);
  CHECK_BYTES (sb, "{\"op\":\"hello\",\"id\":1,\"client\":\"prog \\\"x\\\"\","
               "\"version\":1}\n");
  CHECK (sb.len < sizeof line);
  memcpy (line, sb.ptr, sb.len - 1);
  CHECK_INT (nbdc_decode_request (line, sb.len - 1, &req,
                                  &(struct nbdc_error) { 0 }), ==, 0);
  CHECK_INT (req.op, ==, NBDC_OP_HELLO);
  CHECK_STR (req.u.hello.client, "prog \"x\"");
  nbdc_request_free (&req);

  sb.len = 0;
  CHECK_INT (nbdc_encode_hello (&sb, 2, 1, NULL), ==, 0);
  CHECK_BYTES (sb, "{\"op\":\"hello\",\"id\":2,\"version\":1}\n");

  CHECK_STR (nbdc_op_name (NBDC_OP_HELLO), "hello");
  CHECK_STR (nbdc_op_name (NBDC_OP_EXPORTS), "exports");
  CHECK_STR (nbdc_op_name (NBDC_OP_CACHE), "cache");
  CHECK_STR (nbdc_op_name (NBDC_OP_STATS), "stats");
  CHECK (nbdc_op_name ((enum nbdc_op) 99) == NULL);
  strbuf_reset (&sb);
}

static void
test_encode_replies (void)
{
  strbuf sb = { 0 };
  struct nbdc_members m;
  strbuf members = { 0 };
  struct json_object *parsed;

  CHECK_INT (nbdc_encode_reply_cookie (&sb, 5, 9), ==, 0);
  CHECK_BYTES (sb, "{\"id\":5,\"cookie\":9,\"ok\":true}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_complete (&sb, 9, 5, 0, NULL), ==, 0);
  CHECK_BYTES (sb, "{\"event\":\"complete\",\"cookie\":9,\"id\":5,"
               "\"ok\":true}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_complete (&sb, 10, 6, EIO, "chunk at 0 failed"),
             ==, 0);
  CHECK_BYTES (sb, "{\"event\":\"complete\",\"cookie\":10,\"id\":6,"
               "\"ok\":false,\"error\":{\"errno\":\"EIO\","
               "\"message\":\"chunk at 0 failed\"}}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_complete (&sb, 11, 7, ENOTSUP, NULL), ==, 0);
  CHECK_BYTES (sb, "{\"event\":\"complete\",\"cookie\":11,\"id\":7,"
               "\"ok\":false,\"error\":{\"errno\":\"ENOTSUP\","
               "\"message\":\"\"}}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_error (&sb, 0, EINVAL, "bad \"json\""), ==, 0);
  CHECK_BYTES (sb, "{\"id\":null,\"ok\":false,\"error\":{\"errno\":\"EINVAL\","
               "\"message\":\"bad \\\"json\\\"\"}}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_error (&sb, 12, ENOENT, "no export"), ==, 0);
  CHECK_BYTES (sb, "{\"id\":12,\"ok\":false,\"error\":{\"errno\":\"ENOENT\","
               "\"message\":\"no export\"}}\n");

  /* errnum 0 is not an error: it is sent as EIO. */
  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_error (&sb, 13, 0, "?"), ==, 0);
  CHECK_BYTES (sb, "{\"id\":13,\"ok\":false,\"error\":{\"errno\":\"EIO\","
               "\"message\":\"?\"}}\n");

  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_cookie (&sb, 0, 1), ==, 0);
  CHECK_BYTES (sb, "{\"id\":null,\"cookie\":1,\"ok\":true}\n");

  /* Structured replies: members written with struct nbdc_members,
   * nested objects and arrays, spliced between "id" and "ok".
   */
  nbdc_members_start (&m, &members);
  nbdc_members_u64 (&m, "version", 1);
  nbdc_members_string (&m, "server", "a/b");
  nbdc_members_open (&m, "list", '[');
  nbdc_members_open (&m, NULL, '{');
  nbdc_members_i64 (&m, "pid", -7);
  nbdc_members_bool (&m, "up", true);
  nbdc_members_close (&m, '}');
  nbdc_members_u64 (&m, NULL, 2);
  nbdc_members_open (&m, NULL, '[');
  nbdc_members_close (&m, ']');
  nbdc_members_close (&m, ']');
  nbdc_members_open (&m, "e\"\n", '{');
  nbdc_members_close (&m, '}');
  nbdc_members_bool (&m, "last", false);
  CHECK_INT (m.failed, ==, false);
  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_members (&sb, 14, &members), ==, 0);
  CHECK_BYTES (sb, "{\"id\":14,\"version\":1,\"server\":\"a/b\","
               "\"list\":[{\"pid\":-7,\"up\":true},2,[]],"
               "\"e\\\"\\u000a\":{},\"last\":false,\"ok\":true}\n");
  parsed = json_tokener_parse (strbuf_cstr (&sb));
  CHECK_INT (parsed != NULL, ==, true);
  json_object_put (parsed);

  /* No members at all. */
  nbdc_members_start (&m, &members);
  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_members (&sb, 15, &members), ==, 0);
  CHECK_BYTES (sb, "{\"id\":15,\"ok\":true}\n");

  /* A writer that has failed writes nothing more. */
  nbdc_members_start (&m, &members);
  nbdc_members_u64 (&m, "a", 1);
  m.failed = true;
  nbdc_members_u64 (&m, "b", 2);
  nbdc_members_open (&m, "c", '{');
  nbdc_members_close (&m, '}');
  CHECK_INT (members.len, ==, strlen ("\"a\":1"));

  strbuf_reset (&members);
  strbuf_reset (&sb);
}

/* Encode S as a JSON string, check the exact bytes, then prove with
 * json-c that the output is valid JSON that decodes back to S.
 */
#define CHECK_JSON_STRING(s, expected)                                 \
  do {                                                                 \
    strbuf sb_ = { 0 };                                                \
    struct json_object *o_;                                            \
    CHECK_INT (nbdc_append_json_string (&sb_, (s)), ==, 0);            \
    CHECK_BYTES (sb_, (expected));                                     \
    o_ = json_tokener_parse (strbuf_cstr (&sb_));                      \
    CHECK (o_ != NULL);                                                \
    CHECK (json_object_is_type (o_, json_type_string));                \
    CHECK_STR (json_object_get_string (o_), (s));                      \
    json_object_put (o_);                                              \
    strbuf_reset (&sb_);                                               \
  } while (0)

static void
test_json_strings (void)
{
  char all[128];
  strbuf sb = { 0 };
  struct nbdc_message msg;
  struct nbdc_error err;
  struct json_object *o, *e, *v;
  size_t i;

  CHECK_JSON_STRING ("", "\"\"");
  CHECK_JSON_STRING ("disk0", "\"disk0\"");
  CHECK_JSON_STRING ("a\"b", "\"a\\\"b\"");
  CHECK_JSON_STRING ("a\\b", "\"a\\\\b\"");
  CHECK_JSON_STRING ("\\\"", "\"\\\\\\\"\"");
  CHECK_JSON_STRING ("tab\there\nnl", "\"tab\\u0009here\\u000anl\"");
  CHECK_JSON_STRING ("\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"");
  CHECK_JSON_STRING ("/slash/", "\"/slash/\"");
  CHECK_JSON_STRING ("\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\"");

  /* Every ASCII character from 1 to 127. */
  for (i = 1; i < 128; i++)
    all[i - 1] = (char) i;
  all[127] = '\0';
  CHECK_INT (nbdc_append_json_string (&sb, all), ==, 0);
  o = json_tokener_parse (strbuf_cstr (&sb));
  CHECK (o != NULL);
  CHECK_STR (json_object_get_string (o), all);
  json_object_put (o);
  for (i = 0; i < sb.len; i++)
    CHECK_INT ((unsigned char) sb.ptr[i], >=, 0x20);

  /* A hostile message inside a whole error event is still one valid
   * line of JSON, and survives our own decoder.
   */
  sb.len = 0;
  CHECK_INT (nbdc_encode_complete (&sb, 1, 2, EPERM, all), ==, 0);
  CHECK (memchr (sb.ptr, '\n', sb.len) == sb.ptr + sb.len - 1);
  o = json_tokener_parse (strbuf_cstr (&sb));
  CHECK (o != NULL);
  CHECK (json_object_object_get_ex (o, "error", &e));
  CHECK (json_object_object_get_ex (e, "message", &v));
  CHECK_STR (json_object_get_string (v), all);
  json_object_put (o);
  CHECK_INT (nbdc_decode_message (sb.ptr, sb.len - 1, &msg, &err), ==, 0);
  CHECK_INT (msg.errnum, ==, EPERM);
  CHECK_STR (msg.errmsg, all);
  nbdc_message_free (&msg);

  /* The same for an export name in a cache request. */
  sb.len = 0;
  CHECK_INT (nbdc_encode_cache (&sb, 1, "a\"\\\n\x01z", 0, 1, 0), ==, 0);
  {
    struct nbdc_request req;
    CHECK_INT (nbdc_decode_request (sb.ptr, sb.len - 1, &req, &err), ==, 0);
    CHECK_STR (req.u.cache.export, "a\"\\\n\x01z");
    nbdc_request_free (&req);
  }
  strbuf_reset (&sb);
}

/* Encode S, which is not valid UTF-8, as a JSON string and check the
 * exact bytes: each ill-formed part becomes one U+FFFD (EF BF BD), so
 * that the output is UTF-8 and JSON.
 */
#define FFFD "\xef\xbf\xbd"
#define CHECK_JSON_REPAIRED(s, expected)                               \
  do {                                                                 \
    strbuf sb_ = { 0 };                                                \
    struct json_object *o_;                                            \
    CHECK_INT (nbdc_append_json_string (&sb_, (s)), ==, 0);            \
    CHECK_BYTES (sb_, (expected));                                     \
    CHECK (nbdc_utf8_valid (sb_.ptr, sb_.len));                        \
    o_ = json_tokener_parse (strbuf_cstr (&sb_));                      \
    CHECK (o_ != NULL && json_object_is_type (o_, json_type_string));  \
    json_object_put (o_);                                              \
    strbuf_reset (&sb_);                                               \
  } while (0)

/* PROTOCOL.md section 1: every message is UTF-8.  The daemon quotes
 * text it did not check (a configuration line, a client name cut to
 * fit a buffer) in its messages; the encoder used to copy bytes above
 * 0x7f as they came.
 */
static void
test_json_strings_repaired (void)
{
  static const char bytes[] = "\x01\x22\x5c\x41\x7f\x80\xa0\xbf\xc2\xc3"
    "\xe0\xe2\xed\xf0\xf4\xf5\xff";
  char s[8], msg[512];
  strbuf sb = { 0 };
  struct nbdc_message m;
  struct nbdc_error err;
  size_t n;

  /* Characters cut short, at the end or before another. */
  CHECK_JSON_REPAIRED ("a\xc3", "\"a" FFFD "\"");
  CHECK_JSON_REPAIRED ("\xe2\x82", "\"" FFFD "\"");
  CHECK_JSON_REPAIRED ("\xe2\x82x", "\"" FFFD "x\"");
  CHECK_JSON_REPAIRED ("\xf0\x9f\x92", "\"" FFFD "\"");
  CHECK_JSON_REPAIRED ("\xf0\x9f\x92\xc3\xa9", "\"" FFFD "\xc3\xa9\"");
  CHECK_JSON_REPAIRED ("\xe2\x82\"", "\"" FFFD "\\\"\"");
  CHECK_JSON_REPAIRED ("\xc3\n", "\"" FFFD "\\u000a\"");

  /* Bytes that start nothing, and forms RFC 3629 forbids: one U+FFFD
   * for each byte that cannot continue what came before.
   */
  CHECK_JSON_REPAIRED ("\xff", "\"" FFFD "\"");
  CHECK_JSON_REPAIRED ("\x80\xbf", "\"" FFFD FFFD "\"");
  CHECK_JSON_REPAIRED ("\xc0\xaf", "\"" FFFD FFFD "\"");
  CHECK_JSON_REPAIRED ("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
  CHECK_JSON_REPAIRED ("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
  CHECK_JSON_REPAIRED ("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
  CHECK_JSON_REPAIRED ("caf\xc3\xa9\x80!", "\"caf\xc3\xa9" FFFD "!\"");
  CHECK_JSON_REPAIRED ("connections = \xff: must be 1 to 64",
                       "\"connections = " FFFD ": must be 1 to 64\"");

  /* Every string of one to three of BYTES comes out as UTF-8 that
   * json-c reads back.
   */
  for (size_t i = 0; i < sizeof bytes - 1; i++)
    for (size_t j = 0; j < sizeof bytes; j++)
      for (size_t k = 0; k < sizeof bytes; k++) {
        s[0] = bytes[i];
        s[1] = bytes[j];
        s[2] = j < sizeof bytes - 1 ? bytes[k] : '\0';
        s[3] = '\0';
        sb.len = 0;
        CHECK_INT (nbdc_append_json_string (&sb, s), ==, 0);
        if (!nbdc_utf8_valid (sb.ptr, sb.len))
          TEST_FAIL ("%02x %02x %02x: output is not UTF-8",
                     (unsigned char) s[0], (unsigned char) s[1],
                     (unsigned char) s[2]);
      }

  /* The review's reload reply: an error message cut by snprintf inside
   * a character still makes a line our own decoder takes.
   */
  n = (size_t) snprintf (msg, sizeof msg, "r.conf:3: connections = a");
  while (n + 2 < sizeof msg) {
    memcpy (msg + n, "\xc3\xa9", 2);
    n += 2;
  }
  msg[sizeof msg - 2] = '\0';            /* ends in a lone 0xc3 */
  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_error (&sb, 2, EINVAL, msg), ==, 0);
  CHECK (nbdc_utf8_valid (sb.ptr, sb.len));
  CHECK_INT (nbdc_decode_message (sb.ptr, sb.len - 1, &m, &err), ==, 0);
  CHECK_INT (m.errnum, ==, EINVAL);
  CHECK_INT (strlen (m.errmsg), ==, strlen (msg) - 1 + 3);   /* 0xc3 */
  CHECK (memcmp (m.errmsg, msg, strlen (msg) - 1) == 0);
  nbdc_message_free (&m);
  strbuf_reset (&sb);
}

/* Decode the C string JSON as a daemon message, which must succeed. */
#define DECODE_MSG_OK(json, msg)                                       \
  do {                                                                 \
    struct nbdc_error e_;                                              \
    if (nbdc_decode_message ((json), strlen (json), (msg), &e_) == -1) \
      TEST_FAIL ("decoding message %s failed: %s", (json), e_.message); \
  } while (0)

#define DECODE_MSG_ERR(json, xerrno)                                   \
  do {                                                                 \
    struct nbdc_message m_;                                            \
    struct nbdc_error e_ = { 0 };                                      \
    if (nbdc_decode_message ((json), strlen (json), &m_, &e_) != -1) { \
      nbdc_message_free (&m_);                                         \
      TEST_FAIL ("decoding message %s succeeded", (json));             \
      break;                                                           \
    }                                                                  \
    if (e_.errnum != (xerrno))                                         \
      TEST_FAIL ("decoding message %s: errno %s (%s), expected %s",    \
                 (json), nbdc_errno_name (e_.errnum), e_.message,      \
                 #xerrno);                                             \
  } while (0)

static void
test_decode_messages (void)
{
  struct nbdc_message msg;
  strbuf sb = { 0 };
  uint64_t u;
  struct nbdc_error err;

  /* A reply's own fields are read from ROOT.  (The cookie reply of a
   * cache request has ROOT NULL: see test-codec-fastpath.c.)
   */
  DECODE_MSG_OK ("{\"id\":5,\"version\":9,\"ok\":true}", &msg);
  CHECK_INT (msg.kind, ==, NBDC_MSG_REPLY);
  CHECK_U64 (msg.id, ==, 5);
  CHECK (msg.ok);
  CHECK_INT (nbdc_get_u64 (msg.root, "version", &u, &err), ==, 0);
  CHECK_U64 (u, ==, 9);
  CHECK_INT (nbdc_get_u64 (msg.root, "nope", &u, &err), ==, -1);
  CHECK_INT (err.errnum, ==, EPROTO);
  nbdc_message_free (&msg);
  CHECK (msg.root == NULL);

  DECODE_MSG_OK ("{\"id\":null,\"ok\":false,\"error\":{\"errno\":\"EINVAL\","
                 "\"message\":\"bad\"}}", &msg);
  CHECK_INT (msg.kind, ==, NBDC_MSG_REPLY);
  CHECK_U64 (msg.id, ==, 0);
  CHECK (!msg.ok);
  CHECK_INT (msg.errnum, ==, EINVAL);
  CHECK_STR (msg.errmsg, "bad");
  nbdc_message_free (&msg);

  /* An errno name this build does not know decodes as EINVAL; a
   * missing message as "".
   */
  DECODE_MSG_OK ("{\"id\":3,\"ok\":false,\"error\":{\"errno\":\"EFUTURE\"}}",
                 &msg);
  CHECK_INT (msg.errnum, ==, EINVAL);
  CHECK_STR (msg.errmsg, "");
  nbdc_message_free (&msg);

  DECODE_MSG_OK ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":true}",
                 &msg);
  CHECK_INT (msg.kind, ==, NBDC_MSG_EVENT_COMPLETE);
  CHECK_U64 (msg.cookie, ==, 9);
  CHECK_U64 (msg.id, ==, 5);
  CHECK (msg.ok);
  nbdc_message_free (&msg);

  /* What the encoder writes, the decoder reads. */
  CHECK_INT (nbdc_encode_complete (&sb, 77, 66, ETIMEDOUT, "slow"), ==, 0);
  CHECK_INT (nbdc_decode_message (sb.ptr, sb.len - 1, &msg, &err), ==, 0);
  CHECK_INT (msg.kind, ==, NBDC_MSG_EVENT_COMPLETE);
  CHECK_U64 (msg.cookie, ==, 77);
  CHECK_U64 (msg.id, ==, 66);
  CHECK (!msg.ok);
  CHECK_INT (msg.errnum, ==, ETIMEDOUT);
  CHECK_STR (msg.errmsg, "slow");
  nbdc_message_free (&msg);
  sb.len = 0;
  CHECK_INT (nbdc_encode_reply_error (&sb, 0, EMSGSIZE, "long"), ==, 0);
  CHECK_INT (nbdc_decode_message (sb.ptr, sb.len - 1, &msg, &err), ==, 0);
  CHECK_INT (msg.kind, ==, NBDC_MSG_REPLY);
  CHECK_U64 (msg.id, ==, 0);
  CHECK_INT (msg.errnum, ==, EMSGSIZE);
  nbdc_message_free (&msg);
  strbuf_reset (&sb);

  /* Events from a newer daemon are passed on as unknown, whatever
   * else they contain.
   */
  DECODE_MSG_OK ("{\"event\":\"progress\",\"cookie\":1,\"done\":50}", &msg);
  CHECK_INT (msg.kind, ==, NBDC_MSG_EVENT_UNKNOWN);
  nbdc_message_free (&msg);
  DECODE_MSG_OK ("{\"event\":42}", &msg);
  CHECK_INT (msg.kind, ==, NBDC_MSG_EVENT_UNKNOWN);
  nbdc_message_free (&msg);
  DECODE_MSG_OK ("{\"event\":\"Complete\"}", &msg);
  CHECK_INT (msg.kind, ==, NBDC_MSG_EVENT_UNKNOWN);
  nbdc_message_free (&msg);

  /* Broken messages. */
  DECODE_MSG_ERR ("{\"id\":5,\"cookie\":9}", EPROTO);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":1}", EPROTO);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":\"true\"}", EPROTO);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":false}", EPROTO);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":false,\"error\":\"EIO\"}", EPROTO);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":false,\"error\":{\"errno\":5}}", EPROTO);
  DECODE_MSG_ERR ("{\"ok\":true}", EPROTO);
  DECODE_MSG_ERR ("{\"event\":\"complete\",\"id\":5,\"ok\":true}", EPROTO);
  DECODE_MSG_ERR ("{\"event\":\"complete\",\"cookie\":5,\"ok\":true}", EPROTO);
  DECODE_MSG_ERR ("{\"event\":\"complete\",\"cookie\":1,\"id\":5}", EPROTO);
  DECODE_MSG_ERR ("{\"id\":-5,\"ok\":true}", EINVAL);
  DECODE_MSG_ERR ("{\"id\":\"5\",\"ok\":true}", EINVAL);
  DECODE_MSG_ERR ("{\"id\":18446744073709551616,\"ok\":true}", ERANGE);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":true", EINVAL);
  DECODE_MSG_ERR ("[{\"id\":5,\"ok\":true}]", EINVAL);
  DECODE_MSG_ERR ("{\"id\":5,\"ok\":true} {}", EINVAL);
}

static void
test_errno_names (void)
{
  static const int errnums[] = {
    EPERM, ENOENT, EIO, ENOMEM, EACCES, EINVAL, ENOSPC, ERANGE, ENOSYS,
    EPROTO, EOVERFLOW, EMSGSIZE, EPROTONOSUPPORT, ENOTSUP, ENOTCONN,
    ESHUTDOWN, ETIMEDOUT, ECONNREFUSED, ENAMETOOLONG, EBUSY, EAGAIN,
  };
  size_t i;

  for (i = 0; i < sizeof errnums / sizeof errnums[0]; i++) {
    const char *name = nbdc_errno_name (errnums[i]);
    CHECK (name != NULL);
    CHECK_PREFIX (name, "E");
    CHECK_INT (nbdc_errno_from_name (name), ==, errnums[i]);
  }
  CHECK_STR (nbdc_errno_name (ENOENT), "ENOENT");
  CHECK_STR (nbdc_errno_name (ENOTCONN), "ENOTCONN");
  CHECK_STR (nbdc_errno_name (ENOTSUP), "ENOTSUP");
  CHECK_INT (nbdc_errno_from_name ("ENOTSUP"), ==, ENOTSUP);
  /* An errno with no name is sent as EIO. */
  CHECK_STR (nbdc_errno_name (0), "EIO");
  CHECK_STR (nbdc_errno_name (9999), "EIO");
  CHECK_STR (nbdc_errno_name (-1), "EIO");
  /* A name with no errno is received as EINVAL. */
  CHECK_INT (nbdc_errno_from_name ("EWHATEVER"), ==, EINVAL);
  CHECK_INT (nbdc_errno_from_name (""), ==, EINVAL);
  CHECK_INT (nbdc_errno_from_name ("eio"), ==, EINVAL);
  CHECK_INT (nbdc_errno_from_name ("EIO "), ==, EINVAL);
}

int
main (void)
{
  test_decode_valid ();
  test_decode_json_errors ();
  test_decode_field_errors ();
  test_encode_requests ();
  test_encode_replies ();
  test_json_strings ();
  test_json_strings_repaired ();
  test_decode_messages ();
  test_errno_names ();
  if (TEST_EXIT_STATUS == EXIT_SUCCESS)
    printf ("test-codec: ok\n");
  return TEST_EXIT_STATUS;
}
