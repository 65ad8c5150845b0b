#!/usr/bin/env python3
"""Keeping dropped documents for audit (against the same run without), and `sluice report` on 1M documents.

1. Audit overhead on the cleaning pipeline: the documents of the clean benchmark (dolma CC
   documents plus English book/wiki text cut into documents, ../shared/corpus/text), repeated
   `--copies` times with distinct ids, through gopher_repetition → gopher_quality → c4 → fineweb →
   write, one `sluice run` each: without `dropped:`, with `dropped: {}` (every drop kept) and with
   `dropped: {sample: 0.1}`. Rows: seconds with drops kept against the same run without
   (ratio = plain / kept: 1 means keeping drops costs nothing). Then datatrove 0.10.1's same filter
   chain (JsonlReader → the four filters → JsonlWriter, LocalPipelineExecutor with 4 tasks on 2
   workers, as Sluice) without and with an `exclusion_writer` on every filter, which is how
   datatrove keeps drops: a row of seconds keeping every drop, and a row of the two slowdowns.
   (An earlier session saw it "hang" at 0 % CPU: the executor's main process only waits; the work
   is done by the pool's workers, children of multiprocess's forkserver rather than of the main
   process, which on the loaded machine got a few % of a core each. The harness also read the
   child's stderr pipe only after waiting, which blocks any child that logs over 64 KiB; datatrove
   logged 7.5 KB here, so stderr now goes to a file and each run has a deadline instead.)
   `--without-datatrove` skips them.
2. Report generation on a run of 1M documents: `sluice run` of 1M short JSONL documents through
   `length` (a quarter dropped, every drop kept), then `sluice report` on its folder: seconds
   and the report process's peak RSS. The reference figure is the run itself (ratio: how many
   times faster the report is than the run it describes); there is no reference tool for the page.

Times are medians of `--repeats` Sluice runs and `--reference-repeats` datatrove runs.
Usage: bench.py --sluice PATH --out rows.json [--copies 4] [--repeats 3] [--reference-repeats 1]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKERS = 2

PIPELINE = """input: {input}
output: {out}
tasks: {tasks}
workers: {workers}
{dropped}stages:
  - gopher_repetition: {{}}
  - gopher_quality: {{}}
  - c4: {{preset: paper, filter_no_terminal_punct: false}}
  - fineweb: {{}}
  - write: {{compression: zstd}}
"""


def timed(cmd, timeout=3600, **kw):
    """Wall seconds and peak RSS (KiB) of one child process.

    stderr goes to a file, not a pipe: a pipe nobody reads while we wait fills at 64 KiB and
    would block the child for ever; `timeout` bounds a run that never ends.
    """
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, **kw)
        while True:  # this child's own rusage (peak RSS), with a deadline
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.perf_counter() - t0 > timeout:
                p.kill()
                raise SystemExit(f"{' '.join(cmd)} did not finish in {timeout} s")
            time.sleep(0.002)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {text[-2000:]}")
    return seconds, usage.ru_maxrss


def write_inputs(docs, copies, folder, files):
    os.makedirs(folder, exist_ok=True)
    handles = [open(os.path.join(folder, f"part-{i}.jsonl"), "w", encoding="utf-8") for i in range(files)]
    n = 0
    for c in range(copies):
        for i, t in enumerate(docs):
            handles[n % files].write(json.dumps({"id": f"{c}-{i}", "text": t}) + "\n")
            n += 1
    for h in handles:
        h.close()
    return n


def sluice_runs(sluice, folder, work, repeats):
    """Median wall seconds of the clean pipeline: plain, every drop kept, 10 % kept."""
    variants = {"plain": "", "all": "dropped: {}\n", "sample": "dropped: {sample: 0.1}\n"}
    times = {k: [] for k in variants}
    kept_bytes = {}
    for r in range(repeats):
        for name, dropped in variants.items():
            out = os.path.join(work, f"sl-{name}")
            shutil.rmtree(out, ignore_errors=True)
            path = os.path.join(work, f"sl-{name}.yaml")
            with open(path, "w") as f:
                f.write(PIPELINE.format(input=json.dumps(folder + "/*.jsonl"), out=out, tasks=4, workers=WORKERS,
                                        dropped=dropped))
            s, _ = timed([sluice, "run", path], env={**os.environ, "SLUICE_NO_PROGRESS": "1"})
            times[name].append(s)
            d = os.path.join(out, "dropped")
            kept_bytes[name] = sum(os.path.getsize(os.path.join(a, f)) for a, _, fs in os.walk(d) for f in fs)
    return {k: statistics.median(v) for k, v in times.items()}, kept_bytes


DATATROVE = r"""
import os, sys
from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
def ex(out, audit, name):
    return JsonlWriter(os.path.join(out, "removed", name)) if audit else None
if __name__ == "__main__":  # the executor's worker processes import this file again
    src, out, audit = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    pipeline = [JsonlReader(src), GopherRepetitionFilter(exclusion_writer=ex(out, audit, "gopher_repetition")),
                GopherQualityFilter(exclusion_writer=ex(out, audit, "gopher_quality")),
                C4QualityFilter(filter_no_terminal_punct=False, exclusion_writer=ex(out, audit, "c4")),
                FineWebQualityFilter(exclusion_writer=ex(out, audit, "fineweb")), JsonlWriter(os.path.join(out, "kept"))]
    LocalPipelineExecutor(pipeline=pipeline, tasks=4, workers=2, logging_dir=os.path.join(out, "logs")).run()
"""


def datatrove_runs(folder, work, repeats):
    """Median wall seconds of datatrove's chain without and with exclusion writers, and the bytes
    of the removed documents it kept."""
    script = os.path.join(work, "dt.py")
    with open(script, "w") as f:
        f.write(DATATROVE)
    times = {"plain": [], "all": []}
    kept_bytes = 0
    for _ in range(repeats):
        for name, audit in [("plain", "0"), ("all", "1")]:
            out = os.path.join(work, f"dt-{name}")
            shutil.rmtree(out, ignore_errors=True)
            s, _ = timed([sys.executable, script, folder, out, audit])
            times[name].append(s)
            if audit == "1":
                d = os.path.join(out, "removed")
                kept_bytes = sum(os.path.getsize(os.path.join(a, f)) for a, _, fs in os.walk(d) for f in fs)
    return {k: statistics.median(v) for k, v in times.items()}, kept_bytes


def report_rows(sluice, work, documents):
    """1M short documents through `length`, every drop kept, then `sluice report`."""
    folder = os.path.join(work, "million")
    os.makedirs(folder, exist_ok=True)
    words = "the quick brown fox jumps over the lazy dog while the cat sleeps on a warm mat".split()
    files = 8
    handles = [open(os.path.join(folder, f"part-{i}.jsonl"), "w") for i in range(files)]
    for i in range(documents):
        n = 3 + (i * 7919) % 12  # 3 … 14 words; fewer than 6 are dropped
        text = " ".join(words[(i + k) % len(words)] for k in range(n))
        handles[i % files].write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
    for h in handles:
        h.close()
    out = os.path.join(work, "million-out")
    path = os.path.join(work, "million.yaml")
    with open(path, "w") as f:
        f.write(f"input: {json.dumps(folder + '/*.jsonl')}\noutput: {out}\ntasks: {files}\nworkers: {WORKERS}\n"
                "dropped: {}\nstages:\n  - length: {min_words: 6}\n  - write: {}\n")
    run_s, _ = timed([sluice, "run", path], env={**os.environ, "SLUICE_NO_PROGRESS": "1"})
    times, rss = [], []
    for _ in range(3):
        s, kib = timed([sluice, "report", out])
        times.append(s)
        rss.append(kib)
    stats = json.loads(subprocess.run([sluice, "stats", out, "--json"], capture_output=True, text=True, check=True).stdout)
    dropped = sum(sum(s["drops"].values()) for p in stats["passes"] for s in p["stages"])
    report_s = statistics.median(times)
    page = os.path.getsize(os.path.join(out, "report", "index.html"))
    return [{
        "benchmark": f"sluice report on a run of {documents:,} documents ({dropped:,} dropped, all kept)",
        "metric": "seconds", "sluice": round(report_s, 2), "reference": round(run_s, 2),
        "reference_tool": "the sluice run it reports (no reference tool writes this page)",
        "ratio": round(run_s / report_s, 2), "higher_is_better": False,
        "notes": f"peak RSS {max(rss) / 1024:.0f} MiB; page {page / 1e6:.2f} MB; reads the stats and at most 50,000 "
                 f"documents of samples and outputs; median of 3; load average {os.getloadavg()[0]:.1f}",
    }]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus")))
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reference-repeats", type=int, default=1)
    ap.add_argument("--without-datatrove", dest="with_datatrove", action="store_false",
                    help="skip datatrove's exclusion writers (the reference rows)")
    ap.add_argument("--documents", type=int, default=1_000_000)
    args = ap.parse_args()
    # Benchmarks/clean/bench.py's documents, loaded by path (both files are called bench.py).
    import importlib.util
    spec = importlib.util.spec_from_file_location("clean_bench", os.path.join(ROOT, "Benchmarks", "clean", "bench.py"))
    clean = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clean)
    filter_documents = clean.filter_documents

    rows = []
    with tempfile.TemporaryDirectory(prefix="sluice-bench-report-") as work:
        docs = filter_documents(args.corpus)
        folder = os.path.join(work, "docs")
        n = write_inputs(docs, args.copies, folder, 4)
        mb = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 1e6
        sl, kept = sluice_runs(args.sluice, folder, work, args.repeats)
        dt, dt_kept = datatrove_runs(folder, work, args.reference_repeats) if args.with_datatrove else (None, 0)
        load = os.getloadavg()[0]
        common = (f"{n:,} docs, {mb:.1f} MB JSONL, gopher_repetition+gopher_quality+c4+fineweb, 4 tasks, 2 workers")
        for name, label in [("all", "every drop kept"), ("sample", "10 % of drops kept (by id hash)")]:
            rows.append({
                "benchmark": f"clean pipeline with dropped: {label}",
                "metric": "seconds", "sluice": round(sl[name], 3), "reference": round(sl["plain"], 3),
                "reference_tool": "the same sluice run without dropped:", "ratio": round(sl["plain"] / sl[name], 3),
                "higher_is_better": False,
                "notes": f"{common}; {kept[name] / 1e6:.2f} MB of samples; median of {args.repeats}; load average {load:.1f}",
            })
        if dt:
            # The same filters on the same files, every removed document kept: Sluice's `dropped: {}`
            # against datatrove's exclusion_writer on each filter (JSONL.gz), both with 4 tasks on 2 workers.
            slow, dt_slow = sl["all"] / sl["plain"], dt["all"] / dt["plain"]
            notes = (f"{common}; sluice {sl['plain']:.2f} s plain, {sl['all']:.2f} s keeping drops "
                     f"({kept['all'] / 1e6:.2f} MB zstd); datatrove {dt['plain']:.2f} s plain, {dt['all']:.2f} s with "
                     f"exclusion writers ({dt_kept / 1e6:.2f} MB gzip); median of {args.repeats} (datatrove "
                     f"{args.reference_repeats}); load average {load:.1f}")
            rows.append({
                "benchmark": "clean pipeline keeping every drop: dropped: {} vs exclusion_writer",
                "metric": "seconds", "sluice": round(sl["all"], 3), "reference": round(dt["all"], 3),
                "reference_tool": "datatrove 0.10.1 exclusion_writer on each filter", "ratio": round(dt["all"] / sl["all"], 3),
                "higher_is_better": False, "notes": notes,
            })
            rows.append({
                "benchmark": "cost of keeping every drop: time with / without",
                "metric": "slowdown", "sluice": round(slow, 3), "reference": round(dt_slow, 3),
                "reference_tool": "datatrove 0.10.1 exclusion_writer on each filter", "ratio": round(dt_slow / slow, 3),
                "higher_is_better": False, "notes": notes,
            })
        rows += report_rows(args.sluice, work, args.documents)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
