#!/usr/bin/env bash
# Kernel suite: `vigil doctor` as root loads the probes in both hook modes and sees its own
# event; as an unprivileged user (nobody) holding only the unit's AmbientCapabilities the
# probes still load, attach and deliver, and /proc of other users' processes is readable —
# the least-privilege claim of packaging/vigil.service (DynamicUser + capabilities).
set -euo pipefail
vigil="${VIGIL_BINARY:?VIGIL_BINARY not set}"
out="$(mktemp -d /tmp/vigil-doctor.XXXXXX)"
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out/o" 2>/dev/null; exit 1; }
"$vigil" doctor >"$out/o" 2>&1 || fail "doctor as root must pass"
grep -q "^ok    probes load and attach with tp_btf" "$out/o" || fail "tp_btf line"
grep -q "^ok    BTF present" "$out/o" || fail "BTF line"
grep -q "^info  uid 0; effective capabilities held: CAP_BPF CAP_PERFMON" "$out/o" || fail "capabilities line"
unit="${VIGIL_SOURCE_ROOT:?}/packaging/vigil.service.in"
grep -q '^DynamicUser=yes' "$unit" || fail "the unit no longer runs as a dynamic user: update this test"
unit_caps="$(sed -n 's/^AmbientCapabilities=//p' "$unit")"
[[ "$unit_caps" == "$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")" ]] || fail "unit: ambient != bounding set"
caps="-all$(for c in $unit_caps; do c="${c#CAP_}"; printf ',+%s' "${c,,}"; done)"
# The binary must be reachable by nobody: copy it (an installed-style binary: no build tree).
install -m 0755 "$vigil" "$out/vigil"
chmod 0755 "$out"
VIGIL_RULES_DIR="$VIGIL_SOURCE_ROOT/rules" setpriv --reuid=65534 --regid=65534 --clear-groups \
  --inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" -- "$out/vigil" doctor >"$out/o" 2>&1 \
  || fail "doctor as nobody with the unit's capabilities ($caps) must pass"
grep -q "^ok    probes load and attach with tp_btf" "$out/o" || fail "unit caps: tp_btf"
grep -q "^ok    /proc/<pid>/exe" "$out/o" || fail "unit caps: /proc"
grep -q "^info  uid 65534; " "$out/o" || fail "unit caps: not running as nobody"
grep -q "CAP_SYS_ADMIN" <(grep "^info" "$out/o" | sed 's/not held:.*//') && fail "unit caps: SYS_ADMIN held"
echo "doctor: OK"
