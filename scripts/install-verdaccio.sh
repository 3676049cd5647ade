#!/usr/bin/env bash
# Installs Verdaccio (a local npm registry) for the tests of the dependency descent's version level
# into its own tool folder, never into the project: ~330 packages, ~58 MB, ~15 s, which every
# `npm ci` of perfbisect would otherwise pay. 6.8.0 is pinned: Verdaccio 6.10 needs Node 22.
# Usage: scripts/install-verdaccio.sh [dir]   (default: ~/.cache/perfbisect-tools/verdaccio-6.8.0)
# Prints the path of Verdaccio's executable script. Safe to run again.
set -euo pipefail
dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/perfbisect-tools/verdaccio-6.8.0}"
bin="$dir/node_modules/verdaccio/bin/verdaccio"
if [ ! -f "$bin" ]; then
  mkdir -p "$dir"
  printf '{ "name": "perfbisect-verdaccio-tool", "private": true }\n' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error verdaccio@6.8.0 >&2)
fi
echo "$bin"
