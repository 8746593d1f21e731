#!/usr/bin/env bash
# Builds a Debian package of rdsql: the binary, rdsql(1), completions for
# bash, zsh and fish in their standard directories, and the license.
#
#   bash packaging/deb/build.sh            # release build (what users install)
#   bash packaging/deb/build.sh --profile dev   # reuse a debug build (CI's test)
#
# Prints the path of the .deb. Needs dpkg-deb (Debian's dpkg) and gzip; the
# package is staged and built with dpkg-deb directly, so no extra tool has to
# be compiled. See docs/install.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=release
if [ "${1:-}" = "--profile" ]; then profile="${2:?--profile needs a name}"; fi
cargo build --quiet --locked -p rdsql --profile "$profile"
case "$profile" in
  dev) bin=target/debug/rdsql ;;
  *) bin="target/$profile/rdsql" ;;
esac

version="$("$bin" --version | awk '{print $2}')"
arch="$(dpkg --print-architecture)"
stage="target/debian/rdsql_${version}_${arch}"
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/man/man1" \
  "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
  "$stage/usr/share/fish/vendor_completions.d" "$stage/usr/share/doc/rdsql"
install -m 0755 "$bin" "$stage/usr/bin/rdsql"
# Debug builds carry debug info; the package never needs it.
strip --strip-debug "$stage/usr/bin/rdsql" 2>/dev/null || true
"$bin" man | gzip -9n > "$stage/usr/share/man/man1/rdsql.1.gz"
"$bin" completions bash > "$stage/usr/share/bash-completion/completions/rdsql"
"$bin" completions zsh > "$stage/usr/share/zsh/vendor-completions/_rdsql"
"$bin" completions fish > "$stage/usr/share/fish/vendor_completions.d/rdsql.fish"
chmod 0644 "$stage"/usr/share/man/man1/* "$stage"/usr/share/*/completions/* \
  "$stage"/usr/share/zsh/vendor-completions/* "$stage"/usr/share/fish/vendor_completions.d/*

{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: rdsql"
  echo
  echo "Files: *"
  echo "Copyright: 2026 the rdsql developers"
  echo "License: MIT or Apache-2.0"
  echo " rdsql may be used under the terms of either license."
  echo " The Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0."
  echo " ."
  sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
} > "$stage/usr/share/doc/rdsql/copyright"
chmod 0644 "$stage/usr/share/doc/rdsql/copyright"

# The newest glibc symbol version the binary needs.
glibc="$(objdump -T "$stage/usr/bin/rdsql" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1 || true)"
depends="libgcc-s1, libc6${glibc:+ (>= $glibc)}"
size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: rdsql
Version: ${version}
Architecture: ${arch}
Maintainer: rdsql developers <maintainers@rdsql.invalid>
Installed-Size: ${size}
Depends: ${depends}
Section: database
Priority: optional
Description: database client for PostgreSQL, MySQL/MariaDB and SQLite, made for Amazon RDS
 Connects with a password, IAM auth tokens (access keys, AWS profiles, MFA
 roles) or AWS SSO / IAM Identity Center; a psql-like shell, scriptable
 queries, a local web app (rdsql ui), a local auth proxy (rdsql proxy),
 RDS discovery and prerequisite checks, and a built-in SSH tunnel.
CONTROL

deb="target/debian/rdsql_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
