# nbdcached: the shell tests, included by tests/Makefile.am.
#
# Each test-*.sh is one behaviour, run against a real NBD server
# (nbdkit or qemu-nbd) and a real daemon; it exits 77 ("skipped") when
# a tool it needs is missing.  The Python helpers are run by the tests:
# rawclient.py speaks the client protocol byte for byte, check-chunks.py
# checks the Cache requests a server received, jq.py reads JSON.

SHELL_TESTS = \
	test-help.sh \
	test-ctl-usage.sh \
	test-config.sh \
	test-config-long-lines.sh \
	test-config-sections.sh \
	test-export-names.sh \
	test-cache-basic.sh \
	test-split-align.sh \
	test-partial-tail.sh \
	test-default-max.sh \
	test-max-chunk.sh \
	test-past-end.sh \
	test-exports.sh \
	test-multi-conn.sh \
	test-nocache.sh \
	test-server-error.sh \
	test-server-errno.sh \
	test-export-down.sh \
	test-server-death.sh \
	test-connect-timeout.sh \
	test-max-in-flight.sh \
	test-fairness.sh \
	test-busy-poll.sh \
	test-warm.sh \
	test-warm-daemon-gone.sh \
	test-ctl-timeout.sh \
	test-qemu-nbd.sh \
	test-protocol-hello.sh \
	test-protocol-errors.sh \
	test-protocol-msgsize.sh \
	test-protocol-cookies.sh \
	test-protocol-v2-hold.sh \
	test-protocol-disconnect.sh \
	test-protocol-half-close.sh \
	test-client-gone-paused.sh \
	test-protocol-utf8.sh \
	test-protocol-spec-client.sh \
	test-stop.sh \
	test-stop-inflight.sh \
	test-stop-retry-queue.sh \
	test-stop-during-reload.sh

TESTS += $(SHELL_TESTS)
EXTRA_DIST += $(SHELL_TESTS) rawclient.py spec-client.py check-chunks.py jq.py \
	emfile-clients.py
