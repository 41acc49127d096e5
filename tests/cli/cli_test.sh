#!/usr/bin/env bash
# CLI consistency (unit suite, no probes): --version content, an unknown command named in
# the error, validate's positional and -r files, `rules list` (text and --json, with a
# config disabling a rule), `vigil test DIR` taking only *_test.yaml / *.test.yaml files,
# -o meaning a config override everywhere (replay --format, record -w), and `vigil run` /
# `vigil doctor` without capabilities naming the missing ones (setpriv drops them).
set -euo pipefail
vigil="${VIGIL_BINARY:?VIGIL_BINARY not set}"
root="${VIGIL_SOURCE_ROOT:?VIGIL_SOURCE_ROOT not set}"
out="$(mktemp -d /tmp/vigil-cli.XXXXXX)"
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --version: version, git revision, build type, libbpf, and that this is the build tree.
"$vigil" --version >"$out/v"
grep -Eq '^vigil [0-9]+\.[0-9]+\.[0-9]+$' "$out/v" || fail "version line: $(cat "$out/v")"
grep -Eq '^git revision: ([0-9a-f]{7,}|unknown)' "$out/v" || fail "git revision: $(cat "$out/v")"
grep -Eq '^build type: (debugoptimized|debug|release|plain|minsize|custom)$' "$out/v" || fail "build type: $(cat "$out/v")"
grep -Eq '^libbpf: v?[0-9]+\.[0-9]+' "$out/v" || fail "libbpf: $(cat "$out/v")"
grep -q '^config: build tree' "$out/v" || fail "build-tree binary must say so: $(cat "$out/v")"

# An unknown command names itself.
if "$vigil" valdate x 2>"$out/e"; then fail "unknown command must fail"; fi
grep -q "unknown command 'valdate'" "$out/e" || fail "unknown command: $(cat "$out/e")"
grep -q "validate" "$out/e" || fail "unknown command lists the commands: $(cat "$out/e")"

# validate: files positionally, with -r, or both.
cat >"$out/a.yaml" <<'YAML'
- rule: A rule
  desc: a
  condition: evt.type = openat and fd.name = /tmp/a
  output: a %fd.name
  priority: WARNING
  tags: [test_a]
YAML
sed 's/A rule/B rule/; s/test_a/test_b/' "$out/a.yaml" >"$out/b.yaml"
"$vigil" validate "$out/a.yaml" >"$out/o" || fail "validate positional: $(cat "$out/o")"
grep -q "OK: 1 rules" "$out/o" || fail "validate positional: $(cat "$out/o")"
"$vigil" validate -r "$out/a.yaml" >"$out/o" || fail "validate -r: $(cat "$out/o")"
"$vigil" validate "$out/a.yaml" -r "$out/b.yaml" >"$out/o" || fail "validate both: $(cat "$out/o")"
grep -q "OK: 2 rules" "$out/o" || fail "validate both: $(cat "$out/o")"
if "$vigil" validate 2>/dev/null >/dev/null; then fail "validate without files must fail"; fi

# rules list: text and JSON; engine.disabled_rules shows as disabled.
"$vigil" rules list -r "$out/a.yaml" -r "$out/b.yaml" -o 'engine.disabled_rules=[B rule]' >"$out/o" \
  || fail "rules list: $(cat "$out/o")"
grep -Eq '^A rule +Warning +yes +a.yaml:1 +test_a$' "$out/o" || fail "rules list A: $(cat "$out/o")"
grep -Eq '^B rule +Warning +no ' "$out/o" || fail "rules list B disabled: $(cat "$out/o")"
grep -q '^2 rules, 1 enabled$' "$out/o" || fail "rules list summary: $(cat "$out/o")"
"$vigil" rules list --json -r "$out/a.yaml" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert len(r) == 1 and r[0]["name"] == "A rule" and r[0]["priority"] == "Warning" and r[0]["tags"] == ["test_a"], r
assert r[0]["enabled"] is True and r[0]["file"].endswith("a.yaml") and r[0]["line"] == 1, r' \
  || fail "rules list --json"
"$vigil" rules list >"$out/o" || fail "rules list with the default rules"
grep -q "Shadow File Read by Unexpected Program" "$out/o" || fail "default rules listed: $(head "$out/o")"

# vigil test DIR: rules and tests in one folder, only the test files run.
mkdir "$out/mixed"
cp "$out/a.yaml" "$out/mixed/my_rules.yaml"
cat >"$out/mixed/my_rules_test.yaml" <<'YAML'
- name: a fires
  rules: [my_rules.yaml]
  events: [{evt.type: openat, evt.res: 3, evt.args: {name: /tmp/a, flags: 0}, proc: {pid: 9, name: cat}}]
  expect: {fire: [A rule]}
YAML
sed 's/a fires/a fires again/' "$out/mixed/my_rules_test.yaml" >"$out/mixed/more.test.yaml"
"$vigil" test "$out/mixed" >"$out/o" || fail "test DIR: $(cat "$out/o")"
[[ "$(tail -n1 "$out/o")" == "2 passed, 0 failed" ]] || fail "test DIR summary: $(cat "$out/o")"
if grep -q "^ERROR .*my_rules.yaml" "$out/o"; then fail "a rules file was read as tests: $(cat "$out/o")"; fi
mkdir "$out/norules"
cp "$out/a.yaml" "$out/norules/"
if "$vigil" test "$out/norules" >"$out/o"; then fail "a directory without test files must fail"; fi
grep -q "no test files here" "$out/o" || fail "no-test-files message: $(cat "$out/o")"

# -o is a config override everywhere: replay's format is --format, record writes with -w.
printf '%s\n' '{"evt.type":"openat","proc.pid":5,"evt.res":3,"evt.args":{"name":"/tmp/a","flags":0},"proc":{"pid":5,"name":"cat"}}' >"$out/r.jsonl"
"$vigil" replay "$out/r.jsonl" -r "$out/a.yaml" --format text >"$out/o" 2>/dev/null || fail "replay --format"
grep -q "Warning a /tmp/a" "$out/o" || fail "replay --format text: $(cat "$out/o")"
"$vigil" replay "$out/r.jsonl" -r "$out/a.yaml" -f json >"$out/o" 2>/dev/null || fail "replay -f"
grep -q '"rule":"A rule"' "$out/o" || fail "replay -f json: $(cat "$out/o")"
if "$vigil" replay "$out/r.jsonl" -r "$out/a.yaml" -o text 2>"$out/e"; then fail "replay -o text must fail"; fi
grep -q "the alert format is --format text" "$out/e" || fail "replay -o text message: $(cat "$out/e")"
if "$vigil" record -o "$out/rec.jsonl" 2>"$out/e"; then fail "record -o must fail"; fi
grep -q "\-w/--output-file" "$out/e" || fail "record -o message: $(cat "$out/e")"
[[ ! -e "$out/rec.jsonl" ]] || fail "record -o must not create the file"

# Without capabilities: run and doctor name what is missing (uid 0, every capability dropped).
drop=(setpriv --inh-caps=-all --bounding-set=-all --)
if "${drop[@]}" "$vigil" run --duration 1 2>"$out/e"; then fail "run without capabilities must fail"; fi
grep -q "the probes need CAP_BPF and CAP_PERFMON" "$out/e" || fail "run capability message: $(cat "$out/e")"
if "${drop[@]}" "$vigil" doctor >"$out/o" 2>&1; then fail "doctor without capabilities must exit 1"; fi
grep -q "^FAIL  missing CAP_BPF and CAP_PERFMON" "$out/o" || fail "doctor capability line: $(cat "$out/o")"
grep -q "^vigil run will NOT work" "$out/o" || fail "doctor verdict: $(cat "$out/o")"
echo "cli: OK"
