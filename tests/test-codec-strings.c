/* nbdcached tests: the strings the request decoder lets through.
 *
 * PROTOCOL.md section 5: "a NUL byte, or a string that is not valid
 * UTF-8" is EINVAL.  Valid UTF-8 is RFC 3629: no overlong forms, no
 * UTF-16 surrogates, nothing above U+10FFFF.  The decoder hands out
 * strings as C strings, so a string holding U+0000 (written "\u0000")
 * cannot be passed on faithfully either: it must be refused, not cut
 * short ("disk\u0000x" must not name the export "disk").
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* Pure functions: report every failed check, not just the first. */
#define TEST_KEEP_GOING
#include "test-util.h"

/* A hello whose "client" is S (raw bytes, JSON escapes allowed). */
static int
decode_client (const char *s, struct nbdc_request *req, struct nbdc_error *err)
{
  char line[256];

  snprintf (line, sizeof line,
            "{\"op\":\"hello\",\"id\":1,\"version\":1,\"client\":\"%s\"}", s);
  return nbdc_decode_request (line, strlen (line), req, err);
}

static void
hex (const char *s, char *buf, size_t len)
{
  size_t n = 0;

  buf[0] = '\0';
  for (const unsigned char *p = (const unsigned char *) s;
       *p && n + 4 < len; p++)
    n += (size_t) snprintf (buf + n, len - n, "%02x ", *p);
}

#define CHECK_REFUSED(s, what)                                         \
  do {                                                                 \
    struct nbdc_request r_;                                            \
    struct nbdc_error e_ = { 0 };                                      \
    char h_[64];                                                       \
    hex ((s), h_, sizeof h_);                                          \
    if (decode_client ((s), &r_, &e_) == 0) {                          \
      TEST_FAIL ("%s (%s) was accepted, expected EINVAL", (what), h_); \
      nbdc_request_free (&r_);                                         \
    }                                                                  \
    else if (e_.errnum != EINVAL)                                      \
      TEST_FAIL ("%s (%s): errno %d (%s), expected EINVAL",            \
                 (what), h_, e_.errnum, e_.message);                   \
  } while (0)

#define CHECK_ACCEPTED(s, decoded)                                     \
  do {                                                                 \
    struct nbdc_request r_;                                            \
    struct nbdc_error e_ = { 0 };                                      \
    if (decode_client ((s), &r_, &e_) == -1)                           \
      TEST_FAIL ("\"%s\" was refused: %s", (s), e_.message);           \
    else {                                                             \
      CHECK_STR (r_.u.hello.client, (decoded));                        \
      nbdc_request_free (&r_);                                         \
    }                                                                  \
  } while (0)

static void
test_utf8 (void)
{
  /* The edges of each encoding length are valid. */
  CHECK_ACCEPTED ("\x7f", "\x7f");
  CHECK_ACCEPTED ("\xc2\x80", "\xc2\x80");              /* U+0080 */
  CHECK_ACCEPTED ("\xdf\xbf", "\xdf\xbf");              /* U+07FF */
  CHECK_ACCEPTED ("\xe0\xa0\x80", "\xe0\xa0\x80");      /* U+0800 */
  CHECK_ACCEPTED ("\xed\x9f\xbf", "\xed\x9f\xbf");      /* U+D7FF */
  CHECK_ACCEPTED ("\xee\x80\x80", "\xee\x80\x80");      /* U+E000 */
  CHECK_ACCEPTED ("\xef\xbf\xbf", "\xef\xbf\xbf");      /* U+FFFF */
  CHECK_ACCEPTED ("\xf0\x90\x80\x80", "\xf0\x90\x80\x80"); /* U+10000 */
  CHECK_ACCEPTED ("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
  CHECK_ACCEPTED ("\\ud83d\\ude00", "\xf0\x9f\x98\x80");

  /* Structurally broken sequences. */
  CHECK_REFUSED ("\x80", "a stray continuation byte");
  CHECK_REFUSED ("\xc3", "a truncated sequence");
  CHECK_REFUSED ("\xe2\x82", "a truncated sequence");
  CHECK_REFUSED ("\xfe", "byte 0xfe");
  CHECK_REFUSED ("\xff", "byte 0xff");
  CHECK_REFUSED ("\xf8\x88\x80\x80\x80", "a 5-byte form");

  /* Overlong forms. */
  CHECK_REFUSED ("\xc0\xaf", "an overlong '/'");
  CHECK_REFUSED ("\xc1\xbf", "an overlong U+007F");
  CHECK_REFUSED ("\xc0\x80", "an overlong NUL");
  CHECK_REFUSED ("\xe0\x80\xaf", "a 3-byte overlong '/'");
  CHECK_REFUSED ("\xe0\x9f\xbf", "a 3-byte overlong U+07FF");
  CHECK_REFUSED ("\xf0\x80\x80\xaf", "a 4-byte overlong '/'");
  CHECK_REFUSED ("\xf0\x8f\xbf\xbf", "a 4-byte overlong U+FFFF");

  /* UTF-16 surrogates, and beyond Unicode. */
  CHECK_REFUSED ("\xed\xa0\x80", "surrogate U+D800");
  CHECK_REFUSED ("\xed\xbf\xbf", "surrogate U+DFFF");
  CHECK_REFUSED ("\xf4\x90\x80\x80", "U+110000");
  CHECK_REFUSED ("\xf5\x80\x80\x80", "lead byte 0xf5");
  CHECK_REFUSED ("\xf7\xbf\xbf\xbf", "lead byte 0xf7");

  /* The same as escapes: half of a surrogate pair is no character
   * (json-c would make each U+FFFD); a whole pair, in either case of
   * hex digits, is one.  "\\ud800" is no escape: an escaped backslash
   * and "ud800".
   */
  CHECK_REFUSED ("\\ud800", "a lone high surrogate escape");
  CHECK_REFUSED ("\\udfff", "a lone low surrogate escape");
  CHECK_REFUSED ("\\udc00\\ud800", "a pair the wrong way round");
  CHECK_REFUSED ("\\ud800\\u0041", "a high surrogate before U+0041");
  CHECK_REFUSED ("\\ud800x\\udc00", "a high surrogate before 'x'");
  CHECK_REFUSED ("a\\ud83d", "a high surrogate ending the string");
  CHECK_ACCEPTED ("\\uD83D\\uDE00", "\xf0\x9f\x98\x80");
  CHECK_ACCEPTED ("\\\\ud800", "\\ud800");
  CHECK_ACCEPTED ("\\ud7ff\\ue000", "\xed\x9f\xbf\xee\x80\x80");
}

static void
test_nul_escapes (void)
{
  struct nbdc_request req;
  struct nbdc_error err;
  const char *line;

  CHECK_REFUSED ("a\\u0000b", "an escaped NUL");
  CHECK_REFUSED ("\\u0000", "an escaped NUL");

  /* Where it matters: the export name and the op. */
  line = "{\"op\":\"cache\",\"id\":2,\"export\":\"disk\\u0000junk\","
    "\"offset\":0,\"count\":1}";
  if (nbdc_decode_request (line, strlen (line), &req, &err) == 0) {
    TEST_FAIL ("%s was accepted as export \"%s\"", line, req.u.cache.export);
    nbdc_request_free (&req);
  }
  line = "{\"op\":\"stats\\u0000junk\",\"id\":3}";
  if (nbdc_decode_request (line, strlen (line), &req, &err) == 0) {
    TEST_FAIL ("%s was accepted as op %s", line, nbdc_op_name (req.op));
    nbdc_request_free (&req);
  }

  /* Other escapes of control characters are fine. */
  CHECK_ACCEPTED ("a\\u0001b\\n", "a\x01" "b\n");
}

/* Decode the C string LINE, on the fast path if it takes it and with
 * json-c only, and expect both to refuse it with EINVAL and a message
 * containing WHY.
 */
static void
check_line_refused (const char *line, const char *why)
{
  for (int full = 0; full <= 1; full++) {
    struct nbdc_request req;
    struct nbdc_error err = { 0 };
    int r;

    nbdc_fastpath_disabled = full;
    r = nbdc_decode_request (line, strlen (line), &req, &err);
    nbdc_fastpath_disabled = false;
    if (r == 0) {
      TEST_FAIL ("%s was accepted (fast path %s)", line,
                 full ? "off" : "on");
      nbdc_request_free (&req);
    }
    else {
      CHECK_INT (err.errnum, ==, EINVAL);
      CHECK_CONTAINS (err.message, why);
    }
  }
}

/* As check_line_refused, for a line both paths must accept. */
static void
check_line_accepted (const char *line)
{
  for (int full = 0; full <= 1; full++) {
    struct nbdc_request req;
    struct nbdc_error err = { 0 };

    nbdc_fastpath_disabled = full;
    if (nbdc_decode_request (line, strlen (line), &req, &err) == -1)
      TEST_FAIL ("%s was refused (fast path %s): %s", line,
                 full ? "off" : "on", err.message);
    else
      nbdc_request_free (&req);
    nbdc_fastpath_disabled = false;
  }
}

/* RFC 8259 section 7: inside strings, U+0000 to U+001F must be
 * escaped.  json-c 0.16 takes them raw even in strict mode; the fast
 * path always declined them.  Outside strings, TAB and CR are blanks.
 */
static void
test_raw_controls (void)
{
  char line[128];

  for (int c = 0x01; c < 0x20; c++) {
    snprintf (line, sizeof line, "{\"op\":\"hello\",\"id\":1,"
              "\"version\":1,\"client\":\"a%cb\"}", c);
    check_line_refused (line, "control character");
    snprintf (line, sizeof line, "{\"op\":\"cache\",\"id\":2,"
              "\"export\":\"di%csk\",\"offset\":0,\"count\":1}", c);
    check_line_refused (line, "control character");
    snprintf (line, sizeof line, "{\"op\":\"stats\",\"id\":1,"
              "\"a%c\":1}", c);
    check_line_refused (line, "control character");
    snprintf (line, sizeof line, "{\"op\":\"stats%c\",\"id\":1}", c);
    check_line_refused (line, "control character");
  }
  check_line_refused ("{\"op\":\"stats\",\"id\":1,\"x\":[\"\t\"]}",
                      "control character");

  /* An escaped quote or backslash does not end the string early. */
  check_line_refused ("{\"op\":\"hello\",\"id\":1,\"version\":1,"
                      "\"client\":\"a\\\"\tb\"}", "control character");
  check_line_refused ("{\"op\":\"hello\",\"id\":1,\"version\":1,"
                      "\"client\":\"a\\\\\\\"\tb\"}",
                      "control character");
  check_line_accepted ("{\"op\":\"hello\",\"id\":1,\"version\":1,"
                       "\"client\":\"a\\\\\"\t}");

  /* Blanks between tokens stay valid, escaped controls too. */
  check_line_accepted ("\t{\t\"op\"\t:\t\"stats\"\t,\r\"id\":1\r}\t\r");
  check_line_accepted ("{\"op\":\"hello\",\"id\":1,\"version\":1,"
                       "\"client\":\"a\\tb\\u001f\"}");
}

/* Decode the C string LINE as a daemon message on both paths and
 * expect EINVAL with WHY in the message.
 */
static void
check_message_refused (const char *line, const char *why)
{
  for (int full = 0; full <= 1; full++) {
    struct nbdc_message msg;
    struct nbdc_error err = { 0 };
    int r;

    nbdc_fastpath_disabled = full;
    r = nbdc_decode_message (line, strlen (line), &msg, &err);
    nbdc_fastpath_disabled = false;
    if (r == 0) {
      TEST_FAIL ("%s was accepted (fast path %s)", line,
                 full ? "off" : "on");
      nbdc_message_free (&msg);
    }
    else {
      CHECK_INT (err.errnum, ==, EINVAL);
      CHECK_CONTAINS (err.message, why);
    }
  }
}

/* json-c keeps member names as C strings: "id\u0000x" became "id",
 * and as the later duplicate it replaced the real "id".  PROTOCOL.md
 * section 4: unknown members are EINVAL, and "id\u0000x" is not "id".
 */
static void
test_nul_in_names (void)
{
  check_line_refused ("{\"op\":\"stats\",\"id\":2,\"id\\u0000x\":3}",
                      "NUL");
  check_line_refused ("{\"op\":\"cache\",\"id\":2,\"export\":\"d\","
                      "\"offset\":0,\"count\":1,\"flags\\u0000junk\":0}",
                      "NUL");
  check_line_refused ("{\"op\":\"cache\",\"id\":2,\"export\":\"d\","
                      "\"offset\":0,\"count\":1,\"count\\u0000\":2}", "NUL");
  check_line_refused ("{\"op\":\"hello\",\"id\":1,\"version\":2,"
                      "\"version\\u0000garbage\":\"x\"}", "NUL");
  check_line_refused ("{\"\\u0000\":1,\"op\":\"stats\",\"id\":1}", "NUL");
  check_line_refused ("{\"op\":\"stats\",\"id\":1,\"o\\u0000p\" \t:\r1}",
                      "NUL");
  check_line_refused ("{\"op\":\"stats\",\"id\":1,\"x\":{\"a\\u0000\":1}}",
                      "");
  check_message_refused ("{\"id\":5,\"cookie\":9,\"ok\":true,"
                         "\"ok\\u0000\":false}", "NUL");

  /* Near misses are ordinary member names or values. */
  check_line_accepted ("{\"op\":\"hello\",\"id\":1,\"version\":2,"
                       "\"client\":\"\\\\u0000\"}");
  check_line_refused ("{\"op\":\"stats\",\"id\":1,\"id\\u0001\":3}",
                      "unknown field");
  check_line_refused ("{\"op\":\"stats\",\"id\":1,\"x\":[\"\\u0000\"]}",
                      "unknown field");
}

/* nbdc_copy_printable: cut at a character boundary, controls as '?'. */
static void
test_copy_printable (void)
{
  char buf[8];

  nbdc_copy_printable (buf, sizeof buf, "ok");
  CHECK_STR (buf, "ok");
  nbdc_copy_printable (buf, sizeof buf, "a\nb\tc\x1b[\x7f");
  CHECK_STR (buf, "a?b?c?[");           /* 7 bytes: cut, then '?' */
  /* 3 + 2 + 2 bytes fit; the next 2-byte character would not. */
  nbdc_copy_printable (buf, sizeof buf, "abc\xc3\xa9\xc3\xa9\xc3\xa9");
  CHECK_STR (buf, "abc\xc3\xa9\xc3\xa9");
  nbdc_copy_printable (buf, sizeof buf, "abcdef\xc3\xa9");
  CHECK_STR (buf, "abcdef");            /* not half of the character */
  nbdc_copy_printable (buf, 1, "abc");
  CHECK_STR (buf, "");
}

int
main (void)
{
  test_utf8 ();
  test_copy_printable ();
  test_nul_escapes ();
  test_raw_controls ();
  test_nul_in_names ();
  if (TEST_EXIT_STATUS == EXIT_SUCCESS)
    printf ("test-codec-strings: ok\n");
  return TEST_EXIT_STATUS;
}
