# The benchmark's quick run (bench/run-bench.sh --quick).
TESTS += test-bench-quick.sh
EXTRA_DIST += test-bench-quick.sh
