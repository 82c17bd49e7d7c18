# ferry — top-level build.
#
#   make            build ferryd and the test tools (build/release/)
#   make SANITIZE=1 the same with ASan + UBSan (build/san/)
#   make deps       install Debian packages and fetch the Kafka jars
#   make check      deps + sanitizer build + unit and integration tests
#   make demo       deps + build + two local Kafka clusters mirrored A->B
#   make bench      1M x 1 KiB records mirrored A->B, measured; re-reads after
#                   failover, ferry against MM2
#   make install    deps-build + build; ferryd, ferry, man pages and the
#                   systemd unit (PREFIX, DESTDIR)
#   make docs       regenerate the command list of docs/ferry.1
#
# Every object lands under $(B); nothing is written into the source tree.
#
# The library flags are asked of pkg-config when a recipe first needs them,
# not when this file is read: `make demo` on a bare machine reads it before
# `deps` has installed the libraries. Targets that install deps build in a
# sub-make after them, so -j cannot start a compile before the packages are
# there. PKG_CONFIG and DEPS_CMD may be overridden (regress/t/001_makefile.pl
# does, to play a bare machine).

CC      ?= cc
PKGS    := rdkafka sqlite3 libpcre2-8 libsystemd jansson openssl libmicrohttpd libxxhash
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wno-unused-parameter
OPT     := -O2 -g
PKG_CONFIG ?= pkg-config
DEPS_CMD   ?= scripts/deps.sh

# $(call pkg_query,--cflags,PACKAGES): pkg-config's answer, or a stop
# naming what failed and what to run. Judged by exit status (.SHELLSTATUS,
# GNU make >= 4.2; bookworm has 4.3), as an empty answer is valid.
pkg_query = $(eval pkg_out__ := $$(shell $$(PKG_CONFIG) $1 $2 2>/dev/null))$\
	$(if $(filter 0,$(.SHELLSTATUS)),$(pkg_out__),$\
	$(error $(PKG_CONFIG) $1 $2 failed ($(shell $(PKG_CONFIG) --print-errors $1 $2 2>&1 | head -3)):$\
	 the libraries are not installed; run `make deps` (Debian packages from scripts/deps.sh)))

# Each asked once, on first use (the right side replaces itself).
PKG_CFLAGS   = $(eval PKG_CFLAGS := $$(call pkg_query,--cflags,$$(PKGS) libedit))$(PKG_CFLAGS)
PKG_LIBS     = $(eval PKG_LIBS := $$(call pkg_query,--libs,$$(PKGS)))$(PKG_LIBS)
SHELL_PKGS  := libedit jansson libssl libcrypto
SHELL_LIBS   = $(eval SHELL_LIBS := $$(call pkg_query,--libs,$$(SHELL_PKGS)))$(SHELL_LIBS)

ifeq ($(SANITIZE),1)
B       := build/san
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B       := build/release
SAN     :=
endif

# every #include of another folder is by path from the project root
# ("lib/err.h", "appliance/conf.h")
CFLAGS_ALL  = $(CSTD) $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS) -I. -I$(B)/gen -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lpthread

# --- lib/: what ferryd, the ferry shell (and the PostgreSQL extension to
# come) share: errors, clocks, version, the control protocol, the command
# table, control-plane roles. Needs only libc, jansson and OpenSSL.
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)

# --- the daemon's library (everything but main), shared with unit tests ---
APP_SRC := $(filter-out appliance/main.c,$(wildcard appliance/*.c))
APP_OBJ := $(APP_SRC:%.c=$(B)/%.o) $(B)/gen/schema_sql.o
SCHEMA  := $(sort $(wildcard schema/[0-9]*.sql))

all: $(B)/ferryd $(B)/ferry $(B)/kt unit-bins

$(B)/libferrycommon.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(B)/libferry.a: $(APP_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(B)/ferryd: $(B)/appliance/main.o $(B)/libferry.a $(B)/libferrycommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# the admin shell links lib/ only, never the daemon
$(B)/ferry: $(B)/shell/ferry.o $(B)/libferrycommon.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SHELL_LIBS)

# schema/*.sql are embedded into ferryd as numbered migrations
$(B)/gen/schema_sql.c: $(SCHEMA) schema/embed.sh
	@mkdir -p $(@D)
	sh schema/embed.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

$(B)/gen/%.o: $(B)/gen/%.c
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# --- test tools and unit tests ---
$(B)/kt: $(B)/regress/tools/kt.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

UNIT_SRC  := $(wildcard regress/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:regress/unit/%.c=$(B)/unit/%)
unit-bins: $(UNIT_BINS)
# kept, so a second make does not relink every test
.SECONDARY: $(UNIT_SRC:%.c=$(B)/%.o)
$(B)/unit/%: $(B)/regress/unit/%.o $(B)/libferry.a $(B)/libferrycommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# --- set-up, tests, demo, bench ---
deps:
	@$(DEPS_CMD)

# only what building needs (no JDK, no Kafka jars): for install
deps-build:
	@$(DEPS_CMD) --build

PROVE_FLAGS ?=
check: build-with-deps
	$(MAKE) --no-print-directory SANITIZE=1 all
	FERRY_BUILD=$(CURDIR)/build/san prove $(PROVE_FLAGS) --exec '' build/san/unit/*
	FERRY_BUILD=$(CURDIR)/build/san prove $(PROVE_FLAGS) -I regress/lib regress/t/*.pl

# one test file: make prove T=regress/t/010_mirror.pl
prove: all
	FERRY_BUILD=$(CURDIR)/$(B) prove -v -I regress/lib $(T)

# deps, then everything built by a sub-make: a make started before the
# packages existed never compiles with what it found then, whatever -j says
build-with-deps: deps
	$(MAKE) --no-print-directory all

demo: build-with-deps
	@scripts/demo.sh start

demo-stop:
	@scripts/demo.sh stop

bench: build-with-deps
	FERRY_BUILD=$(CURDIR)/$(B) perl -I regress/lib regress/bench/mirror_bench.pl
	FERRY_BUILD=$(CURDIR)/$(B) perl -I regress/lib regress/bench/failover_bench.pl

PREFIX  ?= /usr
DESTDIR ?=
install: deps-build
	$(MAKE) --no-print-directory $(B)/ferryd $(B)/ferry
	install -D -m 0755 $(B)/ferryd $(DESTDIR)$(PREFIX)/sbin/ferryd
	install -D -m 0755 $(B)/ferry $(DESTDIR)$(PREFIX)/bin/ferry
	install -D -m 0644 docs/ferryd.8 $(DESTDIR)$(PREFIX)/share/man/man8/ferryd.8
	install -D -m 0644 docs/ferry.1 $(DESTDIR)$(PREFIX)/share/man/man1/ferry.1
	install -D -m 0644 docs/ferry.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/ferry.conf.5
	install -D -m 0644 appliance/ferryd.service $(DESTDIR)$(PREFIX)/lib/systemd/system/ferryd.service

# the COMMANDS section of ferry(1) is generated from the command table
docs: $(B)/ferry
	scripts/gen-commands-man.sh $(B)/ferry docs/ferry.1

clean:
	rm -rf build regress/tmp_check

.PHONY: all deps deps-build build-with-deps check prove demo demo-stop bench install docs clean unit-bins
-include $(shell find $(B) -name '*.d' 2>/dev/null)
