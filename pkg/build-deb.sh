#!/usr/bin/env bash
# Builds the Debian package in one command: the release binary, then the man
# pages and completion scripts generated from it (`proctor manpage --out`,
# from the clap definitions: they never drift from the commands), then
# `cargo deb --no-build` with the assets of [package.metadata.deb] in
# Cargo.toml. Needs cargo-deb (`cargo install cargo-deb --locked`), and
# dpkg-dev and binutils (dpkg-shlibdeps for `depends = "$auto"`, strip).
# Prints the path of the .deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-deb >/dev/null 2>&1 || {
  echo "error: cargo-deb is not installed" >&2
  echo "hint: cargo install cargo-deb --locked" >&2
  exit 2
}

cargo build --release --locked
target_dir=$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

# Generated assets: always ./target/pkg (Cargo.toml names them relative to
# the crate), whatever CARGO_TARGET_DIR says; made anew so that a page of a
# command since removed is not packaged.
rm -rf target/pkg
"$target_dir/release/proctor" manpage --out target/pkg >/dev/null

# --strip: the release profile keeps line tables (for profiling), which
# would make the installed binary 62 MB instead of 10.
cargo deb --no-build --strip --output "$target_dir/debian/" | tail -n 1
