# nbdcached: the C tests, included by tests/Makefile.am.
#
# Unit tests (codec, block-size rules, human sizes) run on their own.
# Library tests are C programs driven by a test-lib-*.sh wrapper that
# starts nbdkit and the daemon and checks nbdkit's log; the programs
# are check_PROGRAMS, and only the wrappers are in TESTS.

AM_CPPFLAGS = -I$(top_builddir) -I$(top_srcdir)/include \
	-I$(top_srcdir)/common -I$(top_srcdir)/proto -I$(top_srcdir)/daemon
CFLAGS_FOR_TESTS = $(WARNINGS_CFLAGS) $(SANITIZER_CFLAGS) $(JSONC_CFLAGS) \
	-pthread
LDFLAGS_FOR_TESTS = $(SANITIZER_CFLAGS)
LIBS_FOR_LIB_TESTS = $(top_builddir)/libclient/libnbdcache.la -lpthread
LIBS_FOR_CODEC_TESTS = $(top_builddir)/proto/libproto.la \
	$(top_builddir)/common/libcommon.la $(JSONC_LIBS)

# The defaults for every C test program (fuzz.mk's fuzz-replay sets
# its own); a program's own _CFLAGS / _LDFLAGS / _LDADD replace them.
AM_CFLAGS = $(CFLAGS_FOR_TESTS)
AM_LDFLAGS = $(LDFLAGS_FOR_TESTS)
LDADD = $(LIBS_FOR_LIB_TESTS)

EXTRA_DIST += test-util.h test-lib.h

# Unit tests.
TESTS += test-codec test-codec-strings test-codec-fastpath \
	test-codec-request-reuse test-normalise test-pending test-human-size \
	test-loop
check_PROGRAMS += test-codec test-codec-strings test-codec-fastpath \
	test-codec-request-reuse test-normalise test-pending test-human-size \
	test-loop

test_codec_SOURCES = test-codec.c test-util.h
test_codec_LDADD = $(LIBS_FOR_CODEC_TESTS)

test_codec_strings_SOURCES = test-codec-strings.c test-util.h
test_codec_strings_LDADD = $(LIBS_FOR_CODEC_TESTS)

test_codec_fastpath_SOURCES = test-codec-fastpath.c test-util.h \
	codec-compare.h
test_codec_fastpath_LDADD = $(LIBS_FOR_CODEC_TESTS)

test_codec_request_reuse_SOURCES = test-codec-request-reuse.c \
	test-util.h codec-compare.h
test_codec_request_reuse_LDADD = $(LIBS_FOR_CODEC_TESTS)

# The daemon's normalise.c is compiled into the test itself.
test_normalise_SOURCES = test-normalise.c test-util.h \
	$(top_srcdir)/daemon/normalise.c
test_normalise_CFLAGS = $(CFLAGS_FOR_TESTS) $(LIBNBD_CFLAGS) $(LIBEVENT_CFLAGS)
test_normalise_LDADD = $(LIBS_FOR_CODEC_TESTS)

# The daemon's pending.c is compiled into the test itself.
test_pending_SOURCES = test-pending.c test-util.h \
	$(top_srcdir)/daemon/pending.c
test_pending_CFLAGS = $(CFLAGS_FOR_TESTS) $(LIBNBD_CFLAGS) $(LIBEVENT_CFLAGS)
test_pending_LDADD = $(LIBS_FOR_CODEC_TESTS)

# The daemon's loop.c is compiled into the test itself.
test_loop_SOURCES = test-loop.c test-util.h $(top_srcdir)/daemon/loop.c
test_loop_CFLAGS = $(CFLAGS_FOR_TESTS) $(LIBNBD_CFLAGS) $(LIBEVENT_CFLAGS)
test_loop_LDADD = $(top_builddir)/common/libcommon.la $(LIBEVENT_LIBS) \
	-lpthread

test_human_size_SOURCES = test-human-size.c test-util.h
test_human_size_LDADD = $(top_builddir)/common/libcommon.la

# The public header, as C99 -pedantic and as C++.
TESTS += test-header-c99 test-header-cxx
check_PROGRAMS += test-header-c99 test-header-cxx

test_header_c99_SOURCES = test-header-c99.c
test_header_c99_CFLAGS = -std=c99 -pedantic -Werror -Wall -Wextra \
	-Wstrict-prototypes $(SANITIZER_CFLAGS)

test_header_cxx_SOURCES = test-header-cxx.cpp
test_header_cxx_CPPFLAGS = -I$(top_builddir) -I$(top_srcdir)/include
test_header_cxx_CXXFLAGS = -Wall -Wextra -Werror $(SANITIZER_CFLAGS)

# The library's exported symbols.
TESTS += test-symbols.sh
EXTRA_DIST += test-symbols.sh

# Library tests against a real daemon and nbdkit; test-lib-bad-daemon
# and test-lib-bad-replies instead face bad-daemon.py, which only
# breaks the protocol or answers oddly.
LIB_TESTS = \
	test-lib-aio \
	test-lib-errors \
	test-lib-threads \
	test-lib-daemon-gone \
	test-lib-fd \
	test-lib-sync-peek \
	test-lib-export-names \
	test-lib-bad-daemon \
	test-lib-bad-replies \
	test-lib-oom \
	test-lib-resize
TESTS += $(LIB_TESTS:=.sh)
EXTRA_DIST += $(LIB_TESTS:=.sh) bad-daemon.py
check_PROGRAMS += $(LIB_TESTS)
# Each is built from its .c file (automake's default _SOURCES) with the
# defaults above; test-lib-oom also checks JSON with json-c.
test_lib_oom_LDADD = $(LIBS_FOR_LIB_TESTS) $(JSONC_LIBS)
