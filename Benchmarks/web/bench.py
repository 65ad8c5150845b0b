#!/usr/bin/env python3
"""Web benchmarks, Sluice and the reference tools side by side in one run.

1. WARC iteration over ../shared/corpus/warc/crawl/*.warc.gz (every record, HTTP parsed, payload
   read): `sluice inspect warc --count` vs fastwarc 2.0.1 and warcio 1.8.1. MB = 10^6 bytes of
   compressed input; seconds are CPU seconds (user + sys) of the single thread doing the work, so
   that a busy machine does not skew the ratio; the median of 3 runs (warcio: 1).
2. Extraction speed: the first N text/html 200 pages of the crawl, written as files; `sluice
   extract --json` vs resiliparse 2.0.1 `extract_plain_text(main_content=True)` (with its
   `detect_encoding` + `bytes_to_str`, as our side decodes too). Documents per CPU second.
3. Extraction quality on ../shared/corpus/extraction (20 gold pages): the scrapinghub
   article-extraction-benchmark score (\\w+ tokens, word 4-gram shingles, per-page normalised
   TP/FP/FN, mean P and mean R, F1 of the means) for sluice, trafilatura 2.3.1 `extract()` and
   resiliparse, in one table.

Usage: bench.py --sluice PATH --out rows.json [--pages 3000]
"""
import argparse, collections, glob, gzip, json, os, re, resource, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(HERE, "..", "..", "..", "shared", "corpus"))


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_sluice(args):
    """CPU seconds of one sluice run (its output is discarded)."""
    before = child_cpu()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return child_cpu() - before


def median_of(f, n):
    return statistics.median(f() for _ in range(n))


def row(benchmark, metric, ours, ref, tool, notes, higher=True):
    ratio = (ours / ref if higher else ref / ours) if ours and ref else None
    return {"benchmark": benchmark, "metric": metric, "sluice": round(ours, 3), "reference": round(ref, 3),
            "reference_tool": tool, "ratio": round(ratio, 3) if ratio else None, "higher_is_better": higher,
            "notes": notes}


# MARK: - WARC iteration

def warc_rows(sluice):
    from fastwarc.warc import ArchiveIterator as FastIterator
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator
    files = sorted(glob.glob(os.path.join(CORPUS, "warc", "crawl", "*.warc.gz")))
    mb = sum(os.path.getsize(f) for f in files) / 1e6

    def ours():
        return run_sluice([sluice, "inspect", "warc", "--count"] + files)

    def fastwarc():
        t = time.process_time()
        n = 0
        for p in files:
            with open(p, "rb") as fh:
                for r in FastIterator(fh, parse_http=True):
                    r.reader.read()
                    n += 1
        return time.process_time() - t

    def warcio():
        t = time.process_time()
        for p in files:
            with open(p, "rb") as fh:
                for r in WarcioIterator(fh):
                    r.content_stream().read()
        return time.process_time() - t

    s = median_of(ours, 3)
    f = median_of(fastwarc, 3)
    w = warcio()
    note = f"{len(files)} files, {mb:.1f} MB .warc.gz, 19,678 records; CPU seconds, median of 3"
    return [row("warc_iterate", "MB/s", mb / s, mb / f, "fastwarc 2.0.1", note),
            row("warc_iterate", "MB/s", mb / s, mb / w, "warcio 1.8.1", note.replace("median of 3", "warcio 1 run"))]


# MARK: - Extraction speed

def crawl_pages(n):
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    pages = []
    for p in sorted(glob.glob(os.path.join(CORPUS, "warc", "crawl", "*.warc.gz"))):
        with open(p, "rb") as fh:
            for r in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=True):
                ct = (r.http_content_type or "").lower()
                if r.http_headers.status_code == 200 and ct == "text/html":
                    pages.append(r.reader.read())
                    if len(pages) >= n:
                        return pages
    return pages


def extraction_speed_rows(sluice, n):
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree
    pages = crawl_pages(n)
    mb = sum(len(p) for p in pages) / 1e6
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, p in enumerate(pages):
            path = os.path.join(d, f"{i:05d}.html")
            with open(path, "wb") as fh:
                fh.write(p)
            paths.append(path)

        def ours():
            return run_sluice([sluice, "extract", "--json"] + paths)

        def resiliparse():
            t = time.process_time()
            for path in paths:
                with open(path, "rb") as fh:
                    b = fh.read()
                extract_plain_text(HTMLTree.parse(bytes_to_str(b, detect_encoding(b))), main_content=True)
            return time.process_time() - t

        s = median_of(ours, 3)
        r = median_of(resiliparse, 3)
    note = f"{len(pages)} text/html 200 pages of the crawl ({mb:.1f} MB); CPU seconds, median of 3"
    return [row("html_extract", "docs/s", len(pages) / s, len(pages) / r,
                "resiliparse 2.0.1 extract_plain_text(main_content=True)", note)]


# MARK: - Extraction quality (scrapinghub article-extraction-benchmark scoring)

TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def shingles(text, n=4):
    tokens = TOKEN.findall(text or "")
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                               if tokens[i:i + n])


def tp_fp_fn(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = fp = fn = 0.0
    for k in set(t) | set(p):
        tc, pc = t.get(k, 0), p.get(k, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def prf(triples):
    def precision(tp, fp, fn):
        if fp == fn == 0: return 1.0
        if tp == fp == 0: return 0.0
        return tp / (tp + fp)

    def recall(tp, fp, fn):
        if fp == fn == 0: return 1.0
        if tp == fn == 0: return 0.0
        return tp / (tp + fn)
    p = statistics.mean(precision(*x) for x in triples if x[0] + x[1] > 0)
    r = statistics.mean(recall(*x) for x in triples if x[0] + x[2] > 0)
    return p, r, 2 * p * r / (p + r)


def quality_rows(sluice):
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree
    root = os.path.join(CORPUS, "extraction")
    truth = json.load(open(os.path.join(root, "ground-truth.json"), encoding="utf-8"))
    ids = sorted(truth)
    paths = [os.path.join(root, f"{k}.html.gz") for k in ids]
    out = subprocess.run([sluice, "extract", "--json"] + paths, check=True, capture_output=True, text=True).stdout
    ours = [json.loads(line)["text"] for line in out.splitlines()]
    traf, resi = [], []
    for path in paths:
        b = gzip.open(path).read()
        html = bytes_to_str(b, detect_encoding(b))
        traf.append(trafilatura.extract(html) or "")
        resi.append(extract_plain_text(HTMLTree.parse(html), main_content=True))
    scores = {}
    for name, preds in (("sluice", ours), ("trafilatura 2.3.1", traf), ("resiliparse 2.0.1", resi)):
        scores[name] = prf([tp_fp_fn(truth[k]["articleBody"], p) for k, p in zip(ids, preds)])
    print("\nExtraction quality, 20 gold pages (scrapinghub scoring)")
    print(f"{'tool':<22}{'precision':>10}{'recall':>10}{'F1':>8}")
    for name, (p, r, f) in scores.items():
        print(f"{name:<22}{p:>10.3f}{r:>10.3f}{f:>8.3f}")
    s = scores["sluice"]
    rows = []
    for tool in ("trafilatura 2.3.1", "resiliparse 2.0.1"):
        t = scores[tool]
        rows.append(row("html_extract_quality", "F1", s[2], t[2], tool + (" extract() defaults" if "traf" in tool
                        else " main_content=True"),
                        f"P/R sluice {s[0]:.3f}/{s[1]:.3f}, {tool} {t[0]:.3f}/{t[1]:.3f}; 20 pages"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pages", type=int, default=3000)
    a = ap.parse_args()
    rows = warc_rows(a.sluice) + extraction_speed_rows(a.sluice, a.pages) + quality_rows(a.sluice)
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    with open(a.out, "w") as fh:
        json.dump(rows, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
