/* nbdcached: the one encoder/decoder of the client protocol, used by
 * the daemon and by libnbdcache.  See proto/PROTOCOL.md.
 *
 * Decoders never trust their input: every failure fills a struct
 * nbdc_error with an errno value and a message fit to send back.
 * Encoders append one complete message, LF included, to a strbuf and
 * return 0, or -1 with errno = ENOMEM (the strbuf is then unchanged
 * in length).  All functions are thread-safe.
 */
#ifndef NBDCACHED_PROTO_CODEC_H
#define NBDCACHED_PROTO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "protocol.h"
#include "strbuf.h"

struct nbdc_error {
  int errnum;                   /* an errno value */
  char message[256];
};

void nbdc_set_error (struct nbdc_error *err, int errnum,
                     const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
/* EMSGSIZE: a message of NBDC_MAX_MESSAGE bytes or more (LF excluded),
 * in the words of PROTOCOL.md section 1.
 */
void nbdc_set_too_long (struct nbdc_error *err);

/* A decoded request.  String fields point into ROOT, or into STRINGS
 * when the fast path decoded the request without json-c (ROOT is then
 * NULL), and live until nbdc_request_free.  So the struct must not be
 * copied while they are in use.
 */
struct nbdc_request {
  enum nbdc_op op;
  uint64_t id;                  /* 0 if the id could not be read */
  union {
    struct {
      uint64_t version;
      const char *client;       /* may be NULL */
    } hello;
    struct {                    /* also exports, pause and resume */
      const char *export;
      uint64_t offset;
      uint64_t count;
      uint64_t flags;
    } cache;
  } u;
  struct json_object *root;
  /* The fast path's copies of the string fields, NUL-terminated.
   * Last, so that the decoder can clear the members above without
   * also zeroing this buffer for every request.
   */
  char strings[NBDC_MAX_EXPORT_NAME + 1];
};

/* Decode one request line (LEN bytes, without the LF).  On success
 * returns 0 and the caller must call nbdc_request_free.  On failure
 * returns -1, fills ERR, and sets req->id when the id was readable so
 * that the error reply can name it; nothing needs freeing.
 */
int nbdc_decode_request (const char *line, size_t len,
                         struct nbdc_request *req, struct nbdc_error *err);
void nbdc_request_free (struct nbdc_request *req);

/* A decoded daemon message.  ROOT holds the whole object so that a
 * caller can read op-specific reply fields; free with
 * nbdc_message_free.  The two messages of a successful cache command,
 * {"id":N,"cookie":N,"ok":true} and the "complete" event, are decoded
 * without json-c and have ROOT NULL.
 */
struct nbdc_message {
  enum nbdc_msg_kind kind;
  uint64_t id;                  /* 0 when the daemon sent "id": null */
  uint64_t cookie;              /* completion events */
  bool ok;
  int errnum;                   /* when !ok */
  const char *errmsg;           /* when !ok; points into ROOT */
  struct json_object *root;
};

int nbdc_decode_message (const char *line, size_t len,
                         struct nbdc_message *msg, struct nbdc_error *err);
void nbdc_message_free (struct nbdc_message *msg);

/* For tests only: true makes both decoders skip their fast path
 * (flat.c) and always use json-c, so that a test can compare the two.
 */
extern bool nbdc_fastpath_disabled;

/* Read an integer field of a reply (0 .. 2^63-1).  Returns 0 or -1
 * with ERR filled.
 */
int nbdc_get_u64 (struct json_object *obj, const char *key,
                  uint64_t *val, struct nbdc_error *err);

/* Requests (client side). */
int nbdc_encode_hello (strbuf *sb, uint64_t id, uint64_t version,
                       const char *client);
int nbdc_encode_simple_op (strbuf *sb, uint64_t id, enum nbdc_op op);
int nbdc_encode_export_op (strbuf *sb, uint64_t id, enum nbdc_op op,
                           const char *export);
int nbdc_encode_cache (strbuf *sb, uint64_t id, const char *export,
                       uint64_t offset, uint64_t count, uint32_t flags);

/* Replies and events (daemon side).  ID 0 encodes "id": null. */
int nbdc_encode_reply_cookie (strbuf *sb, uint64_t id, uint64_t cookie);
/* An ok reply with MEMBERS ("key":value,... without braces, as
 * struct nbdc_members writes them; may be empty) between "id" and
 * "ok".
 */
int nbdc_encode_reply_members (strbuf *sb, uint64_t id,
                               const strbuf *members);
int nbdc_encode_reply_error (strbuf *sb, uint64_t id, int errnum,
                             const char *message);
int nbdc_encode_complete (strbuf *sb, uint64_t cookie, uint64_t id,
                          int errnum, const char *message);

/* Writing the members of a structured reply into SB (which start
 * empties), for nbdc_encode_reply_members, with no allocation but
 * SB's own.  KEY is NULL for an element of an array.  Open a nested
 * object or array with bracket '{' or '[', close it with '}' or ']'.
 * The first append that fails marks the writer failed and every later
 * call does nothing, so the caller checks m->failed once, at the end.
 */
struct nbdc_members {
  strbuf *sb;
  bool failed;
  bool comma;                   /* a value precedes, at this level */
};
void nbdc_members_start (struct nbdc_members *m, strbuf *sb);
void nbdc_members_u64 (struct nbdc_members *m, const char *key, uint64_t n);
void nbdc_members_i64 (struct nbdc_members *m, const char *key, int64_t n);
void nbdc_members_bool (struct nbdc_members *m, const char *key, bool b);
void nbdc_members_string (struct nbdc_members *m, const char *key,
                          const char *s);
void nbdc_members_open (struct nbdc_members *m, const char *key,
                        char bracket);
void nbdc_members_close (struct nbdc_members *m, char bracket);

/* Append S as a JSON string literal, quotes included.  The output is
 * always valid UTF-8: each ill-formed part of S (a character cut
 * short, a stray byte) becomes one U+FFFD.
 */
int nbdc_append_json_string (strbuf *sb, const char *s);

/* Is S (LEN bytes) well-formed UTF-8? */
bool nbdc_utf8_valid (const char *s, size_t len);

/* The character at S (LEN >= 1 bytes): its length (1 to 4) if it is
 * well-formed UTF-8; otherwise -K, where K (1 to 3) is the length of
 * its ill-formed part (Unicode's "maximal subpart"), to be replaced by
 * one U+FFFD, after which the next character starts.
 */
int nbdc_utf8_char (const char *s, size_t len);

/* The length of the longest prefix of the NUL-terminated S that is at
 * most MAX bytes and does not end inside a UTF-8 character, for
 * quoting client text in messages: printf ("%.*s", n, s).
 */
int nbdc_utf8_prefix (const char *s, int max);

/* Copy the NUL-terminated SRC into DST (LEN >= 1 bytes), cut so as not
 * to end inside a UTF-8 character, with every control character
 * (below 0x20, and 0x7f) replaced by '?': text from outside (a client,
 * a server) that goes into the log or onto an admin's terminal.
 */
void nbdc_copy_printable (char *dst, size_t len, const char *src);

/* The protocol's name for an op ("cache"), or NULL. */
const char *nbdc_op_name (enum nbdc_op op);

/* errno <-> protocol name ("EIO").  An errno with no name encodes as
 * "EIO"; a name this build does not know decodes as EINVAL, as the NBD
 * protocol does for unknown error values.
 */
const char *nbdc_errno_name (int errnum);
int nbdc_errno_from_name (const char *name);

#endif /* NBDCACHED_PROTO_CODEC_H */
