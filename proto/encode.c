/* nbdcached: encoding protocol messages.
 *
 * Every message is written directly into the caller's strbuf.  The
 * structured replies (hello, exports, stats, clients) are built member
 * by member with struct nbdc_members, not through json-c: json-c's
 * serialiser ignores some failed appends, so that short of memory it
 * can send malformed JSON, or valid JSON with a key cut short.  Here
 * the first failed append fails the whole reply.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

/* The length of the UTF-8 character at P, cut short by the NUL or
 * not: nbdc_utf8_char's result.
 */
static int
utf8_char_at (const unsigned char *p)
{
  return nbdc_utf8_char ((const char *) p, strnlen ((const char *) p, 4));
}

int
nbdc_append_json_string (strbuf *sb, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  size_t start = sb->len;
  const unsigned char *p = (const unsigned char *) s;

  if (strbuf_append_mem (sb, "\"", 1) == -1)
    goto fail;
  while (*p) {
    char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
    size_t run = 0;
    int n, r;

    /* Copy a run of bytes that need no escape in one append: this is
     * on the hot path (the export name of every cache request).  Only
     * bytes above 0x7f need a closer look.
     */
    for (;;) {
      while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
             p[run] != '\\')
        run++;
      if (p[run] < 0x80 || (n = utf8_char_at (&p[run])) < 0)
        break;
      run += (size_t) n;
    }
    if (run > 0) {
      r = strbuf_append_mem (sb, p, run);
      p += run;
    }
    else if (*p == '"' || *p == '\\') {
      esc[1] = (char) *p++;
      r = strbuf_append_mem (sb, esc, 2);
    }
    else if (*p < 0x20) {
      esc[4] = hex[*p >> 4];
      esc[5] = hex[*p++ & 15];
      r = strbuf_append_mem (sb, esc, 6);
    }
    else {
      /* Not UTF-8 (text cut inside a character, or not text at all):
       * the message must still be, so U+FFFD stands for the bad part.
       */
      p += -utf8_char_at (p);
      r = strbuf_append_mem (sb, "\xef\xbf\xbd", 3);
    }
    if (r == -1)
      goto fail;
  }
  if (strbuf_append_mem (sb, "\"", 1) == -1)
    goto fail;
  return 0;

 fail:
  sb->len = start;
  return -1;
}

/* Append a string literal: no strlen on the hot path. */
#define APPEND_LIT(sb, lit) strbuf_append_mem ((sb), (lit), sizeof (lit) - 1)

/* Append "KEY":N, (with the comma) for integer members; KEY is a
 * string literal.
 */
#define append_u64_member(sb, key, n)                                  \
  (APPEND_LIT ((sb), "\"" key "\":") == -1 ||                           \
   strbuf_append_u64 ((sb), (n)) == -1 ||                              \
   APPEND_LIT ((sb), ",") == -1 ? -1 : 0)

/* Append "id":N, or "id":null, */
static int
append_id (strbuf *sb, uint64_t id)
{
  if (id == 0)
    return APPEND_LIT (sb, "\"id\":null,");
  return append_u64_member (sb, "id", id);
}

/* Append the outcome members that end every reply and event:
 * "ok":true}\n  or  "ok":false,"error":{"errno":..,"message":..}}\n
 */
static int
append_outcome (strbuf *sb, int errnum, const char *message)
{
  if (errnum == 0)
    return APPEND_LIT (sb, "\"ok\":true}\n");
  if (APPEND_LIT (sb, "\"ok\":false,\"error\":{\"errno\":\"") == -1 ||
      strbuf_append_str (sb, nbdc_errno_name (errnum)) == -1 ||
      APPEND_LIT (sb, "\",\"message\":") == -1 ||
      nbdc_append_json_string (sb, message ? message : "") == -1 ||
      APPEND_LIT (sb, "}}\n") == -1)
    return -1;
  return 0;
}

/* Run the appends in BODY; on failure put the buffer back as it was. */
#define ENCODE(sb, body)                        \
  do {                                          \
    size_t start_ = (sb)->len;                  \
    if (!(body)) {                              \
      (sb)->len = start_;                       \
      errno = ENOMEM;                           \
      return -1;                                \
    }                                           \
    return 0;                                   \
  } while (0)

int
nbdc_encode_hello (strbuf *sb, uint64_t id, uint64_t version,
                   const char *client)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{\"op\":\"hello\",") == 0 &&
          append_id (sb, id) == 0 &&
          (client == NULL ||
           (APPEND_LIT (sb, "\"client\":") == 0 &&
            nbdc_append_json_string (sb, client) == 0 &&
            APPEND_LIT (sb, ",") == 0)) &&
          APPEND_LIT (sb, "\"version\":") == 0 &&
          strbuf_append_u64 (sb, version) == 0 &&
          APPEND_LIT (sb, "}\n") == 0);
}

int
nbdc_encode_simple_op (strbuf *sb, uint64_t id, enum nbdc_op op)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{\"op\":\"") == 0 &&
          strbuf_append_str (sb, nbdc_op_name (op)) == 0 &&
          APPEND_LIT (sb, "\",\"id\":") == 0 &&
          strbuf_append_u64 (sb, id) == 0 &&
          APPEND_LIT (sb, "}\n") == 0);
}

/* {"op":"pause","id":N,"export":"..."} and the like. */
int
nbdc_encode_export_op (strbuf *sb, uint64_t id, enum nbdc_op op,
                       const char *export)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{\"op\":\"") == 0 &&
          strbuf_append_str (sb, nbdc_op_name (op)) == 0 &&
          APPEND_LIT (sb, "\",") == 0 &&
          append_id (sb, id) == 0 &&
          APPEND_LIT (sb, "\"export\":") == 0 &&
          nbdc_append_json_string (sb, export) == 0 &&
          APPEND_LIT (sb, "}\n") == 0);
}

int
nbdc_encode_cache (strbuf *sb, uint64_t id, const char *export,
                   uint64_t offset, uint64_t count, uint32_t flags)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{\"op\":\"cache\",") == 0 &&
          append_id (sb, id) == 0 &&
          APPEND_LIT (sb, "\"export\":") == 0 &&
          nbdc_append_json_string (sb, export) == 0 &&
          APPEND_LIT (sb, ",") == 0 &&
          append_u64_member (sb, "offset", offset) == 0 &&
          append_u64_member (sb, "count", count) == 0 &&
          APPEND_LIT (sb, "\"flags\":") == 0 &&
          strbuf_append_u64 (sb, flags) == 0 &&
          APPEND_LIT (sb, "}\n") == 0);
}

int
nbdc_encode_reply_cookie (strbuf *sb, uint64_t id, uint64_t cookie)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{") == 0 &&
          append_id (sb, id) == 0 &&
          append_u64_member (sb, "cookie", cookie) == 0 &&
          append_outcome (sb, 0, NULL) == 0);
}

int
nbdc_encode_reply_members (strbuf *sb, uint64_t id, const strbuf *members)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{") == 0 &&
          append_id (sb, id) == 0 &&
          (members->len == 0 ||
           (strbuf_append_mem (sb, members->ptr, members->len) == 0 &&
            APPEND_LIT (sb, ",") == 0)) &&
          append_outcome (sb, 0, NULL) == 0);
}

int
nbdc_encode_reply_error (strbuf *sb, uint64_t id, int errnum,
                         const char *message)
{
  if (errnum == 0)
    errnum = EIO;
  ENCODE (sb,
          APPEND_LIT (sb, "{") == 0 &&
          append_id (sb, id) == 0 &&
          append_outcome (sb, errnum, message) == 0);
}

int
nbdc_encode_complete (strbuf *sb, uint64_t cookie, uint64_t id,
                      int errnum, const char *message)
{
  ENCODE (sb,
          APPEND_LIT (sb, "{\"event\":\"complete\",") == 0 &&
          append_u64_member (sb, "cookie", cookie) == 0 &&
          append_u64_member (sb, "id", id) == 0 &&
          append_outcome (sb, errnum, message) == 0);
}

void
nbdc_members_start (struct nbdc_members *m, strbuf *sb)
{
  m->sb = sb;
  sb->len = 0;
  m->failed = false;
  m->comma = false;
}

/* Write what comes before a value: the comma after a previous one at
 * this level, and "KEY": unless KEY is NULL (an array element).
 * Returns false if the writer has failed.
 */
static bool
member_head (struct nbdc_members *m, const char *key)
{
  if (m->failed)
    return false;
  if ((m->comma && APPEND_LIT (m->sb, ",") == -1) ||
      (key != NULL && (nbdc_append_json_string (m->sb, key) == -1 ||
                       APPEND_LIT (m->sb, ":") == -1))) {
    m->failed = true;
    return false;
  }
  m->comma = true;
  return true;
}

static void
member_value (struct nbdc_members *m, int r)
{
  if (r == -1)
    m->failed = true;
}

void
nbdc_members_u64 (struct nbdc_members *m, const char *key, uint64_t n)
{
  if (member_head (m, key))
    member_value (m, strbuf_append_u64 (m->sb, n));
}

void
nbdc_members_i64 (struct nbdc_members *m, const char *key, int64_t n)
{
  if (member_head (m, key))
    member_value (m, n >= 0 ? strbuf_append_u64 (m->sb, (uint64_t) n)
                  : APPEND_LIT (m->sb, "-") == -1 ? -1
                  : strbuf_append_u64 (m->sb, -(uint64_t) n));
}

void
nbdc_members_bool (struct nbdc_members *m, const char *key, bool b)
{
  if (member_head (m, key))
    member_value (m, b ? APPEND_LIT (m->sb, "true")
                  : APPEND_LIT (m->sb, "false"));
}

void
nbdc_members_string (struct nbdc_members *m, const char *key,
                     const char *s)
{
  if (member_head (m, key))
    member_value (m, nbdc_append_json_string (m->sb, s));
}

void
nbdc_members_open (struct nbdc_members *m, const char *key, char bracket)
{
  if (member_head (m, key)) {
    member_value (m, strbuf_append_mem (m->sb, &bracket, 1));
    m->comma = false;
  }
}

void
nbdc_members_close (struct nbdc_members *m, char bracket)
{
  if (!m->failed) {
    member_value (m, strbuf_append_mem (m->sb, &bracket, 1));
    m->comma = true;
  }
}
