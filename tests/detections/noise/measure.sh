#!/bin/bash
# measure.sh WORKLOAD... — the manual noise measurement behind docs/detections.md ("Noise on
# normal administration"). Runs `vigil run` with the default rules, then each workload
# (w_<name>.sh: apt, pkgs, users, cron, logrotate, git, build, pkgs_remove) in its own
# session, and prints the alerts of each workload's session (by %proc.sid). Needs root and a
# built tree; changes the system like an administrator would (installs/removes packages,
# adds/removes a user, edits root's crontab and restores it): run it on a test machine.
# Output and scratch files go to $OUT (default /tmp/vigil-noise).
set -u
here=$(cd "$(dirname "$0")" && pwd)
export NOISE_DIR=$here VIGIL_SRC=${VIGIL_SRC:-$(cd "$here/../../.." && pwd)}
export OUT=${OUT:-/tmp/vigil-noise}
V=${VIGIL_BINARY:-$VIGIL_SRC/build/vigil}
mkdir -p "$OUT"; : > "$OUT/runs.txt"
"$V" run -r "$VIGIL_SRC/rules" -o "engine.append_output=vigil_sid=%proc.sid" > "$OUT/alerts.jsonl" 2> "$OUT/vigil.log" &
vpid=$!
sleep 8
for w in "$@"; do
  t0=$(date +%s)
  setsid -w bash -c 'echo $$ > "$OUT/'"$w"'.sid"; exec bash "$0"' "$here/w_$w.sh" > "$OUT/$w.out" 2>&1
  echo "$w exit=$? sid=$(cat "$OUT/$w.sid") secs=$(( $(date +%s) - t0 ))" | tee -a "$OUT/runs.txt"
done
sleep 3
kill -INT $vpid; wait $vpid
python3 - "$OUT" <<'PY'
import json, re, sys, os
out = sys.argv[1]
runs = [l.split() for l in open(os.path.join(out, "runs.txt"))]
sids = {r[2].split("=")[1]: r[0] for r in runs}
counts = {r[0]: 0 for r in runs}
for line in open(os.path.join(out, "alerts.jsonl")):
    a = json.loads(line)
    m = re.search(r"vigil_sid=(\d+)", a["output"])
    if m and m.group(1) in sids:
        counts[sids[m.group(1)]] += 1
        print(f"{sids[m.group(1)]}: {a['rule']}: {a['output'][:200]}")
for w, n in counts.items():
    print(f"{w}: {n} alerts")
PY
