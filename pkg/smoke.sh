#!/usr/bin/env bash
# Installs the Debian package, checks the installed proctor as a user would
# meet it, then removes the package. Run as root after pkg/build-deb.sh
# (CI: .ci/run). Usage: pkg/smoke.sh [DEB]; default: the newest
# TARGET/debian/proctor_*.deb. Every check runs /usr/bin/proctor by its
# path: a proctor earlier on PATH (~/.cargo/bin) is not the one installed.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
ok() { echo "smoke: ok: $*"; }

target_dir=$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
deb=${1:-$(ls -t "$target_dir"/debian/proctor_*.deb 2>/dev/null | head -n 1)}
[ -n "$deb" ] && [ -f "$deb" ] || fail "no .deb (run pkg/build-deb.sh first)"
# The crate's version: the first `version = ` of Cargo.toml, in [package].
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
# The man pages the package must hold: those build-deb.sh generated.
pages=$(cd target/pkg/man1 && ls -- *.1)
[ -n "$pages" ] || fail "no generated man pages in target/pkg/man1"

# Minimal images (Debian's and Ubuntu's docker images) tell dpkg to skip
# /usr/share/man and /usr/share/doc (path-exclude in /etc/dpkg/dpkg.cfg.d/):
# include proctor's own files again for this install, without changing
# the machine's configuration.
include=(
  --path-include=/usr/share/man/man1/proctor*
  --path-include=/usr/share/doc/proctor/*
)
removed=0
cleanup() { [ "$removed" = 1 ] || dpkg -r proctor >/dev/null 2>&1 || true; }
trap cleanup EXIT

dpkg "${include[@]}" -i "$deb"
ok "installed $deb"

# 1. The version is the crate's.
got=$(/usr/bin/proctor --version)
[ "$got" = "proctor $version" ] || fail "version: '$got', expected 'proctor $version'"
ok "$got"

# 2. Every asset is listed by dpkg and present on disk.
listed=$(dpkg -L proctor)
assets=(
  /usr/bin/proctor
  /usr/share/bash-completion/completions/proctor
  /usr/share/zsh/vendor-completions/_proctor
  /usr/share/fish/vendor_completions.d/proctor.fish
  /usr/share/doc/proctor/README.md
  /usr/share/doc/proctor/LICENSE-MIT
  /usr/share/doc/proctor/LICENSE-APACHE
  /usr/share/doc/proctor/copyright
)
for p in $pages; do assets+=("/usr/share/man/man1/$p.gz"); done
for a in "${assets[@]}"; do
  grep -qxF "$a" <<<"$listed" || fail "dpkg -L proctor does not list $a"
  [ -f "$a" ] || fail "$a is listed but not on disk"
done
ok "dpkg -L lists all ${#assets[@]} assets, each on disk"

# 3. `man proctor` finds and renders the page (groff warnings shown and
# failed on), and so does every command's page.
for p in $pages; do
  name=${p%.1}
  where=$(man -w "$name") || fail "man -w $name: not found"
  [ "$where" = "/usr/share/man/man1/$p.gz" ] || fail "man -w $name: $where"
  err=$(MANWIDTH=80 man --warnings "$name" 2>&1 >/dev/null) || fail "man $name failed: $err"
  [ -z "$err" ] || fail "man $name: warnings: $err"
done
MANWIDTH=80 man proctor | grep -q '^NAME' || fail "man proctor: no NAME section"
ok "man renders $(wc -w <<<"$pages") pages without warnings"

# 4. The binary runs.
/usr/bin/proctor inspect self >/dev/null || fail "proctor inspect self exited $?"
ok "proctor inspect self exits 0"

# 5. Completions load, and complete.
bash -c 'source /usr/share/bash-completion/completions/proctor && complete -p proctor' \
  | grep -q '_proctor' || fail "bash completion did not register"
subs=$(bash -c 'source /usr/share/bash-completion/completions/proctor
  COMP_WORDS=(proctor to); COMP_CWORD=1; _proctor proctor to proctor
  printf "%s\n" "${COMPREPLY[@]}"')
grep -qx top <<<"$subs" || fail "bash: 'proctor to<TAB>' does not offer top: $subs"
ok "bash completion loads and completes 'proctor to' to top"
if command -v zsh >/dev/null 2>&1; then
  zsh -n /usr/share/zsh/vendor-completions/_proctor || fail "zsh completion does not parse"
  ok "zsh completion parses"
fi
if command -v fish >/dev/null 2>&1; then
  # fish loads vendor completions by itself.
  fish -c 'complete -C"proctor to"' | grep -q '^top' || fail "fish: 'proctor to' does not offer top"
  ok "fish completion found and completes 'proctor to' to top"
fi

# 6. Removal takes every file away.
dpkg -r proctor
removed=1
for a in "${assets[@]}"; do
  [ ! -e "$a" ] || fail "$a is left after dpkg -r proctor"
done
ok "dpkg -r proctor removed every asset"
