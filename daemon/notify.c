/* nbdcached: telling systemd what we are doing (sd_notify(3)).  Every
 * call is a no-op when NOTIFY_SOCKET is not set.  Main thread only.
 *
 * The watchdog ping comes from a timer on the main loop, so a stuck
 * loop stops the pings and systemd restarts us.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "internal.h"

static struct event *watchdog_ev;
static char last_status[256];

/* The one-line summary systemctl status shows. */
static void
format_status (char *buf, size_t len)
{
  size_t up = 0, down = 0;

  for (size_t i = 0; i < exports.len; i++) {
    if (exports.ptr[i]->state == EXPORT_UP)
      up++;
    else
      down++;
  }
  snprintf (buf, len, "%s%zu export%s up, %zu down; %u client%s; "
            "%zu request%s in flight",
            daemon_draining ? "draining: " : "",
            up, up == 1 ? "" : "s", down, nr_clients,
            nr_clients == 1 ? "" : "s", exports_in_flight (),
            exports_in_flight () == 1 ? "" : "s");
}

/* Send STATUS= if it changed since last time. */
void
daemon_notify_status (void)
{
  char status[256];

  format_status (status, sizeof status);
  if (strcmp (status, last_status) == 0)
    return;
  memcpy (last_status, status, sizeof status);
  sd_notifyf (0, "STATUS=%s", status);
}

/* Room for what follows the wait itself: closing connections and
 * clients, freeing, exiting.
 */
#define EXTEND_SLACK_MS 5000

/* Tell systemd that the current state (starting, stopping) may last
 * MS (plus slack) from now: the daemon knows its own bound, which can
 * exceed the unit's TimeoutStartSec= or TimeoutStopSec=.  systemd only
 * ever lengthens its timeout for this, never shortens it.
 */
static void
notify_extend (unsigned ms)
{
  sd_notifyf (0, "EXTEND_TIMEOUT_USEC=%" PRIu64,
              ((uint64_t) ms + EXTEND_SLACK_MS) * 1000);
}

/* Start-up waits for every export's first connection attempt, which
 * connect-timeout bounds (name lookup included).  Called once, if
 * start-up is still waiting after starting the exports.
 */
void
notify_starting (void)
{
  unsigned longest = 0;

  for (size_t i = 0; i < exports.len; i++)
    if (exports.ptr[i]->cfg.connect_timeout_ms > longest)
      longest = exports.ptr[i]->cfg.connect_timeout_ms;
  notify_extend (longest);
}

void
notify_ready (void)
{
  sd_notify (0, "READY=1");
  daemon_notify_status ();
}

/* Around a reload: RELOADING=1, then READY=1 when it is done; but not
 * before the daemon first said READY=1 (a SIGHUP during start-up),
 * which would tell systemd it has started before it serves.
 */
void
notify_reloading (void)
{
  if (!daemon_ready)
    return;
  sd_notify (0, "RELOADING=1\nSTATUS=reloading the configuration");
  last_status[0] = '\0';
}

void
notify_reloaded (void)
{
  if (daemon_ready)
    notify_ready ();
}

/* The drain is bounded by drain-timeout. */
void
notify_stopping (void)
{
  sd_notify (0, "STOPPING=1");
  notify_extend (cfg.drain_timeout_ms);
  daemon_notify_status ();
}

static void
on_watchdog (evutil_socket_t fd, short what, void *opaque)
{
  sd_notify (0, "WATCHDOG=1");
}

/* If systemd set a watchdog for us, ping it at half its period. */
void
notify_watchdog_start (void)
{
  uint64_t usec;
  struct timeval tv;

  if (sd_watchdog_enabled (0, &usec) <= 0)
    return;
  usec /= 2;
  tv.tv_sec = (time_t) (usec / 1000000);
  tv.tv_usec = (suseconds_t) (usec % 1000000);
  watchdog_ev = event_new (main_loop.base, -1, EV_PERSIST, on_watchdog, NULL);
  if (watchdog_ev == NULL || event_add (watchdog_ev, &tv) == -1)
    fatalx ("cannot start the watchdog timer");
  log_debug ("watchdog: pinging every %llu ms", (unsigned long long) usec / 1000);
  sd_notify (0, "WATCHDOG=1");
}

void
notify_watchdog_stop (void)
{
  if (watchdog_ev) {
    event_free (watchdog_ev);
    watchdog_ev = NULL;
  }
}
