#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine (Debian, as root or with sudo): nothing is
# assumed to be there. `npm test` runs it first (pretest), `.ci/run` too. Safe to run again: it
# installs only what is missing, and only says what is missing where it cannot install.
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
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null; then
    # npm test runs this too: on a machine where we may not install, say what the tests will miss.
    echo "ci-deps: missing ${need[*]}: install them (Debian: apt-get install ${need[*]}); the tests that need them will fail" >&2
  else
    echo "ci-deps: installing ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# Fixture repositories commit with their own identity, but `git merge` and friends read it from config too.
git config --global user.name >/dev/null || git config --global user.name "perfbisect tests" || echo "ci-deps: set a git identity (git config --global user.name …)" >&2
git config --global user.email >/dev/null || git config --global user.email "tests@perfbisect.invalid" || echo "ci-deps: set a git identity (git config --global user.email …)" >&2
echo "ci-deps: ready"
