#!/usr/bin/env bash
# Runs every test of Mdl.Orleans and ends with one line: "tests: N passed, N failed".
# It needs the .NET SDK (global.json); the embedded silo's SQLite comes with the build. The dashboard's browser
# test needs Chromium and the postgres-mode tests need the PostgreSQL 15 server tools: both installed here from
# Debian's packages when missing and we are root.
set -uo pipefail
cd "$(dirname "$0")"

chromium="${MDL_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the dashboard's browser test (apt-get install chromium)…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "Could not install Chromium; the dashboard test will fail and say how to get it." >&2
fi

postgres_bin="${MDL_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$postgres_bin/initdb" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing PostgreSQL 15 for the postgres-mode tests (apt-get install postgresql-15)…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null) \
    || echo "Could not install postgresql-15; the postgres-mode tests will fail and say how to get it." >&2
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

dotnet test Mdl.Orleans.sln -c Release \
  --logger "trx;LogFilePrefix=mdl" \
  --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status before reporting failures (build or runner error)." >&2
  failed=1
fi

# The console log is long; repeat each failed test's name and first lines of its message just above the summary.
if [ "$failed" -gt 0 ] && command -v python3 >/dev/null; then
  python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for trx in glob.glob(sys.argv[1] + "/*.trx"):
    for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
        print("FAILED " + result.get("testName", "?"))
        for line in message.splitlines()[:6]:
            print("    " + line)
PY
fi

echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
