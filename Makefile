# Warren: build, install, test and try it out.
#
#   make build                  release binary with the Swift runtime linked in statically
#   sudo make install           binary, systemd units and example config (PREFIX=/usr/local)
#   sudo make uninstall         removes what install put there; keeps /etc/warren's contents
#   sudo make test              unit and integration tests (scripts/test)
#   sudo make demo              three nodes in network namespaces (scripts/demo)
#
# Packagers: make install DESTDIR=/tmp/stage PREFIX=/usr installs into a staging tree and
# points ExecStart= of the units at $(PREFIX)/bin/warren.

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
# Vendor units go below the prefix; /usr/local/lib/systemd/system and /usr/lib/systemd/system
# are both on systemd's search path, and /etc/systemd/system stays free for the
# administrator's overrides (systemctl edit warren). Set UNITDIR for any other PREFIX.
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# The daemon's default config path is /etc/warren/warren.toml, whatever the prefix.
CONFDIR    ?= /etc/warren

# sudo's PATH may leave out the toolchain; /opt/swift is where the README installs it.
SWIFT      ?= $(shell command -v swift || echo /opt/swift/usr/bin/swift)
# Where SwiftPM builds; CI and parallel checkouts may point it elsewhere.
SCRATCH    ?= .build
BINARY     := $(SCRATCH)/release/warren

INSTALL    ?= install

.PHONY: all build install uninstall test demo verify-units

all: build

# --static-swift-stdlib links the Swift runtime, Foundation and the dependencies into the
# binary, so it needs only libraries that Debian ships (libc, libstdc++, libsodium, libmnl),
# not a Swift toolchain on the machine it runs on; the check below fails the build otherwise.
# --disable-local-rpath drops the $ORIGIN run path, so the installed binary never loads a
# library from the directory it sits in.
build:
	$(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath --scratch-path $(SCRATCH) --product warren
	@if ldd $(BINARY) | grep -E 'not found|swift'; then \
	  echo "error: $(BINARY) needs the libraries above, which Debian does not provide" >&2; exit 1; \
	fi
	@echo "built $(BINARY)"

# Built here only when missing, so that `make build && sudo make install` does not compile
# again as root.
$(BINARY):
	$(MAKE) build

install: $(BINARY)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/warren
	@# The units name /usr/local/bin/warren; follow PREFIX (and BINDIR).
	for unit in warren.service warren@.service; do \
	  sed 's|/usr/local/bin/warren|$(BINDIR)/warren|g' systemd/$$unit > $(DESTDIR)$(UNITDIR)/$$unit.tmp && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit.tmp && \
	  mv $(DESTDIR)$(UNITDIR)/$$unit.tmp $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done
	@# Private keys live here: root only, readable by its group (the units keep it 0750 too).
	$(INSTALL) -d -m 0750 $(DESTDIR)$(CONFDIR)
	@# Only the example is ever written; an existing warren.toml is the administrator's.
	$(INSTALL) -m 0644 config/warren.toml $(DESTDIR)$(CONFDIR)/warren.toml.example
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@if [ ! -e $(DESTDIR)$(CONFDIR)/warren.toml ]; then \
	  echo "next: cp $(CONFDIR)/warren.toml.example $(CONFDIR)/warren.toml, edit it, run warren check," \
	       "then systemctl enable --now warren"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/warren
	rm -f $(DESTDIR)$(UNITDIR)/warren.service $(DESTDIR)$(UNITDIR)/warren@.service
	rm -f $(DESTDIR)$(CONFDIR)/warren.toml.example
	@# Removed only when empty: keys, certificates and configs are never deleted.
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

test:
	scripts/test

demo:
	scripts/demo

# What CI runs after `make install` (the units name /usr/local/bin/warren, which must exist):
# both must load without a warning.
verify-units:
	systemd-analyze verify systemd/warren.service systemd/warren@.service

# Benchmarks (bench/README.md): throughput, RTT and CPU against wireguard-go and Nebula in
# network namespaces (root), then instructions and allocations per packet under callgrind.
.PHONY: bench
bench:
	bench/run
	bench/callgrind
