# make install [DESTDIR=...] [PREFIX=/usr/local]: the binaries, man pages, service
# files and relayctl's shell completions; as root with no DESTDIR, also the `relay`
# user and the store folder with its modes. BIN=target/debug installs a debug build
# without building (the tests do).

PREFIX ?= /usr/local
DESTDIR ?=
BIN ?= target/release
STORE ?= /var/db/relay
RUN_AS ?= relay

SBINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/relay
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHDIR = $(PREFIX)/share/bash-completion/completions
ZSHDIR = $(PREFIX)/share/zsh/site-functions
FISHDIR = $(PREFIX)/share/fish/vendor_completions.d

.PHONY: all install uninstall demo
# Cargo rebuilds only what changed; another BIN is installed as it is.
all:
ifeq ($(BIN),target/release)
	cargo build --release --locked -p relayd -p relayctl
else
	test -x $(BIN)/relayd -a -x $(BIN)/relayctl
endif

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) \
		$(DESTDIR)$(FISHDIR)
	install -m 755 $(BIN)/relayd $(BIN)/relayctl $(DESTDIR)$(SBINDIR)/
	install -m 644 man/relayd.8 man/relayctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/relay-store.5 $(DESTDIR)$(MANDIR)/man5/
	# The units and the launchd job name the installed binary and store.
	for f in relayd.service relayd.socket org.relay.relayd.plist; do \
		sed -e 's|/usr/local/sbin/relayd|$(SBINDIR)/relayd|g' -e 's|/var/db/relay|$(STORE)|g' \
			-e 's|^User=relay|User=$(RUN_AS)|' -e 's|^Group=relay|Group=$(RUN_AS)|' \
			relayd/$$f > $(DESTDIR)$(SHAREDIR)/$$f; \
	done
	install -m 644 $(DESTDIR)$(SHAREDIR)/relayd.service $(DESTDIR)$(SHAREDIR)/relayd.socket \
		$(DESTDIR)$(UNITDIR)/
	install -m 644 completions/relayctl.bash $(DESTDIR)$(BASHDIR)/relayctl
	install -m 644 completions/_relayctl $(DESTDIR)$(ZSHDIR)/_relayctl
	install -m 644 completions/relayctl.fish $(DESTDIR)$(FISHDIR)/relayctl.fish
	# The store: root writes it (relayctl), the relay group reads it, and new files keep
	# that group (set-group-ID folder). Only for a real install as root.
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		id -u $(RUN_AS) >/dev/null 2>&1 || useradd --system --no-create-home \
			--home-dir $(STORE) --shell /usr/sbin/nologin $(RUN_AS); \
		install -d -m 2750 -o root -g $(RUN_AS) $(STORE); \
	else \
		install -d -m 2750 $(DESTDIR)$(STORE); \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/relayd $(DESTDIR)$(SBINDIR)/relayctl \
		$(DESTDIR)$(MANDIR)/man8/relayd.8 $(DESTDIR)$(MANDIR)/man8/relayctl.8 \
		$(DESTDIR)$(MANDIR)/man5/relay-store.5 $(DESTDIR)$(UNITDIR)/relayd.service \
		$(DESTDIR)$(UNITDIR)/relayd.socket $(DESTDIR)$(BASHDIR)/relayctl \
		$(DESTDIR)$(ZSHDIR)/_relayctl $(DESTDIR)$(FISHDIR)/relayctl.fish
	rm -rf $(DESTDIR)$(SHAREDIR)

# The README's quick start: relayd on a demo store, one message through it, delivered.
demo: all
	tests/demo $(BIN)
