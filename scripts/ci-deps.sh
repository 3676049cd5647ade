#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine (Debian, root): nothing is assumed to be there.
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
command -v git >/dev/null || need+=(git)
command -v tmux >/dev/null || need+=(tmux)
[ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null || need+=(postgresql postgresql-contrib)
command -v go >/dev/null || need+=(golang-go)
command -v chromium >/dev/null || need+=(chromium)
if ! python3 -c 'import pytest_benchmark' 2>/dev/null && ! /usr/bin/python3 -c 'import pytest_benchmark' 2>/dev/null; then
  need+=(python3-pytest-benchmark)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "ci-deps: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Fixture repositories commit with their own identity, but `git merge` and friends read it from config too.
git config --global user.name >/dev/null || git config --global user.name "perfbisect tests"
git config --global user.email >/dev/null || git config --global user.email "tests@perfbisect.invalid"
echo "ci-deps: ready"
