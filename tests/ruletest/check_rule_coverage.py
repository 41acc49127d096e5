#!/usr/bin/env python3
"""Rule test coverage for vigil's default rules (issue 14).

Fails unless every rule in RULES_DIR/*.yaml has, in the test files of TESTS_DIR:
  - a positive case (named in some `expect.fire`),
  - a near-miss negative case (named in some `expect.not_fire`),
  - an evasion variant: a case whose name starts with "evasion:" and that names the rule in
    its `expect.fire` (the same goal reached another way: another syscall, another name,
    another path, a rename, a link; see docs/detections.md).
Rules with `enabled: false` (rules waiting for sensor support, 45_vigil_new_syscalls.yaml) are
checked against TESTS_DIR/pending/*.yaml instead, which `vigil test rules/tests` does not run.

Usage: check_rule_coverage.py RULES_DIR TESTS_DIR [--evasion-exempt FILE.yaml]...
--evasion-exempt names a rules file whose rules need only the positive and near-miss cases
(a file another engineer owns that has no evasion cases yet); the summary says so.
Standard library only: rule names come from `- rule:` lines (a block's `enabled: false` line
marks it pending), test cases from `- name:` lines and their one-line `fire: [...]` /
`not_fire: [...]` lists (the style rules/tests uses). Prints a summary with the counts."""
import glob
import os
import re
import sys

EVASION_PREFIX = "evasion:"


def load_rules(rules_dir):
    """Returns [(name, enabled, file basename)] for every `- rule:` item defining a rule."""
    rules = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yaml"))):
        text = open(path, encoding="utf-8").read()
        blocks = re.split(r"^(?=- )", text, flags=re.M)
        for block in blocks:
            m = re.match(r"- rule:\s*(.+?)\s*$", block, re.M)
            if not m:
                continue
            if not re.search(r"^\s+condition:", block, re.M):
                continue  # an enable/disable or append item, not a definition
            enabled = not re.search(r"^\s+enabled:\s*false\s*$", block, re.M)
            rules.append((m.group(1).strip("'\""), enabled, os.path.basename(path)))
    return rules


def load_cases(tests_dir):
    """Returns [(case name, fire set, not_fire set)] for every case in TESTS_DIR/*.yaml."""
    cases = []
    list_re = re.compile(r"^\s*(fire|not_fire):\s*\[(.*)\]\s*$", re.M)
    for path in sorted(glob.glob(os.path.join(tests_dir, "*.yaml"))):
        text = open(path, encoding="utf-8").read()
        for block in re.split(r"^(?=- name:)", text, flags=re.M):
            m = re.match(r"- name:\s*(.+?)\s*$", block, re.M)
            if not m:
                continue
            name = m.group(1).strip().strip("'\"")
            fire, not_fire = set(), set()
            for lm in list_re.finditer(block):
                names = {n.strip().strip("'\"") for n in lm.group(2).split(",") if n.strip()}
                (fire if lm.group(1) == "fire" else not_fire).update(names)
            cases.append((name, fire, not_fire))
    return cases


def check(rules, cases, where, no_evasion=()):
    fire = set().union(*[c[1] for c in cases]) if cases else set()
    not_fire = set().union(*[c[2] for c in cases]) if cases else set()
    evasion = set()
    for name, f, _ in cases:
        if name.lower().startswith(EVASION_PREFIX):
            evasion |= f
    problems = []
    for rule in rules:
        for kind, s in (("positive", fire), ("near-miss negative", not_fire),
                        ("evasion variant ('evasion:' case that fires)", evasion)):
            if s is evasion and rule in no_evasion:
                continue
            if rule not in s:
                problems.append(f"rule '{rule}' has no {kind} test case in {where}")
    n_evasion_cases = sum(1 for name, f, _ in cases if name.lower().startswith(EVASION_PREFIX) and f)
    return problems, n_evasion_cases


def main():
    args = sys.argv[1:]
    exempt_files = set()
    while "--evasion-exempt" in args:
        i = args.index("--evasion-exempt")
        if i + 1 >= len(args):
            print(__doc__)
            return 2
        exempt_files.add(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__)
        return 2
    rules_dir, tests_dir = args
    rules = load_rules(rules_dir)
    enabled = [r for r, e, _ in rules if e]
    pending = [r for r, e, _ in rules if not e]
    no_evasion = {r for r, _, f in rules if f in exempt_files}
    problems, n_ev = check(enabled, load_cases(tests_dir), tests_dir, no_evasion)
    pending_dir = os.path.join(tests_dir, "pending")
    p_problems, p_ev = check(pending, load_cases(pending_dir), pending_dir)
    problems += p_problems
    for p in problems:
        print(p)
    bad = {p.split("'")[1] for p in problems}
    print(f"{len(enabled)} enabled rules, {len(pending)} pending (disabled) rules; "
          f"{len(rules) - len(bad)} fully covered; "
          f"{n_ev} evasion cases ({p_ev} pending)"
          + (f"; {len(no_evasion)} rules exempt from the evasion requirement "
             f"({', '.join(sorted(exempt_files))})" if exempt_files else ""))
    return 1 if problems or not rules else 0


if __name__ == "__main__":
    sys.exit(main())
