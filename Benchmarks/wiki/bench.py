#!/usr/bin/env python3
"""Wikipedia dump → plain text: `sluice run` (wikipedia reader: bz2 + libxml2 + wikitext converter)
against mwxml + mwparserfromhell.strip_code() on the same bz2 dumps, in one run.

Both sides decode the bzip2 dump, parse the XML, keep namespace 0 without redirects and convert the
latest revision's wikitext to plain text; sluice also writes JSONL (uncompressed), the reference
writes nothing. Rates use the same page count and wikitext size (UTF-8 bytes of the converted
pages, measured on the reference side) for both tools.

Then, per dump of the corpus (quality.py): mean token F1 of the reader's text against strip_code() on
the held-out half of the pages (the converter's prose rules were tuned on the other half), with the
pages each side leaves empty.

Usage: bench.py --sluice PATH --out rows.json [--corpus DIR] [--runs 3]
"""
import argparse
import bz2
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality  # noqa: E402

DUMPS = [
    "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "ukwiki-pages-articles-excerpt.xml.bz2",
]


def reference(paths):
    import mwparserfromhell
    import mwxml

    pages = 0
    wikitext_bytes = 0
    out_bytes = 0
    start = time.perf_counter()
    cpu = time.process_time()
    for path in paths:
        with bz2.open(path, "rb") as f:
            dump = mwxml.Dump.from_file(f)
            for page in dump:
                text = None
                for revision in page:  # the last revision is the latest
                    text = revision.text
                if page.redirect or page.namespace != 0 or text is None:
                    continue
                pages += 1
                wikitext_bytes += len(text.encode("utf-8"))
                out_bytes += len(mwparserfromhell.parse(text).strip_code())
    return time.perf_counter() - start, pages, wikitext_bytes, time.process_time() - cpu


def sluice(binary, paths, workdir, threads=0):
    pipeline = os.path.join(workdir, "wiki-bench.yaml")
    out = os.path.join(workdir, "out")
    with open(pipeline, "w") as f:
        f.write("input:\n  paths: [%s]\n  reader: wikipedia\n" % ", ".join(json.dumps(p) for p in paths))
        f.write("output: %s\ntasks: %d\nstages:\n  - write: {compression: none}\n" % (json.dumps(out), len(paths)))
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([binary, "run", pipeline, "--workers", "1", "--set", "wikipedia.decode_threads=%d" % threads],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    docs = 0
    for name in os.listdir(out):
        if name.endswith(".jsonl"):
            with open(os.path.join(out, name), "rb") as f:
                docs += sum(1 for _ in f)
    return seconds, docs, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--out", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus", "wiki"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paths = [os.path.abspath(os.path.join(args.corpus, d)) for d in DUMPS]
    dump_bytes = sum(os.path.getsize(p) for p in paths)
    import mwparserfromhell
    import mwxml

    load_before = os.getloadavg()[0]
    ref_seconds, pages, wikitext, ref_cpu = reference(paths)
    with tempfile.TemporaryDirectory() as workdir:
        runs = [sluice(args.sluice, paths, workdir) for _ in range(args.runs)]
        single = [sluice(args.sluice, paths, workdir, threads=1) for _ in range(args.runs)]
    load = "load average %.1f before, %.1f after the timed runs (2 cores shared with other work)" % (
        load_before, os.getloadavg()[0])
    ours = statistics.median(r[0] for r in runs)
    ours1 = statistics.median(r[0] for r in single)
    ours_cpu = statistics.median(r[2] for r in single)
    docs = runs[0][1]
    tool = "mwxml %s + mwparserfromhell %s" % (
        getattr(mwxml, "__version__", "?"), mwparserfromhell.__version__)
    notes = "%d pages (%d sluice documents after dropping empty ones), %.1f MB of wikitext, %.1f MB of .bz2; " \
        "one worker; sluice uses %d threads per dump (decode_threads: 0: %d decoding bz2 blocks with its own decoder while " \
        "the reading thread parses) unless the row says 1 thread (decode and parse on one), the reference 1; " \
        "sluice also writes JSONL; sluice median of %d runs, reference 1 run; %s" % (
            pages, docs, wikitext / 1e6, dump_bytes / 1e6, os.cpu_count() or 1, max(1, (os.cpu_count() or 1) - 1), args.runs,
            load)
    rows = [
        {"benchmark": "wikipedia dump → text (bz2 + XML + wikitext)", "metric": "MB/s of wikitext",
         "sluice": wikitext / 1e6 / ours, "reference": wikitext / 1e6 / ref_seconds, "reference_tool": tool,
         "ratio": ref_seconds / ours, "higher_is_better": True, "notes": notes},
        {"benchmark": "wikipedia dump → text (bz2 + XML + wikitext), 1 thread", "metric": "MB/s of wikitext",
         "sluice": wikitext / 1e6 / ours1, "reference": wikitext / 1e6 / ref_seconds, "reference_tool": tool,
         "ratio": ref_seconds / ours1, "higher_is_better": True, "notes": notes},
        {"benchmark": "wikipedia dump → text (bz2 + XML + wikitext), 1 thread", "metric": "MB of wikitext per CPU second",
         "sluice": wikitext / 1e6 / ours_cpu, "reference": wikitext / 1e6 / ref_cpu, "reference_tool": tool,
         "ratio": ref_cpu / ours_cpu, "higher_is_better": True,
         "notes": notes + "; user+system CPU time, which a busy machine disturbs less than wall time"},
        {"benchmark": "wikipedia dump → text (bz2 + XML + wikitext)", "metric": "pages/s",
         "sluice": pages / ours, "reference": pages / ref_seconds, "reference_tool": tool,
         "ratio": ref_seconds / ours, "higher_is_better": True, "notes": notes},
    ]
    for q in quality.score(args.sluice, os.path.abspath(args.corpus)):
        rows.append({
            "benchmark": "wikipedia text vs strip_code(): %s" % q["dump"].split("-pages")[0].split("-latest")[0]
                         .replace(".xml.bz2", ""),
            "metric": "token F1, held-out half", "sluice": q["f1_held_out"], "reference": 1.0,
            "reference_tool": "mwparserfromhell %s strip_code() (the reference text itself)" % mwparserfromhell.__version__,
            "ratio": q["f1_held_out"], "higher_is_better": True,
            "empty_sluice": q["empty_sluice"], "empty_reference": q["empty_reference"],
            "notes": "%d article pages (%d held out, page split by a fixed-seed hash); F1 %.3f on the tuning half, "
                     "%.3f on all; empty pages: sluice %d, strip_code %d (%d empty only in sluice); bag of tokens "
                     "(letters, digits and marks; each CJK character one token); a page empty on both sides scores 1" % (
                         q["pages"], q["pages_held_out"], q["f1_tune"], q["f1"], q["empty_sluice"],
                         q["empty_reference"], q["empty_sluice_only"]),
        })
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=2)
    for r in rows:
        print("%-48s %-18s sluice %10.2f  ref %8.2f  ratio %6.1fx" % (
            r["benchmark"], r["metric"], r["sluice"], r["reference"], r["ratio"]), file=sys.stderr)


if __name__ == "__main__":
    main()
