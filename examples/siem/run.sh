#!/usr/bin/env bash
# Starts the collector, replays events.jsonl through vigil with vigil.yaml's http + syslog
# sinks pointed at it, and checks that the collector received the alerts on both channels.
# Usage: examples/siem/run.sh [path/to/vigil]   (meson passes $VIGIL_BINARY)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vigil="${1:-${VIGIL_BINARY:-$here/../../build/vigil}}"
out="$(mktemp -d)"
collector_pid=""
cleanup() {
  if [[ -n "$collector_pid" ]]; then kill "$collector_pid" 2>/dev/null || true; wait "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

python3 "$here/collector.py" --out "$out" --timeout 60 &
collector_pid=$!
for _ in $(seq 100); do [[ -s "$out/ports" ]] && break; sleep 0.1; done
read -r http_kv syslog_kv <"$out/ports"
http_port="${http_kv#http=}"
syslog_port="${syslog_kv#syslog=}"
echo "collector: http on 127.0.0.1:$http_port, syslog on udp 127.0.0.1:$syslog_port"

"$vigil" replay "$here/events.jsonl" -c "$here/vigil.yaml" -r "$here/../../rules" \
  --set "outputs.http.url=http://127.0.0.1:$http_port/alerts" \
  --set "outputs.syslog.port=$syslog_port"

# UDP and the HTTP worker are asynchronous to the replay's exit only up to its final flush;
# give the collector a moment to write what it received.
for _ in $(seq 50); do
  [[ -s "$out/http.jsonl" && $(wc -l <"$out/syslog.log" 2>/dev/null || echo 0) -ge 2 ]] && break
  sleep 0.1
done
echo "--- http.jsonl"; cat "$out/http.jsonl" || true
echo "--- syslog.log"; cat "$out/syslog.log" || true
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
http = [json.loads(l) for l in open(os.path.join(out, "http.jsonl")) if l.strip()]
rules = sorted(a["rule"] for a in http)
# events.jsonl has a credential search (Notice) and a shadow read (Warning).
assert rules == ["Search for Credentials on Disk", "Shadow File Read by Unexpected Program"], rules
for a in http:
    assert a["hostname"] == "web-01", a
    assert a["source"] == "syscall", a
    assert a["_collector"]["path"] == "/alerts", a
    assert a["_collector"]["x_source"] == "vigil", a
    assert "application/json" in (a["_collector"]["content_type"] or ""), a
shadow = [a for a in http if a["rule"].startswith("Shadow")][0]
assert shadow["output_fields"]["proc.name"] == "cat", shadow
assert shadow["output_fields"]["fd.name"] == "/etc/shadow", shadow
syslog = [l for l in open(os.path.join(out, "syslog.log")) if l.strip()]
assert len(syslog) == 2, syslog
for line in syslog:
    # RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME ...; local0 = facility 16
    assert line.startswith("<"), line
    pri = int(line[1:line.index(">")])
    assert pri // 8 == 16, line
    assert line[line.index(">") + 1:].startswith("1 "), line
    assert " vigil " in line, line
assert any("Shadow File Read by Unexpected Program" in l for l in syslog), syslog
assert any("Search for Credentials on Disk" in l for l in syslog), syslog
print("siem example: OK (2 alerts over HTTP, 2 over syslog)")
PY
