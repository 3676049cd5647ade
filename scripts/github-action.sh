#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml at the repository root):
#   install  build perfbisect in the action's own folder, once per job
#   run      run perfbisect with the inputs (PB_* environment variables), then publish: the step's
#            outputs, the job summary, and the files the upload step takes. Never fails itself, so the
#            upload runs; the exit code goes to the `verdict` step.
#   verdict  fail the step on an error (exit 2, 4, 130), or on a regression with fail-on-regression.
set -uo pipefail

action_dir="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this from action.yml}"
cli="$action_dir/dist/cli.js"
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/perfbisect-report"

# One line the Actions log shows as an error (or warning) annotation.
annotate() { echo "::error title=perfbisect::$1"; }
warn() { echo "::warning title=perfbisect::$1"; }

install() {
  local check='const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
  if ! node -e "$check"; then
    annotate "perfbisect needs Node.js 20.19 or newer (found $(node --version 2>/dev/null || echo none)): \
add actions/setup-node before this action."
    exit 4
  fi
  if [ -f "$cli" ]; then return 0; fi
  (cd "$action_dir" && npm ci --no-audit --no-fund --loglevel=error)
}

output() { echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"; }

is_bool() { [ "$1" = true ] || [ "$1" = false ]; }

run() {
  rm -rf "$out" && mkdir -p "$out"
  local code mode args=() extra=()
  for name in PB_COMMENT PB_ISSUE; do
    if ! is_bool "${!name:-false}"; then
      annotate "the ${name#PB_} input must be true or false, got '${!name}'"
      output exit-code 2
      return 0
    fi
  done
  if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
    annotate "the checkout is shallow: perfbisect needs the history. Use actions/checkout with fetch-depth: 0."
    output exit-code 2
    return 0
  fi
  read -r -a extra <<< "${PB_ARGS:-}"
  if [ -n "${PB_GOOD:-}" ]; then
    mode=bisect
    args=(--good "$PB_GOOD" --bad "${PB_BAD:-HEAD}" --no-tui)
    [ -n "${PB_PROBE:-}" ] && args+=(--probe "$PB_PROBE")
    [ "${PB_COMMENT:-false}" = true ] && args+=(--github-comment)
    [ "${PB_ISSUE:-false}" = true ] && warn "the issue input applies to drift checks (no good commit given); ignored"
  else
    mode=drift
    args=(drift --probe "${PB_PROBE:-}" --branch "${PB_BRANCH:-main}")
    [ -n "${PB_SINCE:-}" ] && args+=(--since "$PB_SINCE")
    [ -n "${PB_STORE:-}" ] && args+=(--store "$PB_STORE")
    [ "${PB_ISSUE:-false}" = true ] && args+=(--github-issue)
    [ "${PB_COMMENT:-false}" = true ] && warn "the comment input applies to a bisect (give good); ignored"
    [ -n "${PB_COMMAND:-}" ] && warn "the command input applies to a bisect; a drift check measures a probe"
  fi
  output mode "$mode"
  [ -n "${PB_CONFIG:-}" ] && args+=(--config "$PB_CONFIG")
  [ -n "${PB_THRESHOLD:-}" ] && args+=(--threshold "$PB_THRESHOLD")
  args+=("${extra[@]}" --json "$out/result.json" --report "$out/writeup.md")
  if [ "$mode" = bisect ] && [ -n "${PB_COMMAND:-}" ]; then
    if [ -n "${PB_PROBE:-}" ]; then
      annotate "give the probe input or the command input, not both"
      output exit-code 2
      return 0
    fi
    args+=(-- sh -c "$PB_COMMAND")
  fi

  echo "perfbisect ${args[*]}"
  node "$cli" "${args[@]}"
  code=$?
  output exit-code "$code"
  [ -f "$out/writeup.md" ] && output report "$out/writeup.md"
  [ -f "$out/result.json" ] && output result "$out/result.json"
  if [ -f "$out/result.json" ]; then
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const drift = Array.isArray(r.alerts);
      const alerted = drift && r.changes.find((c) => r.alerts.includes(c.id));
      const culprit = drift ? alerted && alerted.culprit : r.culprit && r.culprit.sha;
      const status = drift ? (r.exitCode === 5 ? "regression" : "clean") : r.status;
      process.stdout.write(`status=${status}\nculprit=${culprit || ""}\n`);
    ' "$out/result.json" >> "${GITHUB_OUTPUT:-/dev/null}"
  fi
  # The bisect's writeup is the job summary (a drift check appends its own). Its charts are files
  # beside it, which a summary cannot show: they are in the artifact.
  if [ "$mode" = bisect ] && [ -f "$out/writeup.md" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    grep -v '^!\[' "$out/writeup.md" >> "$GITHUB_STEP_SUMMARY"
  fi
  return 0
}

verdict() {
  local code="${PB_EXIT:-}"
  case "$code" in
    0 | 5)
      if [ "${PB_FAIL_ON_REGRESSION:-false}" = true ] && { [ "$code" = 5 ] || [ "${PB_MODE:-}" = bisect ]; }; then
        annotate "a regression was found (exit $code); see the job summary"
        exit 1
      fi ;;
    1 | 3) ;;
    '') annotate "perfbisect did not run (see the step above)"; exit 4 ;;
    *) annotate "perfbisect exited with $code (2: usage or config, 4: environment; see the step above)"; exit "$code" ;;
  esac
}

case "${1:-}" in
  install) install ;;
  run) run ;;
  verdict) verdict ;;
  *) echo "usage: github-action.sh install|run|verdict" >&2; exit 2 ;;
esac
