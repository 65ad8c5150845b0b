"""MinHash-LSH near-duplicate removal: Sluice vs rensa and datasketch, side by side.

Builds synthetic near-duplicate sets from real text (corpus.py) of 100,000 and 1,000,000
documents, with 5-30 % word edits (the issue's set: at t = 0.8 any LSH finds few of these pairs,
it measures the configuration) and 1-5 % edits (the set that separates tools), then runs on each:

* sluice: `sluice run` of a jsonl -> minhash_dedup (14 bands x 8 rows, 5-word shingles) -> write
  pipeline, end to end (JSONL read and written), 2 workers, in its default mode `verify: exact`
  (candidates checked by the exact Jaccard of their shingle sets >= 0.8);
* sluice again with `verify: none` (every band collision is a candidate: datatrove's behaviour,
  the parity row) and with `verify: signature` (a candidate is kept if >= 77 of its 112 MinHash
  values are equal: Jaccard estimate >= 0.8 - 3 sigma), for quality;
* rensa 0.5.0 (RMinHash.from_token_sets + RMinHashLSH 14 bands, 112 perms) and datasketch 2.0.0
  (MinHash.bulk + MinHashLSH params (14, 8)), fed the same simplified word 5-grams, streaming in
  batches of 10,000 documents, JSON parsing and shingling included (as a user of them would run).

Found pairs = all pairs within each tool's clusters (union-find of its candidate pairs). Truth =
exact word-5-gram Jaccard >= 0.8 among the injected groups and every found pair. On the 1M sets
the references run on the first `--reference-limit` documents (datasketch would take too long),
and all tools are scored on pairs inside that subset. Peak RSS is each process's own (ru_maxrss).

Usage: bench.py --sluice .build/release/sluice --out rows.json [--sizes 100000,1000000]
"""
import argparse, io, json, os, resource, statistics, subprocess, sys, tempfile, time

import numpy as np
import orjson
import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus

# The mode `minhash_dedup` uses when `verify` is not given; the timed runs use it.
DEFAULT_MODE = "exact"
OTHER_MODES = (("none", "every band collision is a candidate, as datatrove (parity row)"),
               ("signature", "a candidate is kept if >= 77 of 112 MinHash values are equal"))

BANDS, ROWS, NGRAM = 14, 8, 5
PERMS = BANDS * ROWS
EDIT_SETS = {"edits5-30": (0.05, 0.30), "edits1-5": (0.01, 0.05)}


def human(n):
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def child_rss_mib(cmd):
    """Runs cmd; returns (seconds, its peak RSS in MiB, CPU seconds user + system, stdout).

    The command runs under /usr/bin/time: a child forked from this (large) Python process would
    inherit its RSS high-water mark, and ru_maxrss would report ours instead of the child's."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate()
        seconds = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed ({p.returncode}): {err.decode()[-3000:]}")
        rss_kib, user, system = tf.read().split()[-3:]
    return seconds, int(rss_kib) / 1024, float(user) + float(system), out


# --- sluice ---------------------------------------------------------------------------------------
def run_sluice(sluice, set_dir, out_dir, tasks=8, workers=2, extra=""):
    pipeline = os.path.join(out_dir + "-pipeline.yaml")
    with open(pipeline, "w") as f:
        f.write(f"""input:
  paths: ["{set_dir}/docs-*.jsonl"]
output: {out_dir}
tasks: {tasks}
stages:
  - minhash_dedup: {{preset: datatrove, bands: {BANDS}, rows: {ROWS}, ngram: {NGRAM}{extra}}}
  - write: {{compression: zstd}}
""")
    subprocess.run(["rm", "-rf", out_dir], check=True)
    seconds, rss, cpu, _ = child_rss_mib([sluice, "run", pipeline, "--workers", str(workers)])
    return seconds, rss, cpu


def sluice_clusters(out_dir):
    """Clusters (lists of ids) from the clusters pass's member file and the intermediate files."""
    work = os.path.join(out_dir, "_work")
    stage = next(d for d in sorted(os.listdir(work)) if d.startswith("minhash_dedup"))
    members = np.fromfile(os.path.join(work, stage, "clusters", "members.bin"), dtype="<u8", offset=24).reshape(-1, 3)
    needed = {}
    for key in members[:, 0].tolist():
        needed.setdefault(key >> 40, set()).add(key & ((1 << 40) - 1))
    segment = os.path.join(work, "segment-0")
    ids = {}
    for f, ordinals in needed.items():
        path = os.path.join(segment, f"{f:05d}.jsonl.zst")
        last = max(ordinals)
        with open(path, "rb") as fh:
            reader = zstandard.ZstdDecompressor().stream_reader(fh)
            for ordinal, line in enumerate(io.BufferedReader(reader)):
                if ordinal in ordinals:
                    ids[(f << 40) | ordinal] = orjson.loads(line)["id"]
                if ordinal >= last:
                    break
    clusters = {}
    for key, root, _ in members.tolist():
        clusters.setdefault(root, []).append(ids[key])
    return list(clusters.values())


def write_subset(set_dir, limit, files=8):
    """The first `limit` documents of a set as a set of its own (cached)."""
    sub = os.path.join(set_dir, f"subset-{limit}")
    if not os.path.exists(os.path.join(sub, "done")):
        os.makedirs(sub, exist_ok=True)
        per_file = (limit + files - 1) // files
        handles = [open(os.path.join(sub, f"docs-{k:03d}.jsonl"), "wb") for k in range(files)]
        for i, (doc_id, text) in enumerate(corpus.iter_docs(set_dir, limit)):
            handles[i // per_file].write(orjson.dumps({"id": doc_id, "text": text, "source": "synthetic"}) + b"\n")
        for h in handles:
            h.close()
        open(os.path.join(sub, "done"), "w").close()
    return sub


# --- references (run in a child process each, so RSS is their own) -------------------------------
def reference_worker(tool, set_dir, limit, out_path, seed=1):
    t0 = time.perf_counter()
    n = 0
    pairs = []
    batch_ids, batch = [], []
    if tool == "rensa":
        from rensa import RMinHash, RMinHashLSH
        lsh = RMinHashLSH(0.8, PERMS, BANDS)
        hashes = []
        def flush():
            mh = RMinHash.from_token_sets(batch, PERMS, seed)
            lsh.insert_many(mh, start_key=len(hashes))
            hashes.extend(mh)
    else:
        from datasketch import MinHash, MinHashLSH, LeanMinHash
        lsh = MinHashLSH(num_perm=PERMS, params=(BANDS, ROWS))
        hashes = []
        def flush():
            for m in MinHash.bulk([[s.encode() for s in b] for b in batch], num_perm=PERMS, seed=seed):
                lm = LeanMinHash(m)
                lsh.insert(len(hashes), lm)
                hashes.append(lm)
    ids = []
    for doc_id, text in corpus.iter_docs(set_dir, limit):
        s = corpus.shingles(text, NGRAM)
        if not s:
            continue
        ids.append(doc_id)
        batch.append(list(s))
        if len(batch) == 10_000:
            flush()
            batch = []
        n += 1
    if batch:
        flush()
    if tool == "rensa":
        for i, cands in enumerate(lsh.query_all(hashes)):
            pairs.extend((i, j) for j in cands if j > i)
    else:
        for i, m in enumerate(hashes):
            pairs.extend((i, j) for j in lsh.query(m) if j > i)
    seconds = time.perf_counter() - t0
    clusters = clusters_from_pairs(len(ids), pairs)
    with open(out_path, "wb") as f:
        f.write(orjson.dumps({"seconds": seconds, "documents": n, "clusters": [[ids[i] for i in c] for c in clusters]}))


def clusters_from_pairs(n, pairs):
    parent = list(range(n))
    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def run_reference(tool, set_dir, limit, tmp, seed=1):
    out = os.path.join(tmp, f"{tool}-{seed}.json")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", tool, "--set", set_dir, "--out", out, "--seed", str(seed)]
    if limit:
        cmd += ["--limit", str(limit)]
    wall, rss, cpu, _ = child_rss_mib(cmd)
    with open(out, "rb") as f:
        r = orjson.loads(f.read())
    r["rss"] = rss
    r["wall"] = wall
    r["cpu"] = cpu
    return r


# --- scoring --------------------------------------------------------------------------------------
def cluster_pairs(clusters, allowed=None):
    out = set()
    for c in clusters:
        c = sorted(x for x in c if allowed is None or x in allowed)
        for i in range(len(c)):
            for j in range(i + 1, len(c)):
                out.add((c[i], c[j]))
    return out


def score(found_by_tool, set_dir, limit):
    allowed = None
    if limit:
        allowed = {doc_id for doc_id, _ in corpus.iter_docs(set_dir, limit)}
    candidates = set()
    with open(os.path.join(set_dir, "groups.jsonl"), "rb") as f:
        for line in f:
            g = [x for x in orjson.loads(line) if allowed is None or x in allowed]
            candidates |= cluster_pairs([g])
    found = {t: cluster_pairs(c, allowed) for t, c in found_by_tool.items()}
    for s in found.values():
        candidates |= s
    needed = {x for p in candidates for x in p}
    sh = {doc_id: corpus.shingles(text, NGRAM) for doc_id, text in corpus.iter_docs(set_dir, limit) if doc_id in needed}
    truth = {p for p in candidates if corpus.jaccard(sh[p[0]], sh[p[1]]) >= 0.8}
    result = {}
    for t, s in found.items():
        tp = len(s & truth)
        p = tp / len(s) if s else 1.0
        r = tp / len(truth) if truth else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        result[t] = {"precision": p, "recall": r, "f1": f1, "pairs": len(s)}
    return result, len(truth)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice")
    ap.add_argument("--out")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--sets", default="edits5-30,edits1-5")
    ap.add_argument("--data", default=os.environ.get("SLUICE_BENCH_DATA", os.path.join(tempfile.gettempdir(), "sluice-bench-dedup")))
    ap.add_argument("--reference-limit", type=int, default=100_000, help="documents the references get on larger sets")
    ap.add_argument("--rensa-limit", type=int, default=200_000, help="documents rensa gets on larger sets")
    ap.add_argument("--repeats", type=int, default=3, help="sluice runs per set of at most 100k documents (median)")
    ap.add_argument("--worker")
    ap.add_argument("--set")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", default="1,2,3,4,5", help="seeds every tool's quality is scored over (the first is the timed runs' seed)")
    a = ap.parse_args()
    if a.worker:
        reference_worker(a.worker, a.set, a.limit, a.out, a.seed)
        return
    rows = []
    for size in [int(s) for s in a.sizes.split(",")]:
        for name in a.sets.split(","):
            low, high = EDIT_SETS[name]
            set_dir = os.path.join(a.data, f"{human(size)}-{name}")
            if not os.path.exists(os.path.join(set_dir, "meta.json")):
                print(f"building {set_dir}", file=sys.stderr)
                corpus.build(set_dir, size, low, high, seed=1234, files=8)
            out_dir = os.path.join(a.data, f"out-{human(size)}-{name}")
            runs = [run_sluice(a.sluice, set_dir, out_dir) for _ in range(a.repeats if size <= 100_000 else 1)]
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            ref_limit = None if size <= a.reference_limit else a.reference_limit
            # Quality is scored on the documents every tool saw, for every tool and mode over each
            # seed: on larger sets everything runs again on the references' subset (clusters of the
            # full run chain through documents outside it).
            seeds = [int(x) for x in a.seeds.split(",")]
            quality_dir = write_subset(set_dir, ref_limit) if ref_limit else set_dir
            verified_docs = ref_limit or size
            found, extra = {}, {}
            for seed in seeds:
                for mode in (DEFAULT_MODE,) + tuple(m for m, _ in OTHER_MODES):
                    if mode == DEFAULT_MODE and seed == seeds[0] and not ref_limit:
                        mode_out = out_dir  # the last timed run
                    else:
                        mode_out = f"{out_dir}-q-{mode}-{seed}"
                        m_seconds, m_rss, _ = run_sluice(a.sluice, quality_dir, mode_out, extra=f", verify: {mode}, seed: {seed}")
                        extra[(mode, seed)] = (m_seconds, m_rss)
                    found[("sluice_" + mode, seed)] = sluice_clusters(mode_out)
                    if mode_out != out_dir:
                        subprocess.run(["rm", "-rf", mode_out], check=True)
            rensa_limit = None if size <= a.rensa_limit else a.rensa_limit
            refs = {}
            with tempfile.TemporaryDirectory() as tmp:
                for seed in seeds:
                    for tool in ("rensa", "datasketch"):
                        r = run_reference(tool, quality_dir, None, tmp, seed)
                        found[(tool, seed)] = r["clusters"]
                        refs[(tool, seed)] = r
                # Speed and memory of the references on the full set (default seed): on 100k sets the
                # quality runs above; on larger ones rensa on the first `--rensa-limit` documents and
                # datasketch on the first `--reference-limit`.
                rensa = refs[("rensa", seeds[0])] if not ref_limit else run_reference("rensa", set_dir, rensa_limit, tmp)
                ds = refs[("datasketch", seeds[0])]
            quality, truth = score(found, set_dir, ref_limit)

            def stats(tool):
                per = [quality[(tool, seed)] for seed in seeds]
                mean = {k: statistics.mean(x[k] for x in per) for k in ("precision", "recall", "f1", "pairs")}
                spread = ", ".join(f"seed {seed}: P {x['precision']:.3f} R {x['recall']:.4f} F1 {x['f1']:.3f} ({x['pairs']} pairs)"
                                   for seed, x in zip(seeds, per))
                rng = {k: (min(x[k] for x in per), max(x[k] for x in per)) for k in ("precision", "recall", "f1")}
                return mean, rng, spread

            label = f"minhash_dedup {human(size)} docs, {name.replace('edits', '').replace('-', '–')} % edits"
            ours_dps = size / seconds
            subset = f" (references on the first {ref_limit:,} docs; rensa on {rensa['documents']:,})" if ref_limit else ""
            load = os.getloadavg()[0]
            common = (f"14x8 bands, 5-word shingles, sluice verify: {DEFAULT_MODE} (default); sluice 2 workers end to end (JSONL in, JSONL.zst out), median of {len(runs)}{subset}; "
                      f"per CPU-second: sluice {size / cpu:,.0f}, rensa {rensa['documents'] / rensa['cpu']:,.0f}, datasketch {ds['documents'] / ds['cpu']:,.0f} docs; "
                      f"load average {load:.1f} on {os.cpu_count()} cores")
            rows.append({"benchmark": label, "metric": "docs/s", "sluice": round(ours_dps), "reference": round(rensa["documents"] / rensa["seconds"]),
                         "reference_tool": "rensa 0.5.0", "higher_is_better": True, "notes": common})
            rows.append({"benchmark": label, "metric": "docs/s", "sluice": round(ours_dps), "reference": round(ds["documents"] / ds["seconds"]),
                         "reference_tool": "datasketch 2.0.0", "higher_is_better": True, "notes": common})
            rows.append({"benchmark": label, "metric": "peak RSS MiB", "sluice": round(rss), "reference": round(rensa["rss"]),
                         "reference_tool": "rensa 0.5.0", "higher_is_better": False,
                         "notes": f"datasketch {round(ds['rss'])} MiB on {ds['documents']:,} docs"})
            scored = f"scored on the first {ref_limit:,} docs" if ref_limit else f"scored on all {size:,} docs"
            seed_note = f"mean over seeds {a.seeds} ({scored}; sluice seed, datasketch MinHash seed, rensa seed)"
            ours_q, ours_rng, ours_spread = stats("sluice_" + DEFAULT_MODE)
            for tool, ver in (("datasketch", "datasketch 2.0.0"), ("rensa", "rensa 0.5.0")):
                ref_q, ref_rng, ref_spread = stats(tool)
                for metric in ("f1", "precision", "recall"):
                    if metric != "f1" and tool != "datasketch":
                        continue
                    rows.append({"benchmark": label, "metric": {"f1": "F1", "precision": "precision", "recall": "recall"}[metric] + " vs exact J>=0.8",
                                 "sluice": round(ours_q[metric], 4), "reference": round(ref_q[metric], 4),
                                 "reference_tool": ver, "higher_is_better": True,
                                 "notes": f"{truth} true pairs; {seed_note}; sluice (verify: {DEFAULT_MODE}, default) {metric} min-max "
                                          f"{ours_rng[metric][0]:.4f}-{ours_rng[metric][1]:.4f}, {tool} {ref_rng[metric][0]:.4f}-{ref_rng[metric][1]:.4f}; "
                                          f"sluice {ours_spread}; {tool} {ref_spread}"})
            dsq, _, _ = stats("datasketch")
            for mode, what in OTHER_MODES:
                v, v_rng, v_spread = stats("sluice_" + mode)
                m_seconds, m_rss = extra[(mode, seeds[0])]
                rows.append({"benchmark": f"{label}, verify: {mode}", "metric": "F1 vs exact J>=0.8", "sluice": round(v["f1"], 4), "reference": round(dsq["f1"], 4),
                             "reference_tool": "datasketch 2.0.0", "higher_is_better": True,
                             "notes": f"sluice verify: {mode} ({what}); {seed_note}: P {v['precision']:.3f} R {v['recall']:.4f}, F1 min-max {v_rng['f1'][0]:.4f}-{v_rng['f1'][1]:.4f}; "
                                      f"{v_spread}; {verified_docs / m_seconds:,.0f} docs/s on {verified_docs:,} docs (seed {seeds[0]}, one run), peak RSS {m_rss:.0f} MiB; "
                                      f"default verify: {DEFAULT_MODE} P {ours_q['precision']:.3f} R {ours_q['recall']:.4f}; "
                                      f"datasketch P {dsq['precision']:.3f} R {dsq['recall']:.4f}"})
            print(json.dumps(rows[-9:], indent=1), file=sys.stderr)
    for r in rows:
        if r["higher_is_better"]:
            r["ratio"] = round(r["sluice"] / r["reference"], 3) if r["reference"] else None
        else:
            r["ratio"] = round(r["reference"] / r["sluice"], 3) if r["sluice"] else None
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
