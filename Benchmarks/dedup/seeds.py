"""Recall and precision of sluice (its default mode, `verify: exact` since 2026-12) and datasketch MinHashLSH over many
seeds on one near-duplicate set, to tell a real difference from seed noise: at 14 x 8 bands the
chance that a pair of Jaccard 0.8 shares no band is 7.6 %, so on a set with ~80 true pairs each
seed's recall moves by whole pairs. Prints per-seed counts, pooled recall and precision, and a
two-proportion z score for the pooled recall difference.

Usage: seeds.py --sluice PATH [--set 100k-edits5-30] [--seeds 1-20]
"""
import argparse, math, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--data", default=os.environ.get("SLUICE_BENCH_DATA", os.path.join(tempfile.gettempdir(), "sluice-bench-dedup")))
    ap.add_argument("--set", default="100k-edits5-30")
    ap.add_argument("--seeds", default="1-20")
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split("-"))
    seeds = list(range(lo, hi + 1))
    set_dir = os.path.join(a.data, a.set)
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            out = os.path.join(tmp, f"sluice-{seed}")
            bench.run_sluice(a.sluice, set_dir, out, extra=f", seed: {seed}")
            found[("sluice", seed)] = bench.sluice_clusters(out)
            subprocess.run(["rm", "-rf", out], check=True)
            found[("datasketch", seed)] = bench.run_reference("datasketch", set_dir, None, tmp, seed)["clusters"]
            print(f"seed {seed} done", file=sys.stderr, flush=True)
    quality, truth = bench.score(found, set_dir, None)
    pooled = {}
    for tool in ("sluice", "datasketch"):
        tp = sum(round(quality[(tool, s)]["recall"] * truth) for s in seeds)
        pairs = sum(quality[(tool, s)]["pairs"] for s in seeds)
        tpp = sum(round(quality[(tool, s)]["precision"] * quality[(tool, s)]["pairs"]) for s in seeds)
        pooled[tool] = (tp, truth * len(seeds), tpp, pairs)
        per = " ".join(str(round(quality[(tool, s)]["recall"] * truth)) for s in seeds)
        print(f"{tool:10s} true pairs found per seed (of {truth}): {per}")
        print(f"{tool:10s} pooled recall {tp}/{truth * len(seeds)} = {tp / (truth * len(seeds)):.4f}, "
              f"pooled precision {tpp}/{pairs} = {tpp / pairs:.4f}")
    (a1, n1, _, _), (a2, n2, _, _) = pooled["sluice"], pooled["datasketch"]
    p = (a1 + a2) / (n1 + n2)
    z = (a1 / n1 - a2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)) if 0 < p < 1 else 0.0
    print(f"recall difference sluice - datasketch {a1 / n1 - a2 / n2:+.4f}, z = {z:+.2f} (|z| < 1.96: no significant difference at 5 %)")


if __name__ == "__main__":
    main()
