#!/usr/bin/env bash
# Refreshes the Amazon RDS CA bundle compiled into rdsql
# (crates/rdsql-db/certs/rds-global-bundle.pem) from AWS's trust store, and
# shows which certificates came and went. Run by hand (it needs the
# network); review the diff, run the tests, commit. docs/tls.md.
set -euo pipefail
cd "$(dirname "$0")/.."
url=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
dest=crates/rdsql-db/certs/rds-global-bundle.pem
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
curl --fail --silent --show-error --proto '=https' --tlsv1.2 -o "$tmp" "$url"
count="$(grep -c 'BEGIN CERTIFICATE' "$tmp" || true)"
[ "$count" -gt 0 ] || { echo "no certificates in $url" >&2; exit 1; }
subjects() {
  awk '/BEGIN CERT/{c=""} {c=c $0 "\n"} /END CERT/{printf "%s", c | "openssl x509 -noout -subject -enddate"; close("openssl x509 -noout -subject -enddate")}' "$1" | paste - - | sort
}
diff <(subjects "$dest") <(subjects "$tmp") || true
cp "$tmp" "$dest"
echo "$dest: $count certificates; now run cargo test --workspace"
