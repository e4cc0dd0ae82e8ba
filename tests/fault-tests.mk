# nbdcached: tests of faults, bad clients, load and access control,
# included by tests/Makefile.am.  Each runs real nbdkit servers and a
# real daemon; pipeline.py checks the exactly-once completion rule.
FAULT_TESTS = \
	test-fault-server-killed.sh \
	test-fault-shrunk-inflight.sh \
	test-fault-server-changed.sh \
	test-fault-server-changed-inflight.sh \
	test-fault-error-cookie.sh \
	test-fault-eshutdown.sh \
	test-fault-server-hang.sh \
	test-fault-stale-overflow.sh \
	test-dedup-stuck.sh \
	test-fault-stuck-command.sh \
	test-fault-reconnecting.sh \
	test-fault-dns-slow.sh \
	test-fault-fallback-read.sh \
	test-fault-fallback-mixed.sh \
	test-fault-mixed-facts.sh \
	test-fault-late-server.sh \
	test-fault-calls.sh \
	test-fault-alloc.sh \
	test-fault-alloc-reload.sh \
	test-fault-alloc-refit.sh \
	test-fault-epoll.sh \
	test-fault-timers.sh \
	test-fault-dns.sh \
	test-client-gone.sh \
	test-limit-backpressure.sh \
	test-limit-slow-reader.sh \
	test-limit-half-message.sh \
	test-load-clients.sh \
	test-limit-emfile.sh \
	test-limit-user-clients.sh \
	test-limit-user-output.sh \
	test-limit-user-requests.sh \
	test-limit-reply-size.sh \
	test-access-exports.sh \
	test-access-socket.sh \
	test-access-reload.sh \
	test-access-userns.sh \
	test-uri-hardening.sh \
	test-tls-psk.sh

TESTS += $(FAULT_TESTS)
EXTRA_DIST += $(FAULT_TESTS) pipeline.py dns-server.py

# fail-calls.so, preloaded into the daemon by test-fault-calls.sh to
# make one chosen library call fail.  -rpath makes libtool build a
# shared object; it is never installed.
check_LTLIBRARIES = fail-calls.la
fail_calls_la_SOURCES = fail-calls.c
fail_calls_la_CFLAGS = $(WARNINGS_CFLAGS) -pthread
fail_calls_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
fail_calls_la_LIBADD = -ldl
