/* nbdcached tests: the decoders' fast path (proto/flat.c) decides
 * nothing the full json-c path would decide differently.
 *
 * Every input is decoded twice, with the fast path and with
 * nbdc_fastpath_disabled, and the outcomes must be identical: return
 * value, errno and message on failure; op, id, fields and strings of a
 * request; kind, id, cookie, ok, errno and message of a daemon message.
 * Each listed input also says which path must decode it, so that the
 * test cannot pass with a fast path that takes nothing, and one that
 * must fall back is seen to.  Mutations of the canonical messages then
 * look for what the lists forgot.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec-compare.h"

/* Pure functions: report every failed check, not just the first. */
#define TEST_KEEP_GOING
#include "test-util.h"

/* Which path must decode an input; FULL also for inputs that fail. */
enum path { FULL, FAST };

struct input {
  const char *s;
  size_t len;
  enum path path;
};

/* A string literal, NUL bytes included. */
#define IN(lit, path) { lit, sizeof lit - 1, path }

/* The fast path's favourite: a cache request as the library sends it,
 * with export "d" and REST more members.
 */
#define CACHE(id, offset, count, rest)                                 \
  "{\"op\":\"cache\",\"id\":" id ",\"export\":\"d\",\"offset\":" offset \
  ",\"count\":" count rest "}"
#define EXPORT(name) \
  "{\"op\":\"cache\",\"id\":1,\"export\":\"" name "\",\"offset\":0,\"count\":1}"

static const struct input requests[] = {
  /* Every op, canonical. */
  IN ("{\"op\":\"cache\",\"id\":12345,\"export\":\"bench\","
      "\"offset\":123456789,\"count\":65536}", FAST),
  IN (CACHE ("1", "0", "1", ",\"flags\":0"), FAST),
  IN (CACHE ("1", "0", "1", ",\"flags\":4294967296"), FAST),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"me\"}", FAST),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1}", FAST),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"\"}", FAST),
  IN ("{\"op\":\"exports\",\"id\":3}", FAST),
  IN ("{\"op\":\"stats\",\"id\":3}", FAST),
  IN ("{\"op\":\"clients\",\"id\":3}", FAST),
  IN ("{\"op\":\"reload\",\"id\":3}", FAST),
  IN ("{\"op\":\"pause\",\"id\":3,\"export\":\"disk0\"}", FAST),
  IN ("{\"op\":\"resume\",\"id\":3,\"export\":\"disk0\"}", FAST),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":\"\",\"offset\":0,\"count\":1}",
      FAST),

  /* Blanks. */
  IN (" { \"op\" : \"cache\" , \"id\" : 7 , \"export\" : \"d\" , "
      "\"offset\" : 0 , \"count\" : 1 } ", FAST),
  IN ("\t{\t\"op\":\t\"stats\"\t,\"id\":1\t}\t", FAST),
  IN ("{\"op\":\"stats\",\"id\":1}\r", FAST),
  IN ("{\"op\":\"stats\",\"id\":1} \t\r \r", FAST),
  IN ("{\"op\":\"stats\",\"id\":1}\n", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}\r\n", FULL),
  IN ("\n{\"op\":\"stats\",\"id\":1}", FULL),
  IN ("\r{\"op\":\"stats\",\"id\":1}", FULL),
  IN ("{\n\"op\":\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\r\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}\v", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}\f", FULL),
  IN ("\v{\"op\":\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1 }\r\r\n", FULL),
  IN ("", FULL),
  IN (" ", FULL),
  IN ("\r", FULL),

  /* Numbers at the edges. */
  IN (CACHE ("1", "0", "0", ""), FAST),
  IN (CACHE ("999999999999999999", "999999999999999999",
             "999999999999999999", ",\"flags\":999999999999999999"), FAST),
  IN (CACHE ("1000000000000000000", "0", "1", ""), FULL),
  IN (CACHE ("1", "1000000000000000000", "1", ""), FULL),
  IN (CACHE ("9223372036854775807", "9223372036854775807",
             "9223372036854775807", ""), FULL),
  IN (CACHE ("9223372036854775808", "0", "1", ""), FULL),
  IN (CACHE ("1", "9223372036854775808", "1", ""), FULL),
  IN (CACHE ("1", "0", "18446744073709551615", ""), FULL),
  IN (CACHE ("1", "0", "18446744073709551616", ""), FULL),
  IN (CACHE ("1", "0", "99999999999999999999999999", ""), FULL),
  IN (CACHE ("0", "0", "1", ""), FULL),
  IN (CACHE ("00", "0", "1", ""), FULL),
  IN (CACHE ("01", "0", "1", ""), FULL),
  IN (CACHE ("1", "00", "1", ""), FULL),
  IN (CACHE ("1", "007", "1", ""), FULL),
  IN (CACHE ("1", "0000000000000000001", "1", ""), FULL),
  IN (CACHE ("-1", "0", "1", ""), FULL),
  IN (CACHE ("1", "-0", "1", ""), FULL),
  IN (CACHE ("1", "-1", "1", ""), FULL),
  IN (CACHE ("1", "+1", "1", ""), FULL),
  IN (CACHE ("1", "1.0", "1", ""), FULL),
  IN (CACHE ("1", "1.", "1", ""), FULL),
  IN (CACHE ("1", ".5", "1", ""), FULL),
  IN (CACHE ("1", "1e3", "1", ""), FULL),
  IN (CACHE ("1", "1E3", "1", ""), FULL),
  IN (CACHE ("1", "0e0", "1", ""), FULL),
  IN (CACHE ("1", "1x", "1", ""), FULL),
  IN (CACHE ("1", "0x10", "1", ""), FULL),
  IN (CACHE ("1", "NaN", "1", ""), FULL),
  IN (CACHE ("1", "Infinity", "1", ""), FULL),
  IN (CACHE ("1.5", "0", "1", ""), FULL),
  IN (CACHE ("1 2", "0", "1", ""), FULL),

  /* Literals in the wrong place, and broken ones. */
  IN (CACHE ("1", "0", "1", ",\"flags\":true"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":false"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":null"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":True"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":tru"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":truex"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":falsey"), FULL),
  IN (CACHE ("true", "0", "1", ""), FULL),
  IN (CACHE ("null", "0", "1", ""), FULL),

  /* Strings: escapes, control characters, UTF-8. */
  IN (EXPORT ("a\\\"b"), FULL),
  IN (EXPORT ("a\\\\b"), FULL),
  IN (EXPORT ("a\\/b"), FULL),
  IN (EXPORT ("d\\u00e9"), FULL),
  IN (EXPORT ("\\u0064"), FULL),
  IN (EXPORT ("d\\u0000x"), FULL),
  IN (EXPORT ("\\ud800"), FULL),
  IN (EXPORT ("\\ud83d\\udcbe"), FULL),
  IN (EXPORT ("a\\nb"), FULL),
  IN (EXPORT ("a\\x"), FULL),
  IN (EXPORT ("a\\"), FULL),
  IN (EXPORT ("a\tb"), FULL),
  IN (EXPORT ("a\nb"), FULL),
  IN (EXPORT ("a\rb"), FULL),
  IN (EXPORT ("a\x01" "b"), FULL),
  IN (EXPORT ("a\x1f" "b"), FULL),
  IN (EXPORT ("a\0b"), FULL),
  IN (EXPORT ("a\x7f" "b"), FAST),
  IN (EXPORT ("a b ~{}[]:,'"), FAST),
  IN (EXPORT ("caf\xc3\xa9"), FAST),
  IN (EXPORT ("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"), FAST),
  IN (EXPORT ("\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"), FAST),
  IN (EXPORT ("\xf0\x9f\x92\xbe"), FAST),
  IN (EXPORT ("\xc3"), FULL),
  IN (EXPORT ("\xc3x"), FULL),
  IN (EXPORT ("\x80"), FULL),
  IN (EXPORT ("\xbf"), FULL),
  IN (EXPORT ("\xc0\x80"), FULL),
  IN (EXPORT ("\xc1\xbf"), FULL),
  IN (EXPORT ("\xe0\x80\x80"), FULL),
  IN (EXPORT ("\xe0\x9f\xbf"), FULL),
  IN (EXPORT ("\xed\xa0\x80"), FULL),
  IN (EXPORT ("\xed\xbf\xbf"), FULL),
  IN (EXPORT ("\xf0\x80\x80\x80"), FULL),
  IN (EXPORT ("\xf0\x8f\xbf\xbf"), FULL),
  IN (EXPORT ("\xf4\x90\x80\x80"), FULL),
  IN (EXPORT ("\xf5\x80\x80\x80"), FULL),
  IN (EXPORT ("\xff"), FULL),
  IN (EXPORT ("\xe2\x82"), FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":\"d\",\"offset\":0,"
      "\"count\":1}\xc3\xa9", FULL),
  IN ("{\"op\":\"cache\",\"id\":1\xc3\xa9,\"export\":\"d\",\"offset\":0,"
      "\"count\":1}", FULL),
  IN ("\xef\xbb\xbf{\"op\":\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"\xc3\xa9\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"\xc3\":1}", FULL),
  IN ("{\"op\":\"sta\\u0074s\",\"id\":1}", FULL),
  IN ("{\"\\u006fp\":\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"ex\\u0070ort\":\"d\",\"offset\":0,"
      "\"count\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"a\tb\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"a\0b\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"\x1f\":1}", FULL),
  IN ("{\"op\":\"st\tats\",\"id\":1}", FULL),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"a\x01\"}",
      FULL),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"\\\"\r\"}",
      FULL),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"\\\\\"\r}",
      FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"x\":[\"\x02\"]}", FULL),
  IN ("{\"op\":\"stats\",\"id\":2,\"id\\u0000x\":3}", FULL),
  IN ("{\"op\":\"stats\",\"id\\u0000\" :2,\"id\":3}", FULL),
  IN ("{\"op\\u0000\":\"cache\",\"op\":\"stats\",\"id\":1}", FULL),
  IN (CACHE ("1", "0", "1", ",\"count\\u0000\":2"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\\u0000junk\":0"), FULL),
  IN (CACHE ("1", "0", "1", ",\"x\":[\"\\u0000\"]"), FULL),
  IN ("{\"op\":'stats',\"id\":1}", FULL),
  IN ("{'op':\"stats\",\"id\":1}", FULL),
  IN ("{op:\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats,\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"x\":\"", FULL),

  /* Duplicate, unknown, empty, mistyped and missing members. */
  IN ("{\"op\":\"stats\",\"id\":1,\"id\":2}", FULL),
  IN ("{\"op\":\"stats\",\"id\":0,\"id\":2}", FULL),
  IN ("{\"op\":\"stats\",\"op\":\"exports\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"op\":\"nope\",\"id\":1}", FULL),
  IN (CACHE ("1", "0", "1", ",\"export\":\"e\""), FULL),
  IN (CACHE ("1", "0", "1", ",\"count\":\"e\""), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":0,\"flags\":1"), FULL),
  IN (CACHE ("1", "0", "1", ",\"foo\":1"), FULL),
  IN (CACHE ("1", "0", "1", ",\"foo\":\"x\""), FULL),
  IN (CACHE ("1", "0", "1", ",\"\":1"), FULL),
  IN (CACHE ("1", "0", "1", ",\"Flags\":1"), FULL),
  IN (CACHE ("1", "0", "1", ",\"version\":1"), FULL),
  IN (CACHE ("1", "0", "1", ",\"a\":1,\"b\":2,\"c\":3"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":0,\"a\":1,\"b\":2,\"c\":3"), FULL),
  IN (CACHE ("1", "\"0\"", "1", ""), FULL),
  IN (CACHE ("\"1\"", "0", "1", ""), FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":7,\"offset\":0,\"count\":1}",
      FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":true,\"offset\":0,\"count\":1}",
      FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"offset\":0,\"count\":1}", FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":\"d\",\"count\":1}", FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":\"d\",\"offset\":0}", FULL),
  IN ("{\"op\":\"cache\",\"export\":\"d\",\"offset\":0,\"count\":1}", FULL),
  IN ("{\"id\":1,\"export\":\"d\",\"offset\":0,\"count\":1}", FULL),
  IN ("{\"op\":\"hello\",\"id\":1}", FULL),
  IN ("{\"op\":\"hello\",\"id\":1,\"client\":\"me\"}", FULL),
  IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":1}", FULL),
  IN ("{\"op\":\"pause\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"export\":\"d\"}", FULL),
  IN ("{\"op\":\"stats\"}", FULL),
  IN ("{\"id\":1}", FULL),
  IN ("{\"op\":1,\"id\":1}", FULL),
  IN ("{\"op\":true,\"id\":1}", FULL),
  IN ("{\"op\":null,\"id\":1}", FULL),
  IN ("{\"op\":\"\",\"id\":1}", FULL),
  IN ("{\"op\":\"Stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats \",\"id\":1}", FULL),
  IN ("{\"op\":\"statsx\",\"id\":1}", FULL),
  IN ("{\"op\":\"stat\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":null}", FULL),
  IN ("{\"op\":\"stats\",\"id\":true}", FULL),
  IN ("{\"op\":\"stats\",\"id\":-5}", FULL),
  IN ("{\"op\":\"stats\",\"id\":\"5\"}", FULL),

  /* Nesting and other shapes. */
  IN (CACHE ("1", "0", "1", ",\"flags\":{}"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":[]"), FULL),
  IN (CACHE ("1", "0", "1", ",\"flags\":[0]"), FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":{\"a\":1},\"offset\":0,"
      "\"count\":1}", FULL),
  IN ("{\"op\":\"cache\",\"id\":1,\"export\":[\"d\"],\"offset\":0,"
      "\"count\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,\"x\":[[[[[[[[[[1]]]]]]]]]]}", FULL),
  IN ("{}", FULL),
  IN ("{ }", FULL),
  IN ("[]", FULL),
  IN ("[{\"op\":\"stats\",\"id\":1}]", FULL),
  IN ("\"op\"", FULL),
  IN ("1", FULL),
  IN ("null", FULL),
  IN ("{", FULL),
  IN ("}", FULL),
  IN ("{\"op\"", FULL),
  IN ("{\"op\":", FULL),
  IN ("{\"op\":\"stats\"", FULL),
  IN ("{\"op\":\"stats\",", FULL),
  IN ("{\"op\":\"stats\",\"id\":1", FULL),
  IN ("{\"op\":\"stats\",\"id\":1,}", FULL),
  IN ("{,\"op\":\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",,\"id\":1}", FULL),
  IN ("{\"op\" \"stats\",\"id\":1}", FULL),
  IN ("{\"op\"::\"stats\",\"id\":1}", FULL),
  IN ("{\"op\":\"stats\" \"id\":1}", FULL),
  IN ("{\"op\":\"stats\";\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}x", FULL),
  IN ("{\"op\":\"stats\",\"id\":1} x", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}{}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1},", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}/", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}//c", FULL),
  IN ("{\"op\":\"stats\",/*c*/\"id\":1}", FULL),
  IN ("{\"op\":\"stats\",\"id\":1}\0", FULL),
  IN ("{\"op\":\"stats\",\"id\":1\0}", FULL),
  IN ("\0{\"op\":\"stats\",\"id\":1}", FULL),
};

/* Daemon messages. */
static const struct input messages[] = {
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true}", FAST),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":true}", FAST),
  IN ("{\"id\":0,\"cookie\":0,\"ok\":true}", FAST),
  IN ("{\"event\":\"complete\",\"cookie\":0,\"id\":0,\"ok\":true}", FAST),
  IN ("{\"id\":999999999999999999,\"cookie\":999999999999999999,"
      "\"ok\":true}", FAST),
  IN (" {\"ok\" : true ,\t\"id\":5,\"cookie\":9 }\r", FAST),
  IN ("{\"id\":1000000000000000000,\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":1000000000000000000,\"ok\":true}", FULL),
  IN ("{\"id\":9223372036854775808,\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9223372036854775807,\"id\":5,"
      "\"ok\":true}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9223372036854775808,\"id\":5,"
      "\"ok\":true}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":18446744073709551616,"
      "\"ok\":true}", FULL),
  IN ("{\"id\":null,\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":\"9\",\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":-1,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":1.5,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":null,\"ok\":true}", FULL),
  IN ("{\"id\":-5,\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"id\":\"5\",\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"id\":05,\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":1}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":\"true\"}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":null}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":True}", FULL),
  IN ("{\"id\":5,\"cookie\":9}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":false}", FULL),
  IN ("{\"id\":5,\"ok\":false,\"error\":{\"errno\":\"ENOENT\","
      "\"message\":\"no export named \\\"x\\\"\"}}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,\"error\":{\"errno\":\"EIO\"}}",
      FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,\"x\":1}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":false,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,\"ok\":false}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"cookie\":8,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"id\":6,\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true}x", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true}\n", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true}\0", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":false,"
      "\"error\":{\"errno\":\"ETIMEDOUT\",\"message\":\"slow\"}}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":false}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5}", FULL),
  IN ("{\"event\":\"complete\",\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"ok\":true}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":\"9\",\"id\":5,\"ok\":true}",
      FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":null,\"ok\":true}", FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":true,"
      "\"x\":1}", FULL),
  IN ("{\"event\":\"complete\",\"event\":\"complete\",\"cookie\":9,"
      "\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"progress\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"Complete\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"completed\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"complet\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"compl\\u0065te\",\"cookie\":9,\"id\":5,\"ok\":true}",
      FULL),
  IN ("{\"event\":42,\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":true,\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":null,\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"\xc3\xa9\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"\xc3\",\"cookie\":9,\"id\":5,\"ok\":true}", FULL),
  IN ("{\"event\":\"compl\tete\",\"cookie\":9,\"id\":5,\"ok\":true}",
      FULL),
  IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":false,"
      "\"error\":{\"errno\":\"EIO\",\"message\":\"a\tb\"}}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,\"\x1f\":1}", FULL),
  IN ("{\"id\":5,\"cookie\":9,\"ok\":true,\"ok\\u0000\":false}", FULL),
  IN ("{\"id\":5,\"ok\":false,\"error\":{\"errno\":\"EIO\","
      "\"message\":\"x\",\"message\\u0000\":\"y\"}}", FULL),
  IN ("{\"id\":5,\"version\":1,\"server\":\"nbdcached 1\","
      "\"max_message\":65536,\"ok\":true}", FULL),
  IN ("{\"id\":5,\"exports\":[],\"ok\":true}", FULL),
  IN ("{\"id\":5,\"ok\":true}", FULL),
  IN ("{}", FULL),
  IN ("[]", FULL),
  IN ("", FULL),
};

/* LEN bytes at S, quoted for a failure message (one at a time). */
static const char *
show (const char *s, size_t len)
{
  static char buf[512];
  size_t n = 0;

  for (size_t i = 0; i < len && n < sizeof buf - 8; i++) {
    unsigned char c = (unsigned char) s[i];

    if (c >= 0x20 && c < 0x7f)
      buf[n++] = (char) c;
    else
      n += (size_t) snprintf (buf + n, sizeof buf - n, "\\x%02x", c);
  }
  if (n >= sizeof buf - 8)
    strcpy (buf + n, "...");
  else
    buf[n] = '\0';
  return buf;
}

static bool
same_error (const struct nbdc_error *a, const struct nbdc_error *b)
{
  return a->errnum == b->errnum && strcmp (a->message, b->message) == 0;
}

/* Decode LINE as a request on both paths and check that the outcomes
 * agree.  Returns true if the fast path decoded it.
 */
static bool
compare_request (const char *line, size_t len)
{
  struct nbdc_request a, b;
  struct nbdc_error ea = { 0 }, eb = { 0 };
  int ra, rb;
  bool fast;

  ra = nbdc_decode_request (line, len, &a, &ea);
  nbdc_fastpath_disabled = true;
  rb = nbdc_decode_request (line, len, &b, &eb);
  nbdc_fastpath_disabled = false;
  fast = ra == 0 && a.root == NULL;

  if (ra != rb)
    TEST_FAIL ("request %s: fast path returns %d, full path %d (%s)",
               show (line, len), ra, rb, ra ? ea.message : eb.message);
  else if (ra == -1) {
    if (!same_error (&ea, &eb) || a.id != b.id || a.op != b.op)
      TEST_FAIL ("request %s: errors differ: %d \"%s\" (id %llu) "
                 "vs %d \"%s\" (id %llu)", show (line, len),
                 ea.errnum, ea.message, (unsigned long long) a.id,
                 eb.errnum, eb.message, (unsigned long long) b.id);
  }
  else {
    if (!same_request (&a, &b))
      TEST_FAIL ("request %s: decoded differently", show (line, len));
    if (b.root == NULL)
      TEST_FAIL ("request %s: no root with the fast path disabled",
                 show (line, len));
  }
  if (ra == 0)
    nbdc_request_free (&a);
  if (rb == 0)
    nbdc_request_free (&b);
  return fast;
}

/* Do two decoded messages say the same? */
static bool
same_message (const struct nbdc_message *a, const struct nbdc_message *b)
{
  return a->kind == b->kind && a->id == b->id && a->cookie == b->cookie &&
    a->ok == b->ok && a->errnum == b->errnum &&
    same_string (a->errmsg, b->errmsg);
}

/* As compare_request, for a daemon message. */
static bool
compare_message (const char *line, size_t len)
{
  struct nbdc_message a, b;
  struct nbdc_error ea = { 0 }, eb = { 0 };
  int ra, rb;
  bool fast;

  ra = nbdc_decode_message (line, len, &a, &ea);
  nbdc_fastpath_disabled = true;
  rb = nbdc_decode_message (line, len, &b, &eb);
  nbdc_fastpath_disabled = false;
  fast = ra == 0 && a.root == NULL;

  if (ra != rb)
    TEST_FAIL ("message %s: fast path returns %d, full path %d (%s)",
               show (line, len), ra, rb, ra ? ea.message : eb.message);
  else if (ra == -1) {
    if (!same_error (&ea, &eb))
      TEST_FAIL ("message %s: errors differ: %d \"%s\" vs %d \"%s\"",
                 show (line, len), ea.errnum, ea.message,
                 eb.errnum, eb.message);
  }
  else {
    if (!same_message (&a, &b))
      TEST_FAIL ("message %s: decoded differently", show (line, len));
    if (b.root == NULL)
      TEST_FAIL ("message %s: no root with the fast path disabled",
                 show (line, len));
  }
  if (ra == 0)
    nbdc_message_free (&a);
  if (rb == 0)
    nbdc_message_free (&b);
  return fast;
}

typedef bool (*compare_fn) (const char *line, size_t len);

/* Compare LINE on both paths; PATH must have decoded it. */
static void
check (compare_fn compare, const char *line, size_t len, enum path path)
{
  bool fast = compare (line, len);

  if (fast != (path == FAST))
    TEST_FAIL ("%s: expected the %s path", show (line, len),
               path == FAST ? "fast" : "full");
}

static void
test_lists (void)
{
  for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++)
    check (compare_request, requests[i].s, requests[i].len, requests[i].path);
  for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
    check (compare_message, messages[i].s, messages[i].len, messages[i].path);
}

/* Export names at the size of req->strings, and messages at the
 * protocol's size limit.
 */
static void
test_lengths (void)
{
  static char line[NBDC_MAX_MESSAGE + 64];
  char name[NBDC_MAX_EXPORT_NAME + 2];
  int n;

  memset (name, 'x', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  n = snprintf (line, sizeof line, EXPORT ("%s"), name + 1);
  check (compare_request, line, (size_t) n, FAST);      /* 255 bytes */
  n = snprintf (line, sizeof line, EXPORT ("%s"), name);
  check (compare_request, line, (size_t) n, FULL);      /* 256 bytes */
  n = snprintf (line, sizeof line,
                "{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"%s\"}",
                name);
  check (compare_request, line, (size_t) n, FULL);

  /* Pad with trailing blanks to NBDC_MAX_MESSAGE - 1 and to
   * NBDC_MAX_MESSAGE bytes.
   */
  n = snprintf (line, sizeof line, "{\"op\":\"stats\",\"id\":1}");
  memset (line + n, ' ', sizeof line - (size_t) n);
  check (compare_request, line, NBDC_MAX_MESSAGE - 1, FAST);
  check (compare_request, line, NBDC_MAX_MESSAGE, FULL);
  n = snprintf (line, sizeof line, "{\"id\":5,\"cookie\":9,\"ok\":true}");
  memset (line + n, ' ', sizeof line - (size_t) n);
  check (compare_message, line, NBDC_MAX_MESSAGE - 1, FAST);
  check (compare_message, line, NBDC_MAX_MESSAGE, FULL);
}

/* What the encoders write, minus the LF, takes the fast path unless a
 * string needs an escape.
 */
static void
test_encoders (void)
{
  static const char *names[] = {
    "d", "disk0", "caf\xc3\xa9", "a b", "", "a\"b", "a\\b", "a\nb", "\x01",
  };
  strbuf sb = { 0 };

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    enum path path = strpbrk (names[i], "\"\\\n\x01") ? FULL : FAST;

    sb.len = 0;
    CHECK (nbdc_encode_cache (&sb, 77, names[i], 4096, 65536, 0) == 0);
    check (compare_request, sb.ptr, sb.len - 1, path);
    sb.len = 0;
    CHECK (nbdc_encode_export_op (&sb, 78, NBDC_OP_PAUSE, names[i]) == 0);
    check (compare_request, sb.ptr, sb.len - 1, path);
    sb.len = 0;
    CHECK (nbdc_encode_hello (&sb, 1, 1, names[i]) == 0);
    check (compare_request, sb.ptr, sb.len - 1, path);
  }
  sb.len = 0;
  CHECK (nbdc_encode_simple_op (&sb, 5, NBDC_OP_STATS) == 0);
  check (compare_request, sb.ptr, sb.len - 1, FAST);

  sb.len = 0;
  CHECK (nbdc_encode_reply_cookie (&sb, 12345, 12345) == 0);
  check (compare_message, sb.ptr, sb.len - 1, FAST);
  sb.len = 0;
  CHECK (nbdc_encode_reply_cookie (&sb, 0, 12345) == 0);    /* "id":null */
  check (compare_message, sb.ptr, sb.len - 1, FULL);
  sb.len = 0;
  CHECK (nbdc_encode_complete (&sb, 12345, 12345, 0, NULL) == 0);
  check (compare_message, sb.ptr, sb.len - 1, FAST);
  sb.len = 0;
  CHECK (nbdc_encode_complete (&sb, 12345, 12345, EIO, "bad") == 0);
  check (compare_message, sb.ptr, sb.len - 1, FULL);
  sb.len = 0;
  CHECK (nbdc_encode_reply_error (&sb, 5, ENOENT, "none") == 0);
  check (compare_message, sb.ptr, sb.len - 1, FULL);
  strbuf_reset (&sb);
}

/* Members in every order, with blanks that vary with the order. */
static const char *const cache_members[] = {
  "\"op\":\"cache\"", "\"id\":12345", "\"export\":\"bench\"",
  "\"offset\":123456789", "\"count\":65536", "\"flags\":0",
};
static const char *const event_members[] = {
  "\"event\":\"complete\"", "\"cookie\":9", "\"id\":5", "\"ok\":true",
};

/* Check every order of the first N of MEMBERS[] after the K placed in
 * ORDER[], which has room for all.
 */
static void
permute (compare_fn compare, const char *const *members, size_t n,
         size_t *order, size_t k)
{
  static const char *const blanks[] = { "", " ", "\t", " \t " };
  char line[512];
  size_t len = 0;

  if (k == n) {
    line[len++] = '{';
    for (size_t i = 0; i < n; i++) {
      len += (size_t) snprintf (line + len, sizeof line - len, "%s%s%s%s",
                                i ? "," : "", blanks[(order[i] + i) % 4],
                                members[order[i]], blanks[order[i] % 4]);
    }
    line[len++] = '}';
    check (compare, line, len, FAST);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    size_t j;

    for (j = 0; j < k && order[j] != i; j++)
      ;
    if (j < k)
      continue;                 /* already placed */
    order[k] = i;
    permute (compare, members, n, order, k + 1);
  }
}

static void
test_orders (void)
{
  size_t order[6];

  permute (compare_request, cache_members, 6, order, 0);
  permute (compare_request, cache_members, 5, order, 0);
  permute (compare_message, event_members, 4, order, 0);
  permute (compare_message, event_members + 1, 3, order, 0);
}

/* A small, fixed pseudo-random sequence (xorshift64). */
static uint32_t
rnd (void)
{
  static uint64_t x = 0x9e3779b97f4a7c15;

  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return (uint32_t) (x >> 32);
}

/* Bytes that matter to JSON, to UTF-8, or to the scanner. */
static const char alphabet[] =
  " \t\r\n\"\\/,:{}[]0123456789-+.eEtrufalsnu\0\x01\x1f\x7f\x80\xbf\xc3\xe0"
  "\xed\xf0\xff";

/* Edit LINE (LEN bytes, room for CAP) in one to three places: replace,
 * insert, delete or duplicate bytes.  Returns the new length.
 */
static size_t
mutate (char *line, size_t len, size_t cap)
{
  for (uint32_t k = 1 + rnd () % 3; k > 0; k--) {
    size_t pos = rnd () % (len + 1);
    size_t run = 1 + rnd () % 12;
    char c = alphabet[rnd () % (sizeof alphabet - 1)];

    switch (rnd () % 4) {
    case 0:
      if (pos < len)
        line[pos] = c;
      break;
    case 1:
      if (len < cap) {
        memmove (line + pos + 1, line + pos, len - pos);
        line[pos] = c;
        len++;
      }
      break;
    case 2:
      if (pos < len) {
        memmove (line + pos, line + pos + 1, len - pos - 1);
        len--;
      }
      break;
    default:                    /* duplicate a run: repeated members */
      if (pos + run <= len && len + run <= cap) {
        memmove (line + pos + run, line + pos, len - pos);
        len += run;
      }
      break;
    }
  }
  return len;
}

static void
test_mutations (void)
{
  static const struct input seeds[] = {
    IN ("{\"op\":\"cache\",\"id\":12345,\"export\":\"bench\","
        "\"offset\":123456789,\"count\":65536,\"flags\":0}", FAST),
    IN ("{\"op\":\"cache\",\"id\":1,\"export\":\"caf\xc3\xa9\","
        "\"offset\":999999999999999999,\"count\":0}", FAST),
    IN ("{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"me\"}", FAST),
    IN ("{\"op\":\"pause\",\"id\":3,\"export\":\"disk0\"}", FAST),
    IN ("{\"op\":\"stats\",\"id\":1}", FAST),
    IN ("{\"id\":5,\"cookie\":9,\"ok\":true}", FAST),
    IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":true}", FAST),
    IN ("{\"event\":\"complete\",\"cookie\":9,\"id\":5,\"ok\":false,"
        "\"error\":{\"errno\":\"EIO\",\"message\":\"x\"}}", FULL),
  };
  const int rounds = 20000;
  unsigned long fast = 0, total = 0;

  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    for (int r = 0; r < rounds; r++) {
      char line[256];
      size_t len;

      memcpy (line, seeds[i].s, seeds[i].len);
      len = mutate (line, seeds[i].len, sizeof line);
      fast += compare_request (line, len);
      fast += compare_message (line, len);
      total += 2;
    }
  }
  printf ("test-codec-fastpath: %lu of %lu mutants took the fast path\n",
          fast, total);
  /* Enough survive to mean something (2% so far). */
  CHECK (fast > total / 100);
}

int
main (void)
{
  test_lists ();
  test_lengths ();
  test_encoders ();
  test_orders ();
  test_mutations ();
  if (TEST_EXIT_STATUS == EXIT_SUCCESS)
    printf ("test-codec-fastpath: ok\n");
  return TEST_EXIT_STATUS;
}
