# nbdcached: tests of the admin commands, the stats formats and warm
# manifests, included by tests/Makefile.am.  Each runs real nbdkit
# servers and a real daemon, and drives them with nbdcachectl.
ADMIN_TESTS = \
	test-admin-perm.sh \
	test-admin-pause.sh \
	test-pause-queued.sh \
	test-pause-reload.sh \
	test-timeout-paused.sh \
	test-stats-formats.sh \
	test-manifest-warm.sh \
	test-manifest-past-end.sh \
	test-manifest-errors.sh

TESTS += $(ADMIN_TESTS)
EXTRA_DIST += $(ADMIN_TESTS)
