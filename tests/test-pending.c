/* nbdcached tests: the turns of daemon/pending.c, without a server.
 *
 * The pump cuts one chunk from pending_first's request and then calls
 * pending_advance (..., true); this test plays that loop over
 * hand-built clients, exports and requests, and checks the order of
 * the cuts: clients take turns first, then each client's requests,
 * and a client whose request has just been cut to its end still
 * yields its turn.  It also checks that a client keeps no more flows
 * than it needs, however many exports it meets (reloads replace
 * export structures).  The timing-dependent view of the same rules,
 * against a real server, is test-fairness.sh.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test-util.h"

#define CHUNK 100               /* bytes per cut, in this test */

static struct export *
new_export (void)
{
  struct export *exp = calloc (1, sizeof *exp);

  CHECK (exp != NULL);
  TAILQ_INIT (&exp->flows);
  return exp;
}

static struct client *
new_client (void)
{
  struct client *client = calloc (1, sizeof *client);

  CHECK (client != NULL);
  client->fd = 1;               /* open, for client_is_open */
  LIST_INIT (&client->flows);
  return client;
}

/* Queue a request of CHUNKS chunks for CLIENT on EXP, named NAME
 * (kept in its id, as a character).
 */
static struct request *
queue (struct client *client, struct export *exp, char name,
       unsigned chunks, uint64_t offset)
{
  struct request *req = calloc (1, sizeof *req);

  CHECK (req != NULL);
  req->client = client;
  req->exp = exp;
  req->id = (uint64_t) name;
  req->flow = flow_find (client, exp);
  CHECK (req->flow != NULL);
  req->next = offset;
  req->end = offset + chunks * CHUNK;
  pending_append (exp, req);
  return req;
}

/* Play the pump on EXP until nothing is pending: the names of the
 * requests cut, in order, into OUT.
 */
static void
pump (struct export *exp, char *out, size_t size)
{
  struct request *req;
  size_t n = 0;

  while ((req = pending_first (exp)) != NULL) {
    CHECK (n + 1 < size);
    out[n++] = (char) req->id;
    pending_advance (exp, req, req->next + CHUNK, true);
  }
  out[n] = '\0';
  CHECK_INT (exp->nr_pending, ==, 0);
}

static size_t
count_flows (const struct client *client)
{
  const struct flow *flow;
  size_t n = 0;

  LIST_FOREACH (flow, &client->flows, client_entry)
    n++;
  return n;
}

/* Clients take turns, then each client's requests: A's three requests
 * (a, b, c) and B's one (x), two chunks each.
 */
static void
test_turns (void)
{
  struct export *exp = new_export ();
  struct client *a = new_client (), *b = new_client ();
  struct request *r[4];
  char order[32];

  r[0] = queue (a, exp, 'a', 2, 0);
  r[1] = queue (a, exp, 'b', 2, 1000);
  r[2] = queue (a, exp, 'c', 2, 2000);
  r[3] = queue (b, exp, 'x', 2, 3000);
  CHECK_INT (a->nr_pending, ==, 3);
  CHECK_INT (b->nr_pending, ==, 1);
  pump (exp, order, sizeof order);
  CHECK_STR (order, "axbxcabc");
  CHECK_INT (a->nr_pending, ==, 0);
  CHECK_INT (b->nr_pending, ==, 0);

  /* A request cut to its end still ends its client's turn: A's three
   * one-chunk requests do not go before B's second chunk.
   */
  r[0]->next = 0, r[0]->end = CHUNK;
  r[1]->next = 1000, r[1]->end = 1000 + CHUNK;
  r[2]->next = 2000, r[2]->end = 2000 + CHUNK;
  r[3]->next = 3000, r[3]->end = 3000 + 2 * CHUNK;
  for (int i = 0; i < 4; i++)
    pending_append (exp, r[i]);
  pump (exp, order, sizeof order);
  CHECK_STR (order, "axbxc");

  /* A request taken out of the middle leaves the others' order. */
  for (int i = 0; i < 4; i++) {
    r[i]->next = 1000 * (uint64_t) i;
    r[i]->end = r[i]->next + CHUNK;
    pending_append (exp, r[i]);
  }
  pending_remove (exp, r[1]);
  pump (exp, order, sizeof order);
  CHECK_STR (order, "axc");

  for (int i = 0; i < 4; i++)
    free (r[i]);
  pending_free (exp);
  flows_free (a);
  flows_free (b);
  free (a);
  free (b);
  free (exp);
}

/* A client meets 100 exports one after the other (as reloads replace
 * them), then has requests queued on two at once: it never holds more
 * flows than that needs.
 */
static void
test_flows_bounded (void)
{
  struct client *client = new_client ();
  struct export *exp[100];
  struct request *r1, *r2, *r3;
  char order[8];

  for (int i = 0; i < 100; i++) {
    exp[i] = new_export ();
    r1 = queue (client, exp[i], 'a', 1, 0);
    pump (exp[i], order, sizeof order);
    CHECK_STR (order, "a");
    free (r1);
    CHECK_INT (count_flows (client), ==, 1);
  }
  r1 = queue (client, exp[98], 'a', 2, 0);
  r2 = queue (client, exp[99], 'b', 1, 0);
  CHECK (r1->flow != r2->flow);
  CHECK_INT (count_flows (client), ==, 2);
  pump (exp[98], order, sizeof order);
  CHECK_STR (order, "aa");
  pump (exp[99], order, sizeof order);
  CHECK_STR (order, "b");
  /* Both flows are empty again: a third export takes one over. */
  r3 = queue (client, exp[0], 'c', 1, 0);
  CHECK_INT (count_flows (client), ==, 2);
  pending_remove (exp[0], r3);

  free (r1);
  free (r2);
  free (r3);
  flows_free (client);
  CHECK_INT (count_flows (client), ==, 0);
  for (int i = 0; i < 100; i++) {
    pending_free (exp[i]);
    free (exp[i]);
  }
  free (client);
}

int
main (void)
{
  test_turns ();
  test_flows_bounded ();
  printf ("ok\n");
  return 0;
}
