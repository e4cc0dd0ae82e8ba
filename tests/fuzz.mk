# The protocol decoder's fuzz target.  fuzz-replay runs it over the
# seed corpus in every build; test-fuzz.sh runs libFuzzer for a short
# while when clang is there.  See fuzz/fuzz-decode.c for a long run.
check_PROGRAMS += fuzz-replay
fuzz_replay_SOURCES = fuzz/fuzz-replay.c fuzz/fuzz-decode.c
fuzz_replay_CPPFLAGS = -I$(top_builddir) -I$(top_srcdir)/proto \
	-I$(top_srcdir)/common
fuzz_replay_CFLAGS = $(WARNINGS_CFLAGS) $(SANITIZER_CFLAGS) $(JSONC_CFLAGS)
fuzz_replay_LDFLAGS = $(SANITIZER_CFLAGS)
fuzz_replay_LDADD = $(top_builddir)/proto/libproto.la \
	$(top_builddir)/common/libcommon.la $(JSONC_LIBS)

TESTS += test-fuzz-replay.sh test-fuzz.sh
EXTRA_DIST += fuzz/corpus test-fuzz-replay.sh test-fuzz.sh
