/* nbdcached: decoding protocol messages.
 *
 * Every request is checked against a table of the fields its op
 * allows, so that a missing, unknown or mistyped field gets the same
 * precise error whichever op it arrives in.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "flat.h"
#include "shape.h"

bool nbdc_fastpath_disabled;

void
nbdc_set_error (struct nbdc_error *err, int errnum, const char *fmt, ...)
{
  va_list ap;

  err->errnum = errnum;
  va_start (ap, fmt);
  vsnprintf (err->message, sizeof err->message, fmt, ap);
  va_end (ap);
}

void
nbdc_set_too_long (struct nbdc_error *err)
{
  nbdc_set_error (err, EMSGSIZE, "message longer than %d bytes",
                  NBDC_MAX_MESSAGE - 1);
}

enum field_type { FIELD_U64, FIELD_STRING };

struct field_spec {
  const char *name;
  enum field_type type;
  bool required;
  size_t offset;                /* in struct nbdc_request */
};

#define REQ_OFF(member) offsetof (struct nbdc_request, member)

static const struct field_spec hello_fields[] = {
  { "version", FIELD_U64, true, REQ_OFF (u.hello.version) },
  { "client", FIELD_STRING, false, REQ_OFF (u.hello.client) },
  { NULL },
};
static const struct field_spec cache_fields[] = {
  { "export", FIELD_STRING, true, REQ_OFF (u.cache.export) },
  { "offset", FIELD_U64, true, REQ_OFF (u.cache.offset) },
  { "count", FIELD_U64, true, REQ_OFF (u.cache.count) },
  { "flags", FIELD_U64, false, REQ_OFF (u.cache.flags) },
  { NULL },
};
static const struct field_spec export_fields[] = {
  { "export", FIELD_STRING, true, REQ_OFF (u.cache.export) },
  { NULL },
};
static const struct field_spec exports_fields[] = {
  { "export", FIELD_STRING, false, REQ_OFF (u.cache.export) },
  { NULL },
};
static const struct field_spec no_fields[] = { { NULL } };

static const struct op_spec {
  const char *name;
  enum nbdc_op op;
  const struct field_spec *fields;
} ops[] = {
  { "hello", NBDC_OP_HELLO, hello_fields },
  { "exports", NBDC_OP_EXPORTS, exports_fields },
  { "cache", NBDC_OP_CACHE, cache_fields },
  { "stats", NBDC_OP_STATS, no_fields },
  { "clients", NBDC_OP_CLIENTS, no_fields },
  { "pause", NBDC_OP_PAUSE, export_fields },
  { "resume", NBDC_OP_RESUME, export_fields },
  { "reload", NBDC_OP_RELOAD, no_fields },
};

const char *
nbdc_op_name (enum nbdc_op op)
{
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (ops[i].op == op)
      return ops[i].name;
  return NULL;
}

/* The entry of ops[] for the op named by the LEN bytes at NAME, or
 * NULL.
 */
static const struct op_spec *
find_op (const char *name, size_t len)
{
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (nbdc_flat_eq (name, len, ops[i].name))
      return &ops[i];
  return NULL;
}

/* One tokener per thread, reused for every message: creating one per
 * message cost an allocation and a locale copy each time (callgrind
 * showed it among the top costs of a cache request).
 */
static pthread_key_t tokener_key;
static pthread_once_t tokener_once = PTHREAD_ONCE_INIT;

static void
free_tokener (void *tok)
{
  json_tokener_free (tok);
}

static void
make_tokener_key (void)
{
  pthread_key_create (&tokener_key, free_tokener);
}

static struct json_tokener *
thread_tokener (void)
{
  struct json_tokener *tok;

  pthread_once (&tokener_once, make_tokener_key);
  tok = pthread_getspecific (tokener_key);
  if (tok == NULL) {
    tok = json_tokener_new_ex (NBDC_MAX_DEPTH);
    if (tok == NULL)
      return NULL;
    /* No JSON_TOKENER_VALIDATE_UTF8: parse_object has already
     * checked the line with the stricter nbdc_utf8_valid.
     */
    json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
    pthread_setspecific (tokener_key, tok);
  }
  else
    json_tokener_reset (tok);
  return tok;
}

/* Whether json-c ran out of memory in a parse that gave OBJ (or NULL)
 * and JERR, ALLOC_ERRNO being errno after it, set to 0 before: json-c
 * 0.16 then returns NULL with no error, or goes on (see shape.h), but
 * an allocation that fails sets errno to ENOMEM (which a number parsed
 * later may reset).  Later versions have json_tokener_error_memory.
 */
static bool
tokener_ran_out_of_memory (struct json_object *obj,
                           enum json_tokener_error jerr, int alloc_errno)
{
#if JSON_C_VERSION_NUM >= 0x001100
  if (jerr == json_tokener_error_memory)
    return true;
#endif
  return alloc_errno == ENOMEM || (obj == NULL && jerr == json_tokener_success);
}

/* Parse LINE (LEN bytes, checked by parse_object) as exactly one JSON
 * object with json-c.  Returns the object (caller puts it) or NULL
 * with ERR filled.
 */
static struct json_object *
parse_with_json_c (const char *line, size_t len, struct nbdc_error *err)
{
  struct json_tokener *tok;
  struct json_object *obj;
  enum json_tokener_error jerr;
  size_t used;
  int parse_errno;

  tok = thread_tokener ();
  if (tok == NULL) {
    nbdc_set_error (err, ENOMEM, "out of memory decoding the message");
    return NULL;
  }
  errno = 0;
  obj = json_tokener_parse_ex (tok, line, (int) len);
  parse_errno = errno;
  jerr = json_tokener_get_error (tok);
  used = json_tokener_get_parse_end (tok);

  if (tokener_ran_out_of_memory (obj, jerr, parse_errno)) {
    json_object_put (obj);
    nbdc_set_error (err, ENOMEM, "out of memory decoding the message");
    return NULL;
  }
  if (obj == NULL) {
    if (jerr == json_tokener_continue)
      nbdc_set_error (err, EINVAL, "malformed JSON: message ends early");
    else if (jerr == json_tokener_error_depth)
      nbdc_set_error (err, EINVAL, "JSON nested deeper than %d levels",
                      NBDC_MAX_DEPTH);
    else
      nbdc_set_error (err, EINVAL, "malformed JSON: %s",
                      json_tokener_error_desc (jerr));
    return NULL;
  }
  for (; used < len; used++) {
    if (strchr (" \t\r", line[used]) == NULL) {
      json_object_put (obj);
      nbdc_set_error (err, EINVAL,
                      "malformed JSON: text after the object at byte %zu",
                      used);
      return NULL;
    }
  }
  if (!json_object_is_type (obj, json_type_object)) {
    json_object_put (obj);
    nbdc_set_error (err, EINVAL, "message is not a JSON object");
    return NULL;
  }
  return obj;
}

/* Parse LINE (LEN bytes) as exactly one JSON object.  Returns the
 * object (caller puts it) or NULL with ERR filled: EINVAL for what is
 * not such an object, ENOMEM when json-c could not allocate.
 */
static struct json_object *
parse_object (const char *line, size_t len, struct nbdc_error *err)
{
  struct json_object *obj;
  struct nbdc_json_shape text, first, again;

  if (len >= NBDC_MAX_MESSAGE) {
    nbdc_set_too_long (err);
    return NULL;
  }
  if (nbdc_check_json_text ("message", line, len, &text, err) == -1)
    return NULL;
  obj = parse_with_json_c (line, len, err);
  if (obj == NULL)
    return NULL;

  /* A tree smaller than its text lost a part for want of memory, or
   * the text repeats a member (json-c keeps the last).  Parsed again,
   * a repeated member gives the same tree, and is refused (member
   * names are unique, PROTOCOL.md section 1: "last one wins" would let
   * a message mean what a reader that keeps the first does not); a
   * loss would have to happen again in the same place.
   */
  first = (struct nbdc_json_shape) { .values = 0 };
  nbdc_tree_shape (obj, &first);
  if (nbdc_shape_equal (&first, &text))
    return obj;
  json_object_put (obj);
  obj = parse_with_json_c (line, len, err);
  if (obj == NULL)
    return NULL;
  again = (struct nbdc_json_shape) { .values = 0 };
  nbdc_tree_shape (obj, &again);
  if (nbdc_shape_equal (&again, &text))
    return obj;
  json_object_put (obj);
  if (nbdc_shape_equal (&again, &first))
    nbdc_set_error (err, EINVAL, "an object repeats a member name (the "
                    "names of an object's members must be unique)");
  else
    nbdc_set_error (err, ENOMEM, "out of memory decoding the message");
  return NULL;
}

/* Read VAL as an integer in 0 .. NBDC_MAX_INTEGER. */
static int
get_u64 (struct json_object *val, const char *key, uint64_t *out,
         struct nbdc_error *err)
{
  uint64_t n;

  if (json_object_is_type (val, json_type_double)) {
    nbdc_set_error (err, EINVAL, "field \"%s\" must be an integer", key);
    return -1;
  }
  if (!json_object_is_type (val, json_type_int)) {
    nbdc_set_error (err, EINVAL, "field \"%s\" must be a number", key);
    return -1;
  }
  if (json_object_get_int64 (val) < 0) {
    nbdc_set_error (err, EINVAL, "field \"%s\" must not be negative", key);
    return -1;
  }
  /* json-c saturates values past 2^64 - 1 at 2^64 - 1, which is also
   * above our limit, so one comparison catches both.
   */
  n = json_object_get_uint64 (val);
  if (n > NBDC_MAX_INTEGER) {
    nbdc_set_error (err, ERANGE, "field \"%s\" is larger than 2^63-1", key);
    return -1;
  }
  *out = n;                     /* only valid values ever reach *OUT */
  return 0;
}

int
nbdc_get_u64 (struct json_object *obj, const char *key, uint64_t *val,
              struct nbdc_error *err)
{
  struct json_object *v;

  if (!json_object_object_get_ex (obj, key, &v) || v == NULL) {
    nbdc_set_error (err, EPROTO, "missing field \"%s\"", key);
    return -1;
  }
  return get_u64 (v, key, val, err);
}

/* Read VAL as a string.  Escapes can produce what the raw line could
 * not hold: "\u0000" would cut the C string short, so it is refused
 * here (a lone "\ud800" never gets this far: nbdc_check_json_text).
 */
static int
get_string (struct json_object *val, const char *key, const char **out,
            struct nbdc_error *err)
{
  const char *s;
  size_t len;

  if (!json_object_is_type (val, json_type_string)) {
    nbdc_set_error (err, EINVAL, "field \"%s\" must be a string", key);
    return -1;
  }
  s = json_object_get_string (val);
  len = (size_t) json_object_get_string_len (val);
  if (strlen (s) != len) {
    nbdc_set_error (err, EINVAL, "field \"%s\" contains a NUL character",
                    key);
    return -1;
  }
  if (!nbdc_utf8_valid (s, len)) {
    nbdc_set_error (err, EINVAL, "field \"%s\" is not valid UTF-8", key);
    return -1;
  }
  *out = s;
  return 0;
}

/* The entry of FIELDS for the LEN bytes at NAME, or NULL. */
static const struct field_spec *
find_field (const struct field_spec *fields, const char *name, size_t len)
{
  for (; fields->name != NULL; fields++)
    if (nbdc_flat_eq (name, len, fields->name))
      return fields;
  return NULL;
}

/* Check every member of OBJ against FIELDS and store the values into
 * REQ.  "op" and "id" were handled by the caller.
 */
static int
decode_fields (struct json_object *obj, const struct field_spec *fields,
               const char *opname, struct nbdc_request *req,
               struct nbdc_error *err)
{
  const struct field_spec *f;

  json_object_object_foreach (obj, key, val) {
    if (strcmp (key, "op") == 0 || strcmp (key, "id") == 0)
      continue;
    f = find_field (fields, key, strlen (key));
    if (f == NULL) {
      nbdc_set_error (err, EINVAL, "unknown field \"%.*s\" in \"%s\"",
                      nbdc_utf8_prefix (key, 64), key, opname);
      return -1;
    }
    if (f->type == FIELD_U64) {
      if (get_u64 (val, key, (uint64_t *) ((char *) req + f->offset),
                   err) == -1)
        return -1;
    }
    else {
      if (get_string (val, key, (const char **) ((char *) req + f->offset),
                      err) == -1)
        return -1;
    }
  }
  for (f = fields; f->name != NULL; f++) {
    if (f->required && !json_object_object_get_ex (obj, f->name, NULL)) {
      nbdc_set_error (err, EINVAL, "\"%s\" needs field \"%s\"",
                      opname, f->name);
      return -1;
    }
  }
  return 0;
}

/* Reset every member of REQ but the strings buffer, which is only
 * ever read through the pointers that store_flat_field sets after
 * writing it: zeroing it too would cost a few hundred bytes of stores
 * per request.
 */
static void
clear_request (struct nbdc_request *req)
{
  memset (req, 0, offsetof (struct nbdc_request, strings));
}

/* Store member M into REQ's field F, if M has F's type.  A string is
 * copied into req->strings, after the *USED bytes already taken there,
 * if it fits.  Returns false if not stored.
 */
static bool
store_flat_field (const struct field_spec *f,
                  const struct nbdc_flat_member *m,
                  struct nbdc_request *req, size_t *used)
{
  char *dst = (char *) req + f->offset;
  char *s = req->strings + *used;

  if (f->type == FIELD_U64 && m->type == NBDC_FLAT_UINT) {
    *(uint64_t *) dst = m->num;
    return true;
  }
  if (f->type == FIELD_STRING && m->type == NBDC_FLAT_STRING &&
      m->str_len < sizeof req->strings - *used) {
    memcpy (s, m->str, m->str_len);
    s[m->str_len] = '\0';
    *(const char **) dst = s;
    *used += m->str_len + 1;
    return true;
  }
  return false;
}

/* The fast path of nbdc_decode_request: decode LINE without json-c
 * when it is a flat object (nbdc_flat_scan) holding a valid request
 * whose strings fit in req->strings.  Returns false for anything else,
 * errors included, which the full path then decodes or reports.
 */
static bool
decode_flat_request (const char *line, size_t len, struct nbdc_request *req)
{
  struct nbdc_flat_member m[8];  /* more than any request may have */
  const struct nbdc_flat_member *opm = NULL;
  const struct op_spec *op;
  const struct field_spec *f;
  size_t used = 0, missing = 0;
  int i, n;

  if (nbdc_fastpath_disabled)
    return false;
  n = nbdc_flat_scan (line, len, m, sizeof m / sizeof m[0]);
  for (i = 0; i < n; i++)
    if (nbdc_flat_eq (m[i].key, m[i].key_len, "op"))
      opm = &m[i];
  if (opm == NULL || opm->type != NBDC_FLAT_STRING ||
      (op = find_op (opm->str, opm->str_len)) == NULL)
    return false;

  clear_request (req);
  req->op = op->op;
  for (f = op->fields; f->name != NULL; f++)
    missing += f->required;
  for (i = 0; i < n; i++) {
    if (&m[i] == opm)
      continue;
    if (nbdc_flat_eq (m[i].key, m[i].key_len, "id")) {
      if (m[i].type != NBDC_FLAT_UINT)
        return false;
      req->id = m[i].num;
      continue;
    }
    f = find_field (op->fields, m[i].key, m[i].key_len);
    if (f == NULL || !store_flat_field (f, &m[i], req, &used))
      return false;
    missing -= f->required;     /* keys are unique */
  }
  return req->id >= 1 && missing == 0;
}

int
nbdc_decode_request (const char *line, size_t len,
                     struct nbdc_request *req, struct nbdc_error *err)
{
  struct json_object *obj, *v;
  const struct op_spec *op;
  const char *opname;

  if (decode_flat_request (line, len, req))
    return 0;
  clear_request (req);
  obj = parse_object (line, len, err);
  if (obj == NULL)
    return -1;

  if (!json_object_object_get_ex (obj, "id", &v)) {
    nbdc_set_error (err, EINVAL, "request needs field \"id\"");
    goto fail;
  }
  if (get_u64 (v, "id", &req->id, err) == -1)
    goto fail;
  if (req->id == 0) {
    nbdc_set_error (err, EINVAL, "field \"id\" must be at least 1");
    goto fail;
  }
  if (!json_object_object_get_ex (obj, "op", &v)) {
    nbdc_set_error (err, EINVAL, "request needs field \"op\"");
    goto fail;
  }
  if (get_string (v, "op", &opname, err) == -1)
    goto fail;
  op = find_op (opname, strlen (opname));
  if (op == NULL) {
    nbdc_set_error (err, ENOSYS, "unknown op \"%.*s\"",
                    nbdc_utf8_prefix (opname, 64), opname);
    goto fail;
  }
  req->op = op->op;
  if (decode_fields (obj, op->fields, op->name, req, err) == -1)
    goto fail;
  req->root = obj;
  return 0;

 fail:
  json_object_put (obj);
  return -1;
}

void
nbdc_request_free (struct nbdc_request *req)
{
  json_object_put (req->root);
  req->root = NULL;
}

/* Fill msg->ok, errnum and errmsg from the "ok" and "error" members. */
static int
decode_outcome (struct json_object *obj, struct nbdc_message *msg,
                struct nbdc_error *err)
{
  struct json_object *v, *e;

  if (!json_object_object_get_ex (obj, "ok", &v) ||
      !json_object_is_type (v, json_type_boolean)) {
    nbdc_set_error (err, EPROTO, "message lacks a boolean \"ok\"");
    return -1;
  }
  msg->ok = json_object_get_boolean (v);
  if (msg->ok)
    return 0;
  if (!json_object_object_get_ex (obj, "error", &e) ||
      !json_object_is_type (e, json_type_object) ||
      !json_object_object_get_ex (e, "errno", &v) ||
      !json_object_is_type (v, json_type_string)) {
    nbdc_set_error (err, EPROTO, "failed message lacks \"error.errno\"");
    return -1;
  }
  msg->errnum = nbdc_errno_from_name (json_object_get_string (v));
  msg->errmsg = "";
  if (json_object_object_get_ex (e, "message", &v) &&
      json_object_is_type (v, json_type_string))
    msg->errmsg = json_object_get_string (v);
  return 0;
}

/* The fast path of nbdc_decode_message, for the two messages of every
 * successful cache command: the reply {"id":N,"cookie":N,"ok":true}
 * and the event {"event":"complete","cookie":N,"id":N,"ok":true},
 * members in any order.  Fills MSG as the full path would, but with
 * ROOT NULL.  Returns false for anything else (failures have a nested
 * "error"), which the full path then decodes or reports.
 */
static bool
decode_flat_message (const char *line, size_t len, struct nbdc_message *msg)
{
  struct nbdc_flat_member m[4];
  bool event = false, have_id = false, have_cookie = false;
  uint64_t cookie = 0;
  int i, n;

  if (nbdc_fastpath_disabled)
    return false;
  n = nbdc_flat_scan (line, len, m, sizeof m / sizeof m[0]);
  memset (msg, 0, sizeof *msg);
  for (i = 0; i < n; i++) {
    const struct nbdc_flat_member *v = &m[i];

    if (v->type == NBDC_FLAT_UINT && nbdc_flat_eq (v->key, v->key_len, "id")) {
      msg->id = v->num;
      have_id = true;
    }
    else if (v->type == NBDC_FLAT_UINT &&
             nbdc_flat_eq (v->key, v->key_len, "cookie")) {
      cookie = v->num;
      have_cookie = true;
    }
    else if (v->type == NBDC_FLAT_TRUE &&
             nbdc_flat_eq (v->key, v->key_len, "ok"))
      msg->ok = true;
    else if (v->type == NBDC_FLAT_STRING &&
             nbdc_flat_eq (v->key, v->key_len, "event") &&
             nbdc_flat_eq (v->str, v->str_len, "complete"))
      event = true;
    else
      return false;
  }
  if (!have_id || !have_cookie || !msg->ok)
    return false;
  /* The full path reads the cookie of events only. */
  msg->kind = event ? NBDC_MSG_EVENT_COMPLETE : NBDC_MSG_REPLY;
  msg->cookie = event ? cookie : 0;
  return true;
}

int
nbdc_decode_message (const char *line, size_t len,
                     struct nbdc_message *msg, struct nbdc_error *err)
{
  struct json_object *obj, *v;

  if (decode_flat_message (line, len, msg))
    return 0;
  memset (msg, 0, sizeof *msg);
  obj = parse_object (line, len, err);
  if (obj == NULL)
    return -1;

  if (json_object_object_get_ex (obj, "event", &v)) {
    if (!json_object_is_type (v, json_type_string) ||
        strcmp (json_object_get_string (v), "complete") != 0) {
      msg->kind = NBDC_MSG_EVENT_UNKNOWN;
      msg->root = obj;
      return 0;
    }
    msg->kind = NBDC_MSG_EVENT_COMPLETE;
    if (nbdc_get_u64 (obj, "cookie", &msg->cookie, err) == -1 ||
        nbdc_get_u64 (obj, "id", &msg->id, err) == -1)
      goto fail;
  }
  else {
    msg->kind = NBDC_MSG_REPLY;
    if (!json_object_object_get_ex (obj, "id", &v)) {
      nbdc_set_error (err, EPROTO, "reply lacks \"id\"");
      goto fail;
    }
    if (v != NULL && get_u64 (v, "id", &msg->id, err) == -1)
      goto fail;
  }
  if (decode_outcome (obj, msg, err) == -1)
    goto fail;
  msg->root = obj;
  return 0;

 fail:
  json_object_put (obj);
  return -1;
}

void
nbdc_message_free (struct nbdc_message *msg)
{
  json_object_put (msg->root);
  msg->root = NULL;
}
