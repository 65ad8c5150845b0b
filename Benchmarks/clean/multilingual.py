#!/usr/bin/env python3
"""Non-English pages of the shared documentation crawl (../shared/corpus/warc/crawl), as the
filter-parity check of issue 15 §2 uses them: every HTML 200 response whose URL names a language
other than English (debian-handbook/xx-YY/, installation-guide/xx/, aptitude/xx/, *.xx.html),
each URL once, main text extracted with resiliparse (`extract_plain_text(main_content=True)`),
empty pages left out (5,610 pages, 25 languages). Two disjoint samples of 1,200 pages by fixed
seeds: `tune` (random.Random(15).sample, the pages the tokenizer fixes of issue 15 were studied
on) and `held` (random.Random(16).sample of the other pages, never looked at while tuning; the
benchmark reports these). 1,200 each keeps datatrove's spaCy runs to minutes.

Usage: multilingual.py --out docs.jsonl [--half tune|held] [--corpus ../shared/corpus]
"""
import argparse
import glob
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LANG = [
    re.compile(r"/debian-handbook/([a-z]{2})-[A-Z]{2}/"),
    re.compile(r"/installation-guide/([a-z]{2})(?:_[A-Z]{2})?/"),
    re.compile(r"/aptitude/([a-z]{2})/"),
    re.compile(r"/(?:debian-reference|live-manual)/[^/]*\.([a-z]{2})(?:[-_][a-z]{2})?\.html$"),
]


def language(url):
    for r in LANG:
        m = r.search(url)
        if m:
            return m.group(1)
    return None


def documents(corpus):
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    seen = set()
    docs = []
    for path in sorted(glob.glob(os.path.join(corpus, "warc/crawl/debian-docs-crawl-0*.warc.gz"))):
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
                url = rec.headers.get("WARC-Target-URI", "").strip("<>")
                if rec.http_headers is None or rec.http_headers.status_code != 200:
                    continue
                if "html" not in (rec.http_headers.get("Content-Type") or ""):
                    continue
                lang = language(url)
                if lang is None or lang == "en" or url in seen:
                    continue
                seen.add(url)
                body = rec.reader.read()
                text = extract_plain_text(bytes_to_str(body, detect_encoding(body)), main_content=True)
                if text.strip():
                    docs.append({"id": str(len(docs)), "lang": lang, "url": url, "text": text})
    return docs


def split(docs, n=1200):
    """(tune, held): disjoint fixed-seed samples of `n` pages each."""
    tune = random.Random(15).sample(docs, n)
    chosen = {d["id"] for d in tune}
    rest = [d for d in docs if d["id"] not in chosen]
    held = random.Random(16).sample(rest, min(n, len(rest)))
    return tune, held


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus")))
    ap.add_argument("--half", choices=["tune", "held"])
    a = ap.parse_args()
    docs = documents(a.corpus)
    if a.half:
        docs = split(docs)[0 if a.half == "tune" else 1]
    with open(a.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    langs = {}
    for d in docs:
        langs[d["lang"]] = langs.get(d["lang"], 0) + 1
    print(len(docs), "pages", dict(sorted(langs.items())))


if __name__ == "__main__":
    main()
