#!/usr/bin/env python3
"""The whole cleaning pipeline against datatrove's FineWeb pipeline, end to end, on the same WARC files.

Both read ../shared/corpus/warc/crawl/*.warc.gz (5 files, one gzip member per record) and run the
FineWeb recipe as each tool ships it, with the same number of tasks (one per file) and workers (2):

* datatrove 0.10.1: WarcReader → Trafilatura(favour_precision, timeout 1 s) → LanguageFilter(en, 0.65) → GopherRepetitionFilter →
  GopherQualityFilter → C4QualityFilter(filter_no_terminal_punct=False) → FineWebQualityFilter →
  JsonlWriter, then its four MinHash stages (MinhashConfig() defaults: 5-grams, 14 buckets × 8
  hashes; signatures, buckets, clusters, filter) on LocalPipelineExecutor;
* sluice: one `sluice run` of warc → extract → language (en, 0.65) → gopher_repetition → gopher_quality → c4 (the same
  option) → fineweb → minhash_dedup {preset: fineweb} → write, its defaults otherwise.

Both language filters use the same fastText model, Fixtures/models/lid.176.ftz (datatrove would download
lid.176.bin; it is given the local file). Left out on both sides: FineWeb's URLFilter (tldextract fetches
the suffix list).

Rows: wall time, CPU seconds per GB of WARC (user + sys of the whole process tree: every worker
is a child the harness waits for), peak RSS (the largest single process; the tree is
sampled from /proc every 50 ms; the median of the runs' peaks, with their spread), documents and words
kept (whitespace-separated words of the kept texts, the same count for both) and the overlap of
the kept sets by URL (Jaccard). Times: the median of `--repeats` sluice runs and
`--reference-repeats` datatrove runs.

Usage: bench.py --sluice PATH --out rows.json [--repeats 3] [--reference-repeats 1]
"""
import argparse, glob, gzip, io, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
WORKERS = 2

SLUICE_PIPELINE = """input:
  paths: {paths}
  reader: warc
output: {out}
tasks: {tasks}
stages:
  - extract: {{}}
  - language: {{languages: [en], threshold: 0.65}}
  - gopher_repetition: {{}}
  - gopher_quality: {{}}
  - c4: {{preset: paper, filter_no_terminal_punct: false}}
  - fineweb: {{}}
  - minhash_dedup: {{preset: fineweb}}
  - write: {{compression: zstd}}
"""


def datatrove_main(files, out, tasks):
    """Runs datatrove's FineWeb pipeline (this process is the child the harness measures)."""
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader, WarcReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    folder = os.path.dirname(files[0])
    names = [os.path.basename(f) for f in files]
    paths_file = os.path.join(out, "paths.txt")
    os.makedirs(out, exist_ok=True)
    with open(paths_file, "w") as f:
        f.write("\n".join(names) + "\n")
    config = MinhashConfig()
    logs = os.path.join(out, "logs")
    from datatrove.pipeline.filters import LanguageFilter

    language = LanguageFilter(languages=["en"], language_threshold=0.65)
    # The model file Sluice ships instead of the lid.176.bin download (same labels, quantized).
    language.model.MODEL_URL = os.path.join(os.path.dirname(os.path.dirname(HERE)), "Fixtures", "models", "lid.176.ftz")
    steps = [
        ([WarcReader(folder, paths_file=paths_file), Trafilatura(favour_precision=True, timeout=1.0), language,
          GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False),
          FineWebQualityFilter(), JsonlWriter(os.path.join(out, "filtered"))], tasks),
        ([JsonlReader(os.path.join(out, "filtered")),
          MinhashDedupSignature(output_folder=os.path.join(out, "signatures"), config=config)], tasks),
        ([MinhashDedupBuckets(input_folder=os.path.join(out, "signatures"), output_folder=os.path.join(out, "buckets"),
                              config=config)], config.num_buckets),
        ([MinhashDedupCluster(input_folder=os.path.join(out, "buckets"), output_folder=os.path.join(out, "remove_ids"),
                              config=config)], 1),
        ([JsonlReader(os.path.join(out, "filtered")), MinhashDedupFilter(input_folder=os.path.join(out, "remove_ids")),
          JsonlWriter(os.path.join(out, "deduped"))], tasks),
    ]
    for i, (pipeline, n) in enumerate(steps):
        LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=min(WORKERS, n),
                              logging_dir=os.path.join(logs, str(i))).run()


CLOCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_table():
    """pid → (parent pid, start time, CPU seconds, RSS bytes) of every process, from /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state ppid … utime (12) stime (13) … starttime (20) vsize rss (22).
        table[int(name)] = (int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / CLOCK,
                            int(fields[21]) * PAGE)
    return table


def measured(args):
    """Wall seconds, CPU seconds of the whole process tree and peak RSS (MiB) of its largest process.

    The tree is sampled from /proc every 50 ms (a pool's workers are not always reaped by their
    parent, so rusage of children alone misses them); the rusage of reaped children is the floor.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = {}  # (pid, start time) → (CPU seconds, RSS bytes), the largest observed
    while proc.poll() is None:
        table = proc_table()
        tree, frontier = set(), {proc.pid}
        while frontier:
            tree |= frontier
            frontier = {pid for pid, row in table.items() if row[0] in frontier and pid not in tree}
        for pid in tree:
            if pid in table:
                _, start, cpu, rss = table[pid]
                old = seen.get((pid, start), (0.0, 0))
                seen[(pid, start)] = (max(old[0], cpu), max(old[1], rss))
        time.sleep(0.05)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sampled = sum(cpu for cpu, _ in seen.values())
    peak = max((rss for _, rss in seen.values()), default=0) / 2**20
    return wall, max(reaped, sampled), peak


def read_jsonl(paths):
    import zstandard
    for p in paths:
        with open(p, "rb") as raw:
            if p.endswith(".zst"):
                stream = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8")
            elif p.endswith(".gz"):
                stream = io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8")
            else:
                stream = io.TextIOWrapper(raw, encoding="utf-8")
            for line in stream:
                if line.strip():
                    yield json.loads(line)


def kept(docs):
    urls, tokens, n = set(), 0, 0
    for d in docs:
        n += 1
        tokens += len(d["text"].split())
        urls.add((d.get("metadata") or {}).get("url") or d["id"])
    return n, tokens, urls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=3, help="sluice runs (median)")
    ap.add_argument("--reference-repeats", type=int, default=1,
                    help="datatrove runs (median; one takes about 200 CPU seconds on the 67 MB crawl)")
    ap.add_argument("--datatrove-worker", nargs="*")
    a = ap.parse_args()
    if a.datatrove_worker is not None:
        out, tasks, *files = a.datatrove_worker
        datatrove_main(files, out, int(tasks))
        return
    files = sorted(glob.glob(os.path.join(CORPUS, "warc", "crawl", "*.warc.gz")))
    if not files:
        print(f"no WARC files under {CORPUS}/warc/crawl", file=sys.stderr)
        sys.exit(1)
    gb = sum(os.path.getsize(f) for f in files) / 1e9
    tasks = len(files)
    work = tempfile.mkdtemp(prefix="sluice-bench-pipeline-")
    try:
        ours, theirs = [], []
        s_out = os.path.join(work, "sluice")
        yaml = os.path.join(work, "pipeline.yaml")
        with open(yaml, "w") as f:
            f.write(SLUICE_PIPELINE.format(paths=json.dumps(files), out=s_out, tasks=tasks))
        for _ in range(a.repeats):
            shutil.rmtree(s_out, ignore_errors=True)
            ours.append(measured([a.sluice, "run", yaml, "--workers", str(WORKERS)]))
        d_out = os.path.join(work, "datatrove")
        for _ in range(a.reference_repeats):
            shutil.rmtree(d_out, ignore_errors=True)
            theirs.append(measured([sys.executable, os.path.abspath(__file__), "--sluice", a.sluice, "--out", "-",
                                    "--datatrove-worker", d_out, str(tasks)] + files))
        s_docs, s_tokens, s_urls = kept(read_jsonl(sorted(glob.glob(os.path.join(s_out, "*.jsonl*")))))
        d_docs, d_tokens, d_urls = kept(read_jsonl(sorted(glob.glob(os.path.join(d_out, "deduped", "*.jsonl*")))))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = lambda runs, i: statistics.median(r[i] for r in runs)
    # Peak RSS, like the times, is the median over runs: which tasks overlap (and so whose memory
    # adds up) changes from run to run. The spread goes into the note.
    s_wall, s_cpu, s_rss = med(ours, 0), med(ours, 1), med(ours, 2)
    d_wall, d_cpu, d_rss = med(theirs, 0), med(theirs, 1), med(theirs, 2)
    spread = lambda runs: f"{min(r[2] for r in runs):.0f}–{max(r[2] for r in runs):.0f}"
    overlap = len(s_urls & d_urls) / max(1, len(s_urls | d_urls))
    load = os.getloadavg()[0]
    tool = "datatrove 0.10.1 FineWeb pipeline"
    common = (f"{len(files)} WARC files, {gb * 1000:.1f} MB; {tasks} tasks on {WORKERS} workers each; median of {a.repeats} (datatrove {a.reference_repeats}); "
              f"load average {load:.1f} on {os.cpu_count()} cores; no URL filter; language filter on both sides (lid.176.ftz, en above 0.65)")
    label = "pipeline: WARC → extract → language → Gopher → C4 → FineWeb → MinHash → JSONL"
    kept_note = (f"kept: sluice {s_docs:,} documents, {s_tokens:,} words; datatrove {d_docs:,} documents, "
                 f"{d_tokens:,} words; kept sets overlap by URL (Jaccard) {overlap:.3f}: {len(s_urls & d_urls)} both, "
                 f"{len(s_urls - d_urls)} sluice only, {len(d_urls - s_urls)} datatrove only")
    rows = [
        {"benchmark": label, "metric": "wall s", "sluice": round(s_wall, 2), "reference": round(d_wall, 2),
         "higher_is_better": False, "notes": common + "; " + kept_note},
        {"benchmark": label, "metric": "CPU s per GB of WARC", "sluice": round(s_cpu / gb, 1),
         "reference": round(d_cpu / gb, 1), "higher_is_better": False,
         "notes": common + "; user + sys of the whole process tree; goal 20x"},
        {"benchmark": label, "metric": "peak RSS MiB", "sluice": round(s_rss), "reference": round(d_rss),
         "higher_is_better": False,
         "notes": f"largest single process (datatrove runs a process per worker); median of {a.repeats} runs' peaks "
                  f"(datatrove {a.reference_repeats}), sampled every 50 ms; sluice {spread(ours)} MiB, "
                  f"datatrove {spread(theirs)} MiB"},
    ]
    for r in rows:
        r["reference_tool"] = tool
        r["ratio"] = round(r["reference"] / r["sluice"], 3) if r["sluice"] else None
    print(json.dumps(rows, indent=1), file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
