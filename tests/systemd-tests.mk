# nbdcached: checks of the systemd units in systemd/, included by
# tests/Makefile.am.  They need systemd-analyze (skipped without it)
# but not systemd running as init.
SYSTEMD_TESTS = test-systemd-units.sh

TESTS += $(SYSTEMD_TESTS)
EXTRA_DIST += $(SYSTEMD_TESTS)

# The test rewrites the installed paths in the generated units to the
# programs in the build tree, so it needs to know them.
TESTS_ENVIRONMENT += \
	SYSTEMD_ANALYZE='$(SYSTEMD_ANALYZE)' \
	sbindir='$(sbindir)' \
	bindir='$(bindir)'
