/* nbdcached tests: the turns of daemon/pending.c, without a server.
 *
 * The pump cuts one chunk from pending_first's request and then calls
 * pending_advance (..., true); this test plays that loop over
 * hand-built users, clients, exports and requests, and checks the
 * order of the cuts: users take turns first, then each user's clients,
 * then each client's requests, and a client whose request has just
 * been cut to its end still yields its turn.  It also checks that a
 * client keeps no more flows, and a user no more shares, than it
 * needs, however many exports it meets (reloads replace export
 * structures).  The timing-dependent view of the same rules,
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
  TAILQ_INIT (&exp->shares);
  return exp;
}

static struct user *
new_user (void)
{
  struct user *user = calloc (1, sizeof *user);

  CHECK (user != NULL);
  LIST_INIT (&user->shares);
  return user;
}

static struct client *
new_client (struct user *user)
{
  struct client *client = calloc (1, sizeof *client);

  CHECK (client != NULL);
  client->fd = 1;               /* open, for client_is_open */
  client->user = user;
  LIST_INIT (&client->flows);
  return client;
}

static void
free_user (struct user *user)
{
  shares_free (user);
  CHECK (LIST_EMPTY (&user->shares));
  free (user);
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

static size_t
count_shares (const struct user *user)
{
  const struct share *share;
  size_t n = 0;

  LIST_FOREACH (share, &user->shares, user_entry)
    n++;
  return n;
}

/* Clients of one user take turns, then each client's requests: A's
 * three requests (a, b, c) and B's one (x), two chunks each.
 */
static void
test_turns (void)
{
  struct export *exp = new_export ();
  struct user *u = new_user ();
  struct client *a = new_client (u), *b = new_client (u);
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
  free_user (u);
  free (exp);
}

/* Users take turns before their clients do: user U's clients A and B
 * (requests a and b) and user V's client C (request x), three chunks
 * each.  By clients alone the order would be "abxabxabx", and U, with
 * two connections, would get two turns to V's one.
 */
static void
test_users (void)
{
  struct export *exp = new_export ();
  struct user *u = new_user (), *v = new_user ();
  struct client *a = new_client (u), *b = new_client (u);
  struct client *c = new_client (v);
  struct request *r[3];
  char order[32];

  r[0] = queue (a, exp, 'a', 3, 0);
  r[1] = queue (b, exp, 'b', 3, 1000);
  r[2] = queue (c, exp, 'x', 3, 2000);
  CHECK (r[0]->flow->share == r[1]->flow->share);
  CHECK (r[0]->flow->share != r[2]->flow->share);
  pump (exp, order, sizeof order);
  CHECK_STR (order, "axbxaxbab");

  for (int i = 0; i < 3; i++)
    free (r[i]);
  pending_free (exp);
  flows_free (a);
  flows_free (b);
  flows_free (c);
  free (a);
  free (b);
  free (c);
  free_user (u);
  free_user (v);
  free (exp);
}

/* A client meets 100 exports one after the other (as reloads replace
 * them), then has requests queued on two at once: it never holds more
 * flows than that needs.
 */
static void
test_flows_bounded (void)
{
  struct user *user = new_user ();
  struct client *client = new_client (user);
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
    CHECK_INT (count_shares (user), ==, 1);
  }
  r1 = queue (client, exp[98], 'a', 2, 0);
  r2 = queue (client, exp[99], 'b', 1, 0);
  CHECK (r1->flow != r2->flow);
  CHECK (r1->flow->share != r2->flow->share);
  CHECK_INT (count_flows (client), ==, 2);
  CHECK_INT (count_shares (user), ==, 2);
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
  free_user (user);
}

/* An empty share taken over for another export (by another client of
 * the same user) is not the share of a flow that kept its export: A's
 * flow on export 1 is empty when B's request on export 2 takes the
 * user's only share over; A's next request on export 1 then gets a
 * share of its own, and each export cuts only its own requests.
 */
static void
test_share_taken_over (void)
{
  struct export *e1 = new_export (), *e2 = new_export ();
  struct user *u = new_user ();
  struct client *a = new_client (u), *b = new_client (u);
  struct request *r1, *r2, *r3;
  char order[8];

  r1 = queue (a, e1, 'a', 1, 0);
  pump (e1, order, sizeof order);
  CHECK_STR (order, "a");
  r2 = queue (b, e2, 'b', 2, 0);
  CHECK (r2->flow->share == r1->flow->share);       /* taken over */
  CHECK_INT (count_shares (u), ==, 1);
  r3 = queue (a, e1, 'c', 2, 0);
  CHECK (r3->flow == r1->flow);
  CHECK (r3->flow->share != r2->flow->share);
  CHECK_INT (count_shares (u), ==, 2);
  pump (e1, order, sizeof order);
  CHECK_STR (order, "cc");
  pump (e2, order, sizeof order);
  CHECK_STR (order, "bb");

  free (r1);
  free (r2);
  free (r3);
  pending_free (e1);
  pending_free (e2);
  flows_free (a);
  flows_free (b);
  free (a);
  free (b);
  free_user (u);
  free (e1);
  free (e2);
}

int
main (void)
{
  test_turns ();
  test_users ();
  test_flows_bounded ();
  test_share_taken_over ();
  printf ("ok\n");
  return 0;
}
