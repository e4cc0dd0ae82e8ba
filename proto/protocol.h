/* nbdcached: constants of the client protocol.  proto/PROTOCOL.md is
 * the specification; this header must agree with it.
 *
 * Bump NBDC_PROTO_VERSION whenever a message, field or rule changes in
 * a way an existing peer could notice, and describe the change in
 * PROTOCOL.md's "Versions" section.
 */
#ifndef NBDCACHED_PROTO_PROTOCOL_H
#define NBDCACHED_PROTO_PROTOCOL_H

#include <stdint.h>

/* The newest protocol version, and the oldest still spoken.  Version 2
 * lets the daemon hold cache replies briefly (PROTOCOL.md 4.2).
 */
#define NBDC_PROTO_VERSION 2
#define NBDC_PROTO_VERSION_MIN 1

/* Messages must be shorter than this, in bytes, LF excluded. */
#define NBDC_MAX_MESSAGE 65536

#define NBDC_XSTR(x) #x
#define NBDC_STR(x) NBDC_XSTR (x)

/* The deepest JSON nesting accepted in a message. */
#define NBDC_MAX_DEPTH 8

/* The longest export name, in bytes. */
#define NBDC_MAX_EXPORT_NAME 255

/* The largest integer accepted in any field (2^63 - 1). */
#define NBDC_MAX_INTEGER ((uint64_t) INT64_MAX)

/* Flags a cache request may carry.  None are defined yet. */
#define NBDC_CACHE_FLAG_MASK 0U

/* Operations a client may request. */
enum nbdc_op {
  NBDC_OP_HELLO,
  NBDC_OP_EXPORTS,
  NBDC_OP_CACHE,
  NBDC_OP_STATS,
  NBDC_OP_CLIENTS,              /* admin */
  NBDC_OP_PAUSE,                /* admin */
  NBDC_OP_RESUME,               /* admin */
  NBDC_OP_RELOAD,               /* admin */
};

/* Kinds of message the daemon sends. */
enum nbdc_msg_kind {
  NBDC_MSG_REPLY,           /* answer to one request, matched by id */
  NBDC_MSG_EVENT_COMPLETE,  /* completion of one cache cookie */
  NBDC_MSG_EVENT_UNKNOWN,   /* an event from a newer daemon: ignore it */
};

#endif /* NBDCACHED_PROTO_PROTOCOL_H */
