#!/usr/bin/env bash
# Replays the recorded incident with vigil's default rules and checks the alerts: which
# rules fired, in which order, and that they name the right processes and files.
# Usage: examples/incident-replay/check.sh [path/to/vigil]   (meson passes $VIGIL_BINARY)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vigil="${1:-${VIGIL_BINARY:-$here/../../build/vigil}}"
rules="$here/../../rules"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

"$vigil" replay "$here/incident.jsonl" -r "$rules" --format json >"$out/alerts.jsonl" 2>"$out/summary"
"$vigil" replay "$here/incident.jsonl" -r "$rules" --format text >"$out/alerts.txt" 2>/dev/null
cat "$out/alerts.txt" "$out/summary"
python3 - "$out/alerts.jsonl" "$out/alerts.txt" "$out/summary" "$here/expected_alerts.txt" <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
text = [l for l in open(sys.argv[2]) if l.strip()]
summary = open(sys.argv[3]).read()
expected = [l.strip() for l in open(sys.argv[4]) if l.strip() and not l.startswith("#")]
got = [a["rule"] for a in alerts]
assert got == expected, f"alerts differ:\n got      {got}\n expected {expected}"
assert len(text) == len(alerts), (len(text), len(alerts))
by_rule = {a["rule"]: a for a in alerts}
f = by_rule["Shell Spawned by Network Service"]["output_fields"]
assert f["proc.pname"] == "nginx" and f["proc.name"] == "sh", f
assert f["container.id"] == "4f1c2a9be7d0", f
f = by_rule["Shadow File Read by Unexpected Program"]["output_fields"]
assert f["proc.name"] == "cat" and f["fd.name"] == "/etc/shadow" and f["proc.pname"] == "sh", f
f = by_rule["SSH Authorized Keys Modified"]["output_fields"]
assert f["fd.name"] == "/root/.ssh/authorized_keys" and f["proc.name"] == "sh", f
f = by_rule["Dropped Binary Executed from Temporary Directory"]["output_fields"]
assert f["proc.exepath"] == "/tmp/.k", f
f = by_rule["Connection to Crypto Mining Pool Port"]["output_fields"]
assert f["fd.name"].endswith("198.51.100.77:3333"), f
assert by_rule["Shell Spawned by Network Service"]["priority"] == "Critical"
assert alerts[0]["time"].startswith("2024-11-24T16:00:00"), alerts[0]["time"]
assert f"{len(expected)} alerts, 0 bad lines" in summary, summary
print(f"incident-replay example: OK ({len(alerts)} expected alerts)")
PY
