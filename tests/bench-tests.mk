# The benchmark's quick run (bench/run-bench.sh --quick).
TESTS += test-bench-quick.sh test-bench-compare.sh
EXTRA_DIST += test-bench-quick.sh test-bench-compare.sh

# What the performance work added: coalescing, shared warming, reading
# replies in bursts, batching events under load.
TESTS += test-coalesce.sh test-coalesce-clients.sh test-dedup.sh \
	test-burst-replies.sh test-event-batching.sh
EXTRA_DIST += test-coalesce.sh test-coalesce-clients.sh test-dedup.sh \
	test-burst-replies.sh test-event-batching.sh
