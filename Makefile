# ferry — top-level build.
#
#   make            build ferryd and the test tools (build/release/)
#   make SANITIZE=1 the same with ASan + UBSan (build/san/)
#   make deps       install Debian packages and fetch the Kafka jars
#   make check      deps + format-check + lint + sanitizer build + unit and integration tests
#   make demo       deps + build + two local Kafka clusters mirrored A->B
#   make bench      1M x 1 KiB records mirrored A->B, measured; re-reads after
#                   failover, ferry against MM2
#   make install    deps-build + build; ferryd, ferry, man pages and the
#                   systemd unit (PREFIX, DESTDIR); the PostgreSQL extension
#                   (pgext/, ferry(7)) into the server pg_config names
#                   (PG_CONFIG; skipped without one)
#   make docs       regenerate the generated sections of the man pages from
#                   their tables (ferry.1 COMMANDS, ferry.conf.5 keys,
#                   ferryd.8 METRICS);
#                   regress/t/003_docs.pl fails when one is stale
#   make lint       clang-tidy (.clang-tidy) and cppcheck over
#                   all C code; fails on any finding
#   make compile_commands.json  the compile database clang-tidy and editors read
#   make format / format-check  clang-format (.clang-format): rewrite / diff
#
# Every object lands under $(B); nothing is written into the source tree
# but compile_commands.json (ignored by git), where editors look for it.
#
# The library flags are asked of pkg-config when a recipe first needs them,
# not when this file is read: `make demo` on a bare machine reads it before
# `deps` has installed the libraries. Targets that install deps build in a
# sub-make after them, so -j cannot start a compile before the packages are
# there. PKG_CONFIG and DEPS_CMD may be overridden (regress/t/001_makefile.pl
# does, to play a bare machine).

CC      ?= cc
PKGS    := rdkafka sqlite3 libpcre2-8 libsystemd jansson openssl libmicrohttpd libxxhash libpq
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
# appliance/ is the data flow in folders (docs/architecture.md): conf/,
# kafka/, data/, dr/, sync/, placement/, sink/, store/, control/, and main, runtime and log on
# top; acl/ holds the ACL sync rules (pure C, unit-tested), linked in too
APP_SRC := $(filter-out appliance/main.c,$(wildcard appliance/*.c appliance/*/*.c)) \
           $(wildcard acl/*.c)
APP_OBJ := $(APP_SRC:%.c=$(B)/%.o) $(B)/gen/schema_sql.o
SCHEMA  := $(sort $(wildcard schema/[0-9]*.sql))

all: $(B)/ferryd $(B)/ferry $(B)/kt unit-bins pgext

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

# --- pgext/: the PostgreSQL extension (ferry(7)), built by PGXS with the
# server's own flags in $(B)/pgext, never with the sanitizers (an
# uninstrumented postgres loads it). PG_CONFIG names the server; without
# it, the pg_config on PATH (bookworm's picks the newest server-dev); with
# none at all the extension is skipped with a note. After the common
# library, so a machine without the libraries stops there first.
PG_CONFIG ?=
PGEXT_B := $(B)/pgext
PGEXT_MAKE = pgc="$(PG_CONFIG)"; [ -n "$$pgc" ] || pgc=$$(command -v pg_config || true); \
	if [ -z "$$pgc" ]; then \
	  echo "pgext: no pg_config (postgresql-server-dev-15): the extension is skipped (make deps)"; \
	else mkdir -p $(PGEXT_B) && \
	  $(MAKE) --no-print-directory -C $(PGEXT_B) -f $(CURDIR)/pgext/Makefile PG_CONFIG="$$pgc"
pgext: $(B)/libferrycommon.a
	@$(PGEXT_MAKE); fi

# into DESTDIR as well (Ferry::Test::Pg installs into its copy of the server)
pgext-install: pgext
	@$(PGEXT_MAKE) install; fi

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
	$(MAKE) --no-print-directory format-check
	$(MAKE) --no-print-directory lint
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
	install -D -m 0644 docs/ferry.7 $(DESTDIR)$(PREFIX)/share/man/man7/ferry.7
	$(MAKE) --no-print-directory pgext-install

# the man pages' generated sections come from the tables: ferry(1)'s
# COMMANDS from the command table, ferry.conf(5)'s key reference from the
# key table, ferryd(8)'s METRICS from the metric registry (between their
# BEGIN/END markers; the rest is hand-written)
docs: $(B)/ferry $(B)/ferryd
	scripts/gen-commands-man.sh $(B)/ferry docs/ferry.1
	scripts/gen-man.pl keys $(B)/ferryd docs/ferry.conf.5
	scripts/gen-man.pl metrics $(B)/ferryd docs/ferryd.8

# --- static analysis and format (docs/HACKING.md) ---
# every C file we own, by folder
PGEXT_SRC := $(wildcard pgext/*.c)
C_SRC  := $(LIB_SRC) $(APP_SRC) appliance/main.c shell/ferry.c \
          regress/tools/kt.c $(UNIT_SRC) $(PGEXT_SRC)
C_HDR  := $(wildcard lib/*.h appliance/*.h appliance/*/*.h shell/*.h acl/*.h regress/unit/*.h \
          pgext/*.h)
CLANG_TIDY   ?= clang-tidy
CPPCHECK     ?= cppcheck
CLANG_FORMAT ?= clang-format

# One entry per C source, from the very flags the build uses (CFLAGS_ALL
# but the dependency-file options). Rebuilt when the Makefile or the
# source list changes; a new file is picked up by its wildcard.
# pgext/*.c get the server's include directories (pg_config, as above)
# instead of the libraries' flags.
CC_JSON_FLAGS = $(filter-out -MMD -MP,$(CFLAGS_ALL))
PGEXT_JSON_FLAGS = $(CSTD) $(WARN) -I. $$(pgc="$(PG_CONFIG)"; [ -n "$$pgc" ] || \
	pgc=$$(command -v pg_config || echo false); d=$$($$pgc --includedir-server 2>/dev/null) && \
	echo -I$$d)
compile_commands.json: Makefile $(C_SRC)
	@{ sep='['; pgflags="$(PGEXT_JSON_FLAGS)"; for f in $(C_SRC); do \
	  case $$f in pgext/*) flags="$$pgflags" ;; *) flags='$(CC_JSON_FLAGS)' ;; esac; \
	  printf '%s\n  {"directory": "%s", "file": "%s", "command": "%s"}' \
	    "$$sep" '$(CURDIR)' "$$f" '$(CC) '"$$flags"' -c -o $(B)/'"$${f%.c}"'.o '"$$f"; \
	  sep=','; done; printf '\n]\n'; } > $@.tmp && mv $@.tmp $@
	@echo "compile_commands.json: $(words $(C_SRC)) files"

# clang-tidy: the checks are .clang-tidy's; any warning is an error there
# (WarningsAsErrors), so a finding fails the target. Files run two at a time
# under `make -j2 lint` through the per-file stamps below.
LINT_DIR   := build/lint
TIDY_STAMP := $(C_SRC:%.c=$(LINT_DIR)/tidy/%.ok)
$(LINT_DIR)/tidy/%.ok: %.c .clang-tidy compile_commands.json $(C_HDR)
	@mkdir -p $(@D)
	@$(CLANG_TIDY) --quiet -p . $< >$@.log 2>&1; rc=$$?; \
	  grep -v '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$$' $@.log; \
	  if [ $$rc -eq 0 ] && ! grep -q 'warning:\|error:' $@.log; then touch $@; else exit 1; fi

# cppcheck: whole program, from the same compile database; inline
# suppressions (// cppcheck-suppress id) carry their reason beside them.
# The system headers are not checked (missingIncludeSystem); variableScope
# (declare in the inner block) is taste, the tree declares at a block's top;
# varFuncNullUB: NULL as a variadic sentinel is (void *)0 on glibc, our only libc.
lint-cppcheck: compile_commands.json
	@mkdir -p $(LINT_DIR)/cppcheck
	$(CPPCHECK) --project=compile_commands.json --cppcheck-build-dir=$(LINT_DIR)/cppcheck \
	  -j2 --quiet --error-exitcode=1 --inline-suppr --std=c11 \
	  --enable=warning,style,performance,portability \
	  --suppress=missingIncludeSystem --suppress=unmatchedSuppression \
	  --suppress=variableScope --suppress=varFuncNullUB \
	  --suppress='*:/usr/*' --template='{file}:{line}: {severity}: {message} [{id}]'

lint-tidy: $(TIDY_STAMP)

lint: lint-tidy lint-cppcheck

# the format is .clang-format's; format-check changes nothing
format:
	$(CLANG_FORMAT) -i $(C_SRC) $(C_HDR)

format-check:
	@n=0; for f in $(C_SRC) $(C_HDR); do \
	  if ! $(CLANG_FORMAT) $$f | diff -u $$f - >/dev/null; then echo "format: $$f"; n=$$((n+1)); fi; \
	done; if [ $$n -ne 0 ]; then echo "format-check: $$n files differ from .clang-format (make format)"; exit 1; fi

clean:
	rm -rf build regress/tmp_check compile_commands.json

.PHONY: pgext pgext-install all deps deps-build build-with-deps check prove demo demo-stop bench install docs clean unit-bins \
	lint lint-tidy lint-cppcheck format format-check
-include $(shell find $(B) -name '*.d' 2>/dev/null)
