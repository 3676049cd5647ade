#!/usr/bin/env bash
# Installs Artillery for the tests of the artillery probe into its own tool folder (never into the
# project: ~970 packages, ~590 MB). Artillery 2.0.21 is the newest that runs on Node 20. The install
# script of @playwright/browser-chromium would download a browser: npm's allowScripts denies it.
# Usage: scripts/install-artillery.sh [dir]   (default: ~/.cache/perfbisect-tools/artillery-2.0.21)
# Prints the path of the artillery executable. Safe to run again.
set -euo pipefail
dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/perfbisect-tools/artillery-2.0.21}"
bin="$dir/node_modules/.bin/artillery"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  cat > "$dir/package.json" <<'JSON'
{
  "name": "perfbisect-artillery-tool",
  "private": true,
  "allowScripts": { "@playwright/browser-chromium": false }
}
JSON
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error artillery@2.0.21 >&2)
fi
echo "$bin"
