# sluice: one non-recursive Makefile. Each folder lists its own sources in a
# fragment (util/util.mk, shmem/shmem.mk, ...) that appends to:
#   LIB_SRCS      sources of build/libsluice.a (every layer below app/)
#   APP_SRCS      sources of the sluice command
#   UNIT_TESTS    NAME -> tests/unit/test_NAME.c, a Check suite
#   INTEG_TESTS   shell scripts run by `make test` after the unit suites
#   FUZZ_TARGETS  NAME -> tests/fuzz/fuzz_NAME.c, a libFuzzer harness
#   BENCH_PROGS   NAME -> tests/bench/bench_NAME.c
#   BPF_OBJS      eBPF objects built with clang -target bpf
# `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := all

CC ?= gcc
CLANG ?= clang
SAN ?= 0

BUILD ?= build
ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CPPFLAGS += -I. -D_GNU_SOURCE
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -pthread -MMD -MP $(SANFLAGS)
LDFLAGS += -pthread $(SANFLAGS)
LIBS := -lsodium -lxxhash -luring -lnuma -lhugetlbfs -lseccomp -lm
TEST_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm) -lbpf -lelf -lz -lpcap

# The version compiled into the binary (`sluice version`): git's description
# of the tree, or VERSION_FALLBACK for a tree without git (a tarball).
VERSION_FALLBACK := 0.1.0
VERSION := $(or $(shell test -e .git && git describe --tags --always --dirty 2>/dev/null),$(VERSION_FALLBACK)-nogit)

LIB_SRCS :=
APP_SRCS :=
UNIT_TESTS :=
INTEG_TESTS :=
FUZZ_TARGETS :=
BENCH_PROGS :=
BPF_OBJS :=

include $(sort $(wildcard */*.mk */*/*.mk */*/*/*.mk))

LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter %.c,$(LIB_SRCS))) \
            $(patsubst %.S,$(BUILD)/%.o,$(filter %.S,$(LIB_SRCS)))
APP_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(APP_SRCS))
LIB := $(BUILD)/libsluice.a
BIN := $(BUILD)/sluice
UNIT_BINS := $(patsubst %,$(BUILD)/tests/test_%,$(UNIT_TESTS))
BENCH_BINS := $(patsubst %,$(BUILD)/bench/bench_%,$(BENCH_PROGS))
FUZZ_BINS := $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))

# Debian packages the build, the tests and the tools need. `make deps`
# installs only what is missing, so it is a no-op on a prepared host.
DEPS_PKGS := gcc make pkg-config clang llvm libbpf-dev libelf-dev zlib1g-dev liburing-dev \
  libnuma-dev libhugetlbfs-dev libhugetlbfs-bin check libsubunit-dev libsodium-dev \
  libxxhash-dev libpcap-dev libseccomp-dev iproute2 ethtool iputils-ping netcat-openbsd tcpdump procps python3 gdb \
  prometheus tmux systemd strace groff-base man-db
BENCH_PKGS := dpdk-dev valgrind libxdp-dev xdp-tools
DEB_PKGS := dpkg-dev lintian

.PHONY: all help deps bench-deps test test-unit test-integ bench fuzz run install uninstall deb clean version FORCE

all: $(BIN) $(UNIT_BINS) $(BPF_OBJS) ## build the sluice command, the test suites and the BPF reference

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 16

deps: ## install the Debian packages sluice needs (only those missing)
	@./tests/deps.sh $(DEPS_PKGS)

bench-deps:
	@./tests/deps.sh $(DEPS_PKGS) $(BENCH_PKGS)

run: deps $(BIN) ## build, then run the demo on the embedded default config
	$(BIN) demo

test: deps ## install deps, build, run every test suite (unit, toml-test, integration)
	$(MAKE) all
	./tests/run.sh $(BUILD)

test-unit: all ## run the Check suites only
	./tests/run.sh $(BUILD) unit

test-integ: all ## run the integration tests only (root: namespaces, XDP)
	./tests/run.sh $(BUILD) integ

bench: bench-deps ## measure each stage against its baseline, print ratios
	$(MAKE) $(BIN) $(BENCH_BINS)
	./tests/bench/run.sh $(BUILD)

fuzz: deps $(FUZZ_BINS) ## run every libFuzzer harness for a bounded time (FUZZ_SECONDS, default 60)
	./tests/fuzz/run.sh $(FUZZ_SECONDS)

# Where `make install` puts things, under $(DESTDIR) when set (a staging
# root: packages). The unit's ExecStart is written for $(BINDIR).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
EXAMPLEDIR ?= $(PREFIX)/share/doc/sluice/examples
MAN_PAGES := man/sluice.1 man/sluice.toml.5
EXAMPLES := $(sort $(wildcard deploy/examples/*.toml))
# Every file install writes, so that uninstall removes exactly those.
INSTALLED := $(BINDIR)/sluice $(MANDIR)/man1/sluice.1.gz $(MANDIR)/man5/sluice.toml.5.gz \
  $(UNITDIR)/sluice.service $(BASHCOMPDIR)/sluice $(patsubst deploy/examples/%,$(EXAMPLEDIR)/%,$(EXAMPLES))

install: $(BIN) ## install the binary, man pages, bash completion, systemd unit, examples (PREFIX, DESTDIR)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/sluice
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(EXAMPLEDIR)
	gzip -9n < man/sluice.1 > $(DESTDIR)$(MANDIR)/man1/sluice.1.gz
	gzip -9n < man/sluice.toml.5 > $(DESTDIR)$(MANDIR)/man5/sluice.toml.5.gz
	sed 's|@BINDIR@|$(BINDIR)|g' deploy/sluice.service.in > $(DESTDIR)$(UNITDIR)/sluice.service
	install -D -m 0644 completion/sluice.bash $(DESTDIR)$(BASHCOMPDIR)/sluice
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(EXAMPLEDIR)/
	chmod 0644 $(DESTDIR)$(MANDIR)/man1/sluice.1.gz $(DESTDIR)$(MANDIR)/man5/sluice.toml.5.gz \
	  $(DESTDIR)$(UNITDIR)/sluice.service

# The Debian package: `make install` staged with Debian's paths, then
# deploy/deb.sh (dpkg-deb, lintian). tests/deb.sh installs and removes it.
DEB_WORK := $(BUILD)/deb/work
deb: $(BIN) ## build $(BUILD)/deb/sluice_VERSION_ARCH.deb and lint it (lintian: no error)
	@./tests/deps.sh $(DEB_PKGS)
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_WORK))/debian/sluice PREFIX=/usr \
	  UNITDIR=/lib/systemd/system
	./deploy/deb.sh $(DEB_WORK) $(VERSION) $(VERSION_FALLBACK)

uninstall: ## remove what install put there (same PREFIX, DESTDIR)
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(dir $(EXAMPLEDIR)) 2>/dev/null || true

clean: ## remove build/
	rm -rf build

version: ## print the version the build embeds
	@echo $(VERSION)

# Rewritten only when the version changed, so that what depends on it is
# rebuilt exactly then.
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" > $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(APP_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(APP_OBJS) $(LIB) $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) $(TEST_LIBS)

$(BUILD)/bench/bench_%: $(BUILD)/tests/bench/bench_%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) $(BENCH_LIBS_$*) $(TEST_LIBS)

# eBPF reference objects: clang's BPF target needs the multiarch include dir.
# Their own output folder, so this rule never competes with host objects.
build/bpfobj/%.o: bpf/%.c
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -I/usr/include/$(shell gcc -print-multiarch) -c $< -o $@

# Fuzz harnesses: clang, libFuzzer, ASan and UBSan, built with the library
# sources directly (not the gcc archive) so every line is instrumented.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -D_GNU_SOURCE -std=gnu11 \
  -DSL_VERSION='"$(VERSION)"'
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRCS) $(LIBS)

-include $(LIB_OBJS:.o=.d) $(APP_OBJS:.o=.d) $(patsubst %,$(BUILD)/tests/unit/test_%.d,$(UNIT_TESTS))
