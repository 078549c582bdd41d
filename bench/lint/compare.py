#!/usr/bin/env python3
"""Compares `mig lint --format json` with `squawk --reporter json` on the same files: per rule
(mig's id, squawk's id beside it), the number of findings of each, and for the rules both
have, the generated cases (file names without their number) that only one of them flags.

Usage: compare.py MIG_JSON SQUAWK_JSON
"""
import collections
import json
import os
import re
import sys

# squawk's id for each mig rule where the names differ; None where squawk has no such rule.
SQUAWK_NAME = {
    "adding-primary-key-constraint": "adding-serial-primary-key-field",
    "require-concurrent-detach-partition": "require-concurrent-partition-detach",
    # squawk's require-enum-value-ordering asks for BEFORE/AFTER, the opposite of mig's rule.
    "changing-enum-order": None,
    "prefer-timestamptz": "prefer-timestamp-tz",
    "transaction-not-committed": "ban-uncommitted-transaction",
    "renaming-enum-value": "renaming-object",
    "renaming-schema": "renaming-object",
    "require-timeout-settings": "require-lock-timeout",
    "ban-vacuum-full": None,
    "ban-cluster": None,
    "ban-update-without-where": None,
    "ban-delete-without-where": None,
    "prefer-jsonb": None,
}

# The generated case of each mig rule that shares a squawk rule with another: squawk's hits of the
# shared rule are split between mig's by case name, whether mig flagged the file or not.
SHARED_CASES = {
    "renaming-enum-value": "enum_rename",
    "renaming-schema": "schema_rename",
}


def case(path: str) -> str:
    """The generated case a file holds: its name without version and extension."""
    return re.sub(r"^\d+_", "", os.path.basename(path)).removesuffix(".up.sql")


def main() -> None:
    mig = json.load(open(sys.argv[1]))["findings"]
    squawk = json.load(open(sys.argv[2]))
    mig_hits = collections.defaultdict(set)
    for finding in mig:
        diagnostic = finding["diagnostic"]
        if diagnostic.get("rule"):
            mig_hits[diagnostic["rule"]].add((diagnostic["location"]["path"], diagnostic["location"]["line"]))
    squawk_hits = collections.defaultdict(set)
    for finding in squawk:
        squawk_hits[finding["rule_name"]].add((os.path.relpath(finding["file"]), finding["line"] + 1))

    rules = sorted(set(mig_hits) | set(SQUAWK_NAME))
    print("| mig rule | squawk rule | mig | squawk | only squawk flags (cases) | only mig flags (cases) |")
    print("| --- | --- | ---: | ---: | --- | --- |")
    compared = collections.defaultdict(set)
    for rule in rules:
        other = SQUAWK_NAME.get(rule, rule)
        ours = mig_hits.get(rule, set())
        theirs = squawk_hits.get(other, set()) if other else set()
        if rule in SHARED_CASES:
            theirs = {hit for hit in theirs if case(hit[0]) == SHARED_CASES[rule]}
        if other:
            compared[other] |= theirs
        ours_files = {path for path, _ in ours}
        theirs_files = {path for path, _ in theirs}
        only_theirs = shortened({case(path) for path in theirs_files - ours_files})
        only_ours = shortened({case(path) for path in ours_files - theirs_files}) if other else ""
        print(f"| `{rule}` | {f'`{other}`' if other else '—'} | {len(ours)} | {len(theirs) if other else '—'} | "
              f"{only_theirs} | {only_ours} |")
    # squawk's hits no mig rule was compared with: its rules mig lacks, and a shared rule's other cases.
    for name in sorted(squawk_hits):
        rest = squawk_hits[name] - compared[name]
        if rest:
            extra = shortened({case(path) for path, _ in rest})
            print(f"| — | `{name}` | — | {len(rest)} | {extra} | |")


def shortened(cases: set) -> str:
    """At most six case names, and how many more."""
    names = sorted(cases)
    return ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


if __name__ == "__main__":
    main()
