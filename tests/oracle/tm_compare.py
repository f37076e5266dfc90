#!/usr/bin/env python3
"""Compare our 07-tendermint verdicts with tendermint-rs's (DESIGN §6a, §12).

usage: tm_compare.py DIR   (DIR/cases.jsonl, DIR/ours.txt from tm_diff; DIR/theirs.txt from
tendermint-oracle). Prints the verdict counts and every case where the two differ (verdict
or reason), with its defect class; exits 1 when any differs, 2 when the files do not line up.
"""
import collections
import json
import sys

d = sys.argv[1]
names = [json.loads(line)["name"] for line in open(f"{d}/cases.jsonl")]
ours = open(f"{d}/ours.txt").read().splitlines()
theirs = open(f"{d}/theirs.txt").read().splitlines()
if not (len(names) == len(ours) == len(theirs)):
    print(f"line counts differ: cases {len(names)}, ours {len(ours)}, theirs {len(theirs)}")
    sys.exit(2)
diff = [(i, n, a, b) for i, (n, a, b) in enumerate(zip(names, ours, theirs)) if a != b]
counts = collections.Counter(ours)
print(f"{len(names)} cases, {len(names) - len(diff)} agree, {len(diff)} differ")
for v, c in counts.most_common():
    print(f"  {c:6d}  {v}")
for i, n, a, b in diff[:20]:
    print(f"  case {i} ({n}): ours '{a}', tendermint-rs '{b}'")
sys.exit(1 if diff else 0)
