#!/usr/bin/env bash
# Kernel test: `vigil record` a real process tree, then `vigil replay` the recording with the
# default rules and check the alert names that very process. Matches only its own tree
# (record --pid) and a unique file name. Needs root + BPF (suite 'kernel').
set -euo pipefail
vigil="${VIGIL_BINARY:?VIGIL_BINARY not set}"
rules="${VIGIL_SOURCE_ROOT:?VIGIL_SOURCE_ROOT not set}/rules"
out="$(mktemp -d /tmp/vigil-record-replay.XXXXXX)"
workload_pid="" recorder_pid=""
cleanup() {
  [[ -n "$workload_pid" ]] && kill "$workload_pid" 2>/dev/null || true
  [[ -n "$recorder_pid" ]] && kill "$recorder_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

# The workload waits for a go file, then reads /etc/shadow and a planted SSH key.
mkdir -p "$out/home/.ssh"
echo "not a real key" >"$out/home/.ssh/id_ed25519"
bash -c 'while [[ ! -e "$1/go" ]]; do sleep 0.05; done; cat /etc/shadow >/dev/null; cat "$1/home/.ssh/id_ed25519" >/dev/null' \
  workload "$out" &
workload_pid=$!

"$vigil" record -w "$out/rec.jsonl" --pid "$workload_pid" --duration 20 2>"$out/record.err" &
recorder_pid=$!
for _ in $(seq 200); do grep -q "writing" "$out/record.err" 2>/dev/null && break; sleep 0.05; done
grep -q "writing" "$out/record.err" || { cat "$out/record.err"; echo "recorder did not start"; exit 1; }
touch "$out/go"
wait "$workload_pid"; workload_pid=""
sleep 0.5  # let the ring buffer drain the last events
kill -INT "$recorder_pid"; wait "$recorder_pid" || true; recorder_pid=""
cat "$out/record.err"
echo "recorded $(wc -l <"$out/rec.jsonl") events"

"$vigil" replay "$out/rec.jsonl" -r "$rules" >"$out/alerts.jsonl" 2>"$out/replay.err"
cat "$out/replay.err"
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
alerts = [json.loads(l) for l in open(os.path.join(out, "alerts.jsonl")) if l.strip()]
rec = os.path.join(out, "rec.jsonl")
lines = [json.loads(l) for l in open(rec) if l.strip()]
summary = open(os.path.join(out, "replay.err")).read()
# Format 2: a header first, process records ({"record":"proc"}) then events without "proc".
assert lines[0].get("record") == "header" and lines[0]["format"] == 2 and lines[0]["env"] is False, lines[0]
events = [l for l in lines if "record" not in l]
procs = [l["proc"] for l in lines if l.get("record") == "proc"]
assert all("proc" not in e for e in events), "events must refer to process records"
assert f"{len(events)} events" in summary and "0 bad lines" in summary, summary
assert f"{len(procs)} process records" in summary, summary
# Private: 0600 and no environment anywhere unless --with-env.
assert os.stat(rec).st_mode & 0o777 == 0o600, oct(os.stat(rec).st_mode)
assert all("env" not in p for p in procs), "environment recorded without --with-env"
assert all("env" not in e.get("exec", {}) for e in events), "exec env recorded without --with-env"
# Each process's details once: no two identical process records.
seen = [json.dumps(p, sort_keys=True) for p in procs]
assert len(seen) == len(set(seen)), "a process record was written twice unchanged"

cats = {e["proc.pid"] for e in events if e["evt.type"] == "execve" and e.get("exec", {}).get("comm") == "cat"}
assert len(cats) == 2, f"expected 2 cat execs in the recording, got {cats}"
shadow = [a for a in alerts if a["rule"] == "Shadow File Read by Unexpected Program"]
assert len(shadow) == 1, [a["rule"] for a in alerts]
f = shadow[0]["output_fields"]
assert f["proc.name"] == "cat" and f["fd.name"] == "/etc/shadow" and f["proc.pid"] in cats, f
assert f["proc.pname"] == "bash", f
key = [a for a in alerts if a["rule"] == "SSH Private Key Read by Unexpected Program"]
assert len(key) == 1, [a["rule"] for a in alerts]
assert key[0]["output_fields"]["fd.name"] == os.path.join(out, "home/.ssh/id_ed25519"), key[0]
print(f"record -> replay: OK ({len(events)} events, {len(alerts)} alerts)")
PY
