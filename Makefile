# ferry — top-level build.
#
#   make            build ferryd and the test tools (build/release/)
#   make SANITIZE=1 the same with ASan + UBSan (build/san/)
#   make deps       install Debian packages and fetch the Kafka jars
#   make check      deps + sanitizer build + unit and integration tests
#   make demo       deps + build + two local Kafka clusters mirrored A->B
#   make bench      1M x 1 KiB records mirrored A->B, measured; re-reads after
#                   failover, ferry against MM2
#   make install    ferryd, man pages and the systemd unit (PREFIX, DESTDIR)
#   make docs       regenerate the command list of docs/ferry.1
#
# Every object lands under $(B); nothing is written into the source tree.

CC      ?= cc
PKGS    := rdkafka sqlite3 libpcre2-8 libsystemd jansson openssl libmicrohttpd libxxhash
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wno-unused-parameter
OPT     := -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
B       := build/san
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B       := build/release
SAN     :=
endif

CFLAGS_ALL  = $(CSTD) $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS) -Iappliance -I$(B)/gen -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lpthread

# --- the daemon's library (everything but main), shared with unit tests ---
APP_SRC := $(filter-out appliance/main.c,$(wildcard appliance/*.c)) acl/roles.c shell/cmdtab.c shell/proto.c
APP_OBJ := $(APP_SRC:%.c=$(B)/%.o) $(B)/gen/schema_sql.o
SCHEMA  := $(sort $(wildcard schema/[0-9]*.sql))

all: $(B)/ferryd $(B)/ferry $(B)/kt unit-bins

$(B)/libferry.a: $(APP_OBJ)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(B)/ferryd: $(B)/appliance/main.o $(B)/libferry.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# the admin shell: the command table and protocol client it shares with
# ferryd come from libferry.a
$(B)/ferry: $(B)/shell/ferry.o $(B)/libferry.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -ledit

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
$(B)/unit/%: $(B)/regress/unit/%.o $(B)/libferry.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# --- set-up, tests, demo, bench ---
deps:
	@scripts/deps.sh

PROVE_FLAGS ?=
check: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory SANITIZE=1 all
	FERRY_BUILD=$(CURDIR)/build/san prove $(PROVE_FLAGS) --exec '' build/san/unit/*
	FERRY_BUILD=$(CURDIR)/build/san prove $(PROVE_FLAGS) -I regress/lib regress/t/*.pl

# one test file: make prove T=regress/t/010_mirror.pl
prove: all
	FERRY_BUILD=$(CURDIR)/$(B) prove -v -I regress/lib $(T)

demo: deps all
	@scripts/demo.sh start

demo-stop:
	@scripts/demo.sh stop

bench: deps all
	FERRY_BUILD=$(CURDIR)/$(B) perl -I regress/lib regress/bench/mirror_bench.pl
	FERRY_BUILD=$(CURDIR)/$(B) perl -I regress/lib regress/bench/failover_bench.pl

PREFIX  ?= /usr
DESTDIR ?=
install: $(B)/ferryd $(B)/ferry
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

.PHONY: all deps check prove demo demo-stop bench install docs clean unit-bins
-include $(shell find $(B) -name '*.d' 2>/dev/null)
