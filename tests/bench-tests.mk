# The benchmark's quick run (bench/run-bench.sh --quick).
TESTS += test-bench-quick.sh
EXTRA_DIST += test-bench-quick.sh

# What the performance work added: coalescing and shared warming.
TESTS += test-coalesce.sh test-dedup.sh
EXTRA_DIST += test-coalesce.sh test-dedup.sh
