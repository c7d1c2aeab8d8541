#!/usr/bin/env bash
# The pytest suite under coverage.py (sub-processes included), then the report:
# dist/coverage/{coverage.xml,html/,summary.md}. Fails when src/ is covered below the
# threshold in scripts/delivery/coverage.toml (fail_under).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rc=scripts/delivery/coverage.toml
bin=.venv/bin
rm -rf dist/coverage && mkdir -p dist/coverage
# A private base temp dir, as `make unit` does (the embedded PostgreSQL lives there).
# The report is written even when a test fails (it is the artifact a reviewer opens); the
# script still fails then.
tests=0
COVERAGE_RCFILE="$rc" "$bin/coverage" run --rcfile="$rc" -m pytest --basetemp="$(mktemp -d)/pytest" || tests=$?
"$bin/coverage" combine --rcfile="$rc" --quiet
"$bin/coverage" xml --rcfile="$rc" -o dist/coverage/coverage.xml --quiet
"$bin/coverage" html --rcfile="$rc" -d dist/coverage/html --quiet
status=0
report="$("$bin/coverage" report --rcfile="$rc" --format=markdown)" || status=$?
total="$("$bin/coverage" report --rcfile="$rc" --format=total --fail-under=0)"
{
  echo "### Coverage of src/: ${total} % (threshold $(sed -n 's/^fail_under = //p' "$rc") %)"
  echo
  echo "<details><summary>Files below 100 %</summary>"
  echo
  echo "$report"
  echo
  echo "</details>"
} >dist/coverage/summary.md
echo "coverage: ${total} % of src/ (dist/coverage/summary.md)"
if ((tests != 0)); then
  echo "coverage: the test suite failed (pytest exit $tests)" >&2
  exit "$tests"
fi
exit "$status"
