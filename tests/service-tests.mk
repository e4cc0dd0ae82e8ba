# nbdcached as a system service: socket activation, sd_notify, reload
# and drain, included by tests/Makefile.am.
SERVICE_TESTS = \
	test-notify.sh \
	test-socket-activation.sh \
	test-socket-activation-bad.sh \
	test-reload.sh \
	test-reload-bad.sh \
	test-reload-pidfile.sh \
	test-threads-inline.sh \
	test-journal-log.sh

TESTS += $(SERVICE_TESTS)
EXTRA_DIST += $(SERVICE_TESTS) notify-listen.py
