#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what it needs (PostgreSQL server binaries,
# Debian's Chromium), builds, runs every test against a real PostgreSQL and a real Chromium, and ends
# with one line "N passed, N failed". Extra arguments go to `dotnet test` (e.g. --filter Ingestion).
set -uo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "need root for: $*" >&2; return 1; fi; }
need_apt=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql postgresql-contrib)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium fonts-dejavu-core)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)   # runs the n8n kit's Code node in its test
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing ${need_apt[*]} ..."
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || exit 1
fi
id postgres >/dev/null 2>&1 || [ "$(id -u)" != 0 ] || as_root useradd --system --create-home postgres

results="$(pwd)/TestResults"
rm -rf "$results"
dotnet build ActivityCrm.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
dotnet test ActivityCrm.sln -c Release --no-build --nologo --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
code=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  p=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(grep -o '<Counters [^>]*' "$trx" | grep -o 'failed="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
[ "$code" != 0 ] && [ "$failed" = 0 ] && failed=1
echo "$passed passed, $failed failed"
exit $code
