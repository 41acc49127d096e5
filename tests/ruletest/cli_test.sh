#!/usr/bin/env bash
# CLI behaviour of `vigil replay` and `vigil test`: exit codes, line-numbered errors, the
# summary lines, and that `vigil test` fails (exit 1) when a case fails.
set -euo pipefail
vigil="${VIGIL_BINARY:?VIGIL_BINARY not set}"
root="${VIGIL_SOURCE_ROOT:?VIGIL_SOURCE_ROOT not set}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# replay: malformed lines are reported with their number, skipped, exit 0.
printf '%s\n' '{"evt.type":"openat","proc.pid":5,"evt.res":3,"evt.args":{"name":"/etc/shadow","flags":0},"proc":{"pid":5,"name":"cat"}}' \
  'not json' '' '{"evt.type":"bogus"}' >"$out/mixed.jsonl"
"$vigil" replay "$out/mixed.jsonl" -r "$root/rules" --format text >"$out/o" 2>"$out/e" || fail "replay with bad lines must exit 0"
grep -q "mixed.jsonl: line 2: " "$out/e" || fail "no line 2 error: $(cat "$out/e")"
grep -q "mixed.jsonl: line 4: unknown evt.type 'bogus'" "$out/e" || fail "no line 4 error: $(cat "$out/e")"
grep -q "^replay: 1 events, 1 alerts, 2 bad lines" "$out/e" || fail "summary: $(cat "$out/e")"
grep -q "Warning Password hashes read by cat" "$out/o" || fail "text alert: $(cat "$out/o")"

# replay: unreadable file / broken rules / unknown format exit 1.
if "$vigil" replay "$out/missing.jsonl" 2>/dev/null; then fail "missing file must exit 1"; fi
printf -- '- rule: broken\n' >"$out/broken.yaml"
if "$vigil" replay "$out/mixed.jsonl" -r "$out/broken.yaml" 2>"$out/e"; then fail "bad rules must exit 1"; fi
grep -q "broken.yaml:1:" "$out/e" || fail "rule error position: $(cat "$out/e")"
if "$vigil" replay "$out/mixed.jsonl" --format xml 2>/dev/null; then fail "unknown format must exit 1"; fi

# test: a failing case makes the run fail, and the summary counts it.
cat >"$out/t.yaml" <<'YAML'
- name: passes
  events: [{evt.type: openat, evt.res: 3, evt.args: {name: /etc/shadow, flags: 0}, proc: {pid: 9, name: cat}}]
  expect: {fire: [Shadow File Read by Unexpected Program]}
- name: fails on purpose
  events: [{evt.type: openat, evt.res: 3, evt.args: {name: /etc/shadow, flags: 0}, proc: {pid: 9, name: cat}}]
  expect: {not_fire: [Shadow File Read by Unexpected Program]}
YAML
if "$vigil" test "$out/t.yaml" -r "$root/rules" >"$out/o"; then fail "a failing case must exit 1"; fi
grep -q "^PASS  .*t.yaml:1  passes$" "$out/o" || fail "PASS line: $(cat "$out/o")"
grep -q "^FAIL  .*t.yaml:4  fails on purpose: 'Shadow File Read by Unexpected Program' fired but must not" "$out/o" \
  || fail "FAIL line: $(cat "$out/o")"
[[ "$(tail -n1 "$out/o")" == "1 passed, 1 failed" ]] || fail "summary: $(tail -n1 "$out/o")"
# test: an error in a test file fails the run even if every case passes.
printf -- '- name: typo\n  evnts: []\n' >"$out/typo.yaml"
if "$vigil" test "$out/typo.yaml" >"$out/o"; then fail "a test-file error must exit 1"; fi
grep -q "typo.yaml:2:3: error: unknown key 'evnts'" "$out/o" || fail "typo error: $(cat "$out/o")"
echo "cli: OK"
