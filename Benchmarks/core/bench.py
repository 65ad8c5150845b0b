#!/usr/bin/env python3
"""Core benchmark: writing and reading ~200 MB of JSONL.zst documents.

Input: documents cut from the real texts in ../shared/corpus/text (Shakespeare, Botchan, Sōseki,
WikiText, Tatoeba in 40 languages, the UDHR in 49, Common Crawl text from dolma), repeated with new
ids until the JSONL passes 200 MB. Built once into a cache folder ($SLUICE_BENCH_CACHE or
/tmp/sluice-bench-cache).

- write: plain JSONL → parse every document → serialize → zstd level 3 with checksums.
  Sluice: `sluice stage write --input docs.jsonl`; reference: orjson.loads / orjson.dumps lines
  through zstandard.ZstdCompressor(level=3, write_checksum=True).stream_writer (lines joined in
  batches, the fastest way we found to drive it from Python).
- read: JSONL.zst → decompress → parse every document. Sluice: `sluice stage sample --set
  fraction=0` (reads and parses everything, keeps nothing, writes nothing); reference:
  zstandard stream_reader under io.BufferedReader, orjson.loads per line.
- round trip: write + read times summed, the figure the issue asks for.

Throughput is MB (10^6 bytes) of uncompressed JSONL per second, median of 3 runs, both per second
of wall-clock time and per CPU-second (user + system time of the process doing the work: the
sluice child process, or this Python process for the reference), since the machine may be shared.
Both sides are single-threaded (zstd without worker threads).
"""
import argparse
import glob
import hashlib
import io
import json
import resource
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import orjson
import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
CACHE = os.environ.get("SLUICE_BENCH_CACHE", os.path.join(tempfile.gettempdir(), "sluice-bench-cache"))
TARGET_BYTES = int(os.environ.get("SLUICE_BENCH_CORE_BYTES", 200_000_000))
RUNS = 3
VERSION = "v1"  # bump when the generated input changes


def chunks(text, target):
    """Cuts text at line ends into pieces of about `target` characters."""
    out, cur, size = [], [], 0
    for line in text.split("\n"):
        cur.append(line)
        size += len(line) + 1
        if size >= target:
            out.append("\n".join(cur).strip("\n"))
            cur, size = [], 0
    if cur and size > 50:
        out.append("\n".join(cur).strip("\n"))
    return [c for c in out if c.strip()]


def real_documents():
    """(source, text, metadata) for real texts of the corpus, in a fixed order."""
    text_dir = os.path.join(CORPUS, "text")
    docs = []
    sizes = [600, 2000, 5000, 12000]
    for k, name in enumerate(["tinyshakespeare.txt", "botchan.txt", "wagahaiwa_nekodearu.txt", "wikitext-2-valid.txt"]):
        with open(os.path.join(text_dir, name), encoding="utf-8") as f:
            text = f.read().replace("\r\n", "\n").lstrip("\ufeff")
        for j, c in enumerate(chunks(text, sizes[(k + 1) % len(sizes)])):
            docs.append((name.split(".")[0], c, {"chunk": j, "lang": "ja" if "wagahai" in name else "en"}))
    with open(os.path.join(text_dir, "tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    by_lang = {}
    for r in rows:
        if len(r) == 3:
            by_lang.setdefault(r[1], []).append(r[2])
    for lang in sorted(by_lang):
        sents = by_lang[lang]
        for j in range(0, len(sents), 25):
            docs.append(("tatoeba", "\n".join(sents[j : j + 25]), {"lang": lang, "first": j}))
    for path in sorted(glob.glob(os.path.join(text_dir, "udhr", "*.txt"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        name = os.path.basename(path)[:-4]
        for j, c in enumerate(chunks(text, 3000)):
            docs.append(("udhr", c, {"file": name, "chunk": j}))
    for path in sorted(glob.glob(os.path.join(text_dir, "dolma-*.jsonl"))):
        with open(path, "rb") as f:
            for line in f:
                d = orjson.loads(line)
                docs.append(("common-crawl", d["text"], {"url": d["id"], "language": d["metadata"].get("language", "")}))
    return docs


def build_input():
    """docs.jsonl of at least TARGET_BYTES, built once; returns its path."""
    folder = os.path.join(CACHE, f"core-{VERSION}-{TARGET_BYTES}")
    path = os.path.join(folder, "docs.jsonl")
    if os.path.exists(path + ".done"):
        return path
    os.makedirs(folder, exist_ok=True)
    docs = real_documents()
    if not docs:
        sys.exit(f"no texts found under {CORPUS}/text")
    written = 0
    n = 0
    with open(path, "wb") as f:
        while written < TARGET_BYTES:
            for source, text, meta in docs:
                d = {"id": f"{source}/{n}", "text": text, "source": source, "metadata": dict(meta, n=n)}
                line = orjson.dumps(d) + b"\n"
                f.write(line)
                written += len(line)
                n += 1
                if written >= TARGET_BYTES:
                    break
    open(path + ".done", "w").close()
    print(f"built {path}: {n} documents, {written / 1e6:.0f} MB", file=sys.stderr)
    return path


def timed(fn):
    """(wall seconds, CPU seconds of this process and its finished children) of fn()."""
    def cpu():
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    c0, w0 = cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, cpu() - c0


def run_sluice(sluice, args):
    proc = subprocess.run([sluice] + args, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"sluice {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")


def sluice_write(sluice, source, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    run_sluice(sluice, ["stage", "write", "--input", source, "--output", out_dir])


def sluice_read(sluice, source, out_dir):
    shutil.rmtree(out_dir, ignore_errors=True)
    run_sluice(sluice, ["stage", "sample", "--set", "fraction=0", "--input", source, "--output", out_dir])


def python_write(source, target):
    cctx = zstandard.ZstdCompressor(level=3, write_checksum=True)
    dumps, loads, opt = orjson.dumps, orjson.loads, orjson.OPT_APPEND_NEWLINE
    with open(source, "rb", buffering=1 << 20) as f, open(target, "wb") as fo:
        with cctx.stream_writer(fo, closefd=False) as w:
            batch = []
            for line in f:
                batch.append(dumps(loads(line), option=opt))
                if len(batch) == 1000:
                    w.write(b"".join(batch))
                    batch.clear()
            w.write(b"".join(batch))


def python_read(source):
    dctx = zstandard.ZstdDecompressor()
    loads = orjson.loads
    n = 0
    with open(source, "rb") as f:
        reader = io.BufferedReader(dctx.stream_reader(f, read_size=1 << 20), buffer_size=1 << 20)
        for line in reader:
            loads(line)
            n += 1
    return n


def digest_of_zst(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        reader = zstandard.ZstdDecompressor().stream_reader(f)
        while True:
            b = reader.read(1 << 22)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    source = build_input()
    size_mb = os.path.getsize(source) / 1e6
    work = tempfile.mkdtemp(prefix="sluice-core-bench-")
    try:
        ours_zst = os.path.join(work, "sluice", "00000.jsonl.zst")
        ref_zst = os.path.join(work, "ref.jsonl.zst")
        times = {"sw": [], "pw": [], "sr": [], "pr": []}
        for _ in range(RUNS):
            times["sw"].append(timed(lambda: sluice_write(args.sluice, source, os.path.join(work, "sluice"))))
            times["pw"].append(timed(lambda: python_write(source, ref_zst)))
        if not os.path.exists(ours_zst):
            sys.exit(f"sluice wrote no {ours_zst}")
        for _ in range(RUNS):
            times["sr"].append(timed(lambda: sluice_read(args.sluice, ours_zst, os.path.join(work, "read"))))
            times["pr"].append(timed(lambda: python_read(ref_zst)))
        wall = {k: statistics.median(t[0] for t in v) for k, v in times.items()}
        cpu = {k: statistics.median(t[1] for t in v) for k, v in times.items()}
        same = digest_of_zst(ours_zst) == digest_of_zst(ref_zst)
        ours_size = os.path.getsize(ours_zst) / 1e6
        ref_size = os.path.getsize(ref_zst) / 1e6
    finally:
        shutil.rmtree(work, ignore_errors=True)

    tool = f"zstandard {zstandard.__version__} + orjson {orjson.__version__}"
    common = f"{size_mb:.0f} MB JSONL from shared/corpus/text; median of {RUNS}"

    def row(name, clock, ours_s, ref_s, notes):
        ours, ref = size_mb / ours_s, size_mb / ref_s
        return {
            "benchmark": f"{name} ({clock})", "metric": "MB/s" if clock == "wall clock" else "MB/CPU-s",
            "sluice": round(ours, 1), "reference": round(ref, 1),
            "reference_tool": tool, "ratio": round(ours / ref, 3), "higher_is_better": True,
            "notes": f"{common}; {notes}",
        }

    write_notes = (
        f"outputs {'byte-identical after decompression' if same else 'DIFFER after decompression'}; "
        f"zst {ours_size:.1f} MB vs {ref_size:.1f} MB; sluice `stage write`, process start included"
    )
    read_notes = "sluice `stage sample --set fraction=0` (reads and parses all, keeps none)"
    rows = []
    for clock, t in (("wall clock", wall), ("CPU time", cpu)):
        rows += [
            row("JSONL → JSONL.zst write (parse, serialize, zstd 3)", clock, t["sw"], t["pw"], write_notes),
            row("JSONL.zst read (zstd, parse every document)", clock, t["sr"], t["pr"], read_notes),
            row("JSONL.zst round trip (write + read)", clock, t["sw"] + t["sr"], t["pw"] + t["pr"],
                "sum of the two medians above"),
        ]
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1, ensure_ascii=False)
    for r in rows:
        print(f"{r['benchmark']}: sluice {r['sluice']} MB/s, reference {r['reference']} MB/s, ratio {r['ratio']}")


if __name__ == "__main__":
    main()
