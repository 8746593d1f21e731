#!/usr/bin/env bash
# CI's test of the Debian package (as root): build it, install it with
# dpkg -i, check the binary, the man page and the completions, remove it
# with dpkg -r, and check that nothing is left.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb="$(bash packaging/deb/build.sh --profile "${1:-dev}")"
echo "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
files=(/usr/bin/rdsql /usr/share/man/man1/rdsql.1.gz /usr/share/bash-completion/completions/rdsql
       /usr/share/zsh/vendor-completions/_rdsql /usr/share/fish/vendor_completions.d/rdsql.fish
       /usr/share/doc/rdsql/copyright)
if dpkg -s rdsql >/dev/null 2>&1; then
  echo "rdsql is installed already (dpkg); refusing to replace it in a test" >&2; exit 1
fi
dpkg -i "$deb"
trap 'dpkg -r rdsql >/dev/null 2>&1 || true' EXIT
for f in "${files[@]}"; do [ -f "$f" ] || { echo "missing after install: $f" >&2; exit 1; }; done
v="$(/usr/bin/rdsql --version)"; echo "installed: $v"
[ "$v" = "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" ] || { echo "version mismatch: $v" >&2; exit 1; }
[ "$(man -w rdsql)" = /usr/share/man/man1/rdsql.1.gz ] || { echo "man -w rdsql: $(man -w rdsql 2>&1)" >&2; exit 1; }
MANWIDTH=80 man rdsql 2>/dev/null | grep -q "rdsql aws check" || { echo "the man page lacks rdsql aws check" >&2; exit 1; }
bash -c 'source /usr/share/bash-completion/completions/rdsql && declare -F _clap_complete_rdsql >/dev/null' \
  || { echo "the bash completion does not load" >&2; exit 1; }
dpkg -r rdsql
trap - EXIT
for f in "${files[@]}"; do [ ! -e "$f" ] || { echo "left after dpkg -r: $f" >&2; exit 1; }; done
! dpkg -s rdsql >/dev/null 2>&1 || { echo "dpkg still lists rdsql" >&2; exit 1; }
echo "deb package: install, man -w, completions and removal OK"
