#!/usr/bin/env bash
# Man pages and bash completion stay in step with the CLI (unit suite): every subcommand has
# a man page naming each of its long options, the completion script parses and offers each
# subcommand and long option, and every page is valid roff when a formatter is installed.
set -euo pipefail
vigil="${VIGIL_BINARY:?VIGIL_BINARY not set}"
root="${VIGIL_SOURCE_ROOT:?VIGIL_SOURCE_ROOT not set}"
fail() { echo "FAIL: $*"; exit 1; }
comp="$root/completions/vigil.bash"
bash -n "$comp" || fail "completion script does not parse"
[[ -f "$root/man/vigil.1" ]] || fail "no man/vigil.1"
cmds="$("$vigil" --help | awk 'tolower($0) ~ /^subcommands:/{on=1; next} on && /^  [a-z]/{print $1}')"
[[ -n "$cmds" ]] || fail "no subcommands in vigil --help"
for c in $cmds; do
  page="$root/man/vigil-$c.1"
  [[ -f "$page" ]] || fail "no man page for '$c' ($page)"
  grep -q "vigil-$c" "$root/man/vigil.1" || fail "vigil.1 does not mention vigil-$c"
  grep -Eq "[ \"]$c[ \"]" <(grep '^  local commands=' "$comp") || fail "completion lacks command $c"
  helpcmd=("$c"); [[ "$c" == rules ]] && helpcmd=(rules list)
  text="$(sed 's/\\-/-/g' "$page")"
  for opt in $("$vigil" "${helpcmd[@]}" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    [[ "$opt" == --help ]] && continue
    grep -q -- "$opt" <<<"$text" || fail "man page vigil-$c.1 lacks $opt"
    grep -q -- "$opt" "$comp" || fail "completion lacks $c $opt"
  done
done
if command -v groff >/dev/null; then
  for p in "$root"/man/*.1; do
    warn="$(groff -man -Tutf8 -ww -z "$p" 2>&1)" || fail "groff $p"
    [[ -z "$warn" ]] || fail "groff warnings in $p: $warn"
  done
fi
echo "docs: OK ($(echo $cmds | wc -w) commands)"
