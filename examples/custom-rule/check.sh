#!/usr/bin/env bash
# Runs the custom-rule walkthrough end to end: validate the rule, run its tests, replay the
# recorded events and check that exactly the expected alert came out.
# Usage: examples/custom-rule/check.sh [path/to/vigil]   (meson passes $VIGIL_BINARY)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vigil="${1:-${VIGIL_BINARY:-$here/../../build/vigil}}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== validate"
"$vigil" validate -r "$here/netcat_listener.yaml"

echo "== test"
"$vigil" test "$here/netcat_listener_test.yaml"

echo "== replay"
"$vigil" replay "$here/events.jsonl" -r "$here/netcat_listener.yaml" >"$out/alerts.jsonl" 2>"$out/replay.err"
cat "$out/alerts.jsonl" "$out/replay.err"
python3 - "$out/alerts.jsonl" "$out/replay.err" <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
summary = open(sys.argv[2]).read()
assert len(alerts) == 1, f"expected exactly 1 alert, got {len(alerts)}"
a = alerts[0]
assert a["rule"] == "Netcat Listener Started", a["rule"]
assert a["priority"] == "Warning", a["priority"]
f = a["output_fields"]
assert f["proc.cmdline"] == "nc -lvnp 4444", f
assert f["proc.pname"] == "bash", f
assert f["proc.pid"] == 4101, f
assert a["time"].startswith("2024-11-24T15:00:00"), a["time"]
assert "7 events, 1 alerts, 0 bad lines" in summary, summary
print("custom-rule example: OK")
PY
