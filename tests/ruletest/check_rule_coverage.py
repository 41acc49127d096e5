#!/usr/bin/env python3
"""Fails unless every rule in RULES_DIR/*.yaml is named in at least one `expect.fire` and one
`expect.not_fire` of the test files in TESTS_DIR (a positive and a near-miss case each).
Usage: check_rule_coverage.py RULES_DIR TESTS_DIR. Standard library only: rule names come
from `- rule:` lines, expectations from one-line `fire: [...]` / `not_fire: [...]` lists
(the style rules/tests uses)."""
import glob
import os
import re
import sys

rules_dir, tests_dir = sys.argv[1], sys.argv[2]
rules = []
for path in sorted(glob.glob(os.path.join(rules_dir, "*.yaml"))):
    for m in re.finditer(r"^- rule:\s*(.+?)\s*$", open(path).read(), re.M):
        rules.append(m.group(1))

fire, not_fire = set(), set()
list_re = re.compile(r"^\s*(fire|not_fire):\s*\[(.*)\]\s*$", re.M)
for path in sorted(glob.glob(os.path.join(tests_dir, "*.yaml"))):
    for m in list_re.finditer(open(path).read()):
        names = {n.strip().strip("'\"") for n in m.group(2).split(",") if n.strip()}
        (fire if m.group(1) == "fire" else not_fire).update(names)

missing = [(r, k) for r in rules for k, s in (("positive", fire), ("negative", not_fire)) if r not in s]
for rule, kind in missing:
    print(f"rule '{rule}' has no {kind} test case")
print(f"{len(rules)} rules, {len(rules) - len({r for r, _ in missing})} fully covered")
sys.exit(1 if missing or not rules else 0)
