#!/usr/bin/env bash
# Refreshes assets/vendor/editor.js from the pinned npm packages in
# package-lock.json and rewrites MANIFEST.md (versions, licenses, sha256).
# Run by hand when updating the editor; never part of cargo build or test.
# To move to newer versions: `npm update` here first, then this script.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../assets/vendor/editor.js
npx esbuild entry.js --bundle --minify --format=iife --legal-comments=eof --outfile="$out"
{
  echo "# Vendored browser libraries of rdsql ui"
  echo
  echo "\`assets/vendor/editor.js\` is one esbuild bundle of \`entry.js\` (built by \`build.sh\`"
  echo "from \`package-lock.json\`). Their license texts are kept at the end of the bundle."
  echo
  echo "| package | version | license |"
  echo "|---|---|---|"
  node -e '
    const lock = require("./package-lock.json");
    const seen = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      if (!path || p.dev || path.includes("esbuild")) continue;
      seen.push(`| ${path.replace(/^.*node_modules\//, "")} | ${p.version} | ${p.license || "see package"} |`);
    }
    console.log(seen.sort().join("\n"));
  '
  echo
  echo "sha256 of editor.js: \`$(sha256sum "$out" | cut -d" " -f1)\`"
} > MANIFEST.md
echo "wrote $out and MANIFEST.md"
