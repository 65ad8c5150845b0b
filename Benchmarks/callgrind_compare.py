#!/usr/bin/env python3
"""Compares two Benchmarks/callgrind.sh outputs (instruction counts of one command per benchmarked
area, two release builds) and writes Benchmarks/results/callgrind.json, which Benchmarks/run.py
renders as the last section of BENCHMARKS.md. Instruction counts, unlike times, repeat on a loaded
machine, so a change of a few percent is visible.

Usage: callgrind_compare.py BEFORE AFTER --before-label L --after-label L [--notes TEXT]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


def read(path):
    counts = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            failed = next((p for p in parts[1:] if p.startswith("exit=")), None)
            if failed or len(parts) < 2 or not parts[1].isdigit():
                sys.exit(f"{path}: {parts[0]} did not run cleanly ({' '.join(parts[1:]) or 'no count'})")
            counts[parts[0]] = int(parts[1])
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--before-label", required=True)
    ap.add_argument("--after-label", required=True)
    ap.add_argument("--notes", default="")
    ap.add_argument("--output", default=os.path.join(BENCH_DIR, "results", "callgrind.json"))
    args = ap.parse_args()
    before, after = read(args.before), read(args.after)
    if set(before) != set(after):
        sys.exit(f"the two runs measured different commands: {sorted(set(before) ^ set(after))}")
    commit = subprocess.run(["git", "-C", BENCH_DIR, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    rows = [{"name": name, "before": before[name], "after": after[name],
             "change_percent": round(100.0 * (after[name] - before[name]) / before[name], 2)}
            for name in before]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit, "before_label": args.before_label, "after_label": args.after_label,
        "notes": args.notes, "rows": rows,
    }
    with open(args.output, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for r in rows:
        print(f"{r['name']:18} {r['before']:>14,} {r['after']:>14,} {r['change_percent']:+7.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
