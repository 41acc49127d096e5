#!/usr/bin/env bash
# mixed_workload.sh DURATION_S — a realistic mix: tar + untar of a source tree and a few
# small C compiles, repeated for DURATION_S seconds. Prints
# {"workload":"mixed","ops":N,"seconds":S} (one op = one tar/untar/compile round).
set -euo pipefail
duration="${1:-5}"
src_tree="${2:-/usr/include/linux}"
work="$(mktemp -d /tmp/vigil-mixed-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cat > "$work/a.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(void) { char b[64]; snprintf(b, sizeof b, "%d", 42); return (int)strlen(b) - 2; }
C
start=$(date +%s.%N)
end=$(echo "$start + $duration" | bc -l)
ops=0
while (( $(echo "$(date +%s.%N) < $end" | bc -l) )); do
  tar -C "$(dirname "$src_tree")" -cf "$work/t.tar" "$(basename "$src_tree")"
  mkdir -p "$work/x" && tar -C "$work/x" -xf "$work/t.tar" && rm -rf "$work/x"
  cc -O1 -o "$work/a.out" "$work/a.c" && "$work/a.out"
  ops=$((ops + 1))
done
now=$(date +%s.%N)
printf '{"workload":"mixed","ops":%d,"seconds":%s}\n' "$ops" "$(echo "$now - $start" | bc -l)"
