#!/usr/bin/env python3
"""How much of each article Sluice's wikipedia reader keeps, against mwparserfromhell's `strip_code()`.

For every dump: the namespace-0, non-redirect pages (latest revision), strip_code() of each on one
side, the text of the `wikipedia` reader's document of the same page id on the other (a page the
reader drops as empty counts as empty text). Scores are bag-of-tokens F1 per page (tokens: runs of
letters, digits and combining marks, each CJK / kana character alone), averaged over pages; a page
empty on both sides scores 1. Pages are split in two by a fixed-seed hash of (dump, page id): the
converter's rules were tuned on the `tune` half, the `held-out` half is the report.

Usage: quality.py --sluice PATH [--corpus DIR] [--cache DIR] [--worst N]
"""
import argparse
import bz2
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

SEED = "sluice-wiki-split-1"
TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|"
                   r"(?:[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[\u0300-\u036f\u0900-\u0dff])+")


def tokens(text):
    return TOKEN.findall((text or "").lower())


def f1(ours, ref):
    a, b = collections.Counter(tokens(ours)), collections.Counter(tokens(ref))
    if not a and not b:
        return 1.0, 1.0, 1.0
    if not a or not b:
        return 0.0, (1.0 if not a else 0.0), (1.0 if not b else 0.0)
    common = sum((a & b).values())
    p, r = common / sum(a.values()), common / sum(b.values())
    return (0.0 if common == 0 else 2 * p * r / (p + r)), p, r


def held_out(dump, page_id):
    """True for the report half, False for the tuning half (fixed seed)."""
    return hashlib.sha256(("%s/%s/%s" % (SEED, dump, page_id)).encode()).digest()[0] & 1 == 1


def dumps(corpus):
    return sorted(n for n in os.listdir(corpus) if n.endswith(".bz2") and "pyrus" not in n)


def reference(path, cache):
    """{page_id: strip_code text} for the dump, cached by file name and size."""
    key = os.path.join(cache, "%s-%d.json" % (os.path.basename(path), os.path.getsize(path))) if cache else None
    if key and os.path.exists(key):
        with open(key) as f:
            return {int(k): v for k, v in json.load(f).items()}
    import xml.etree.ElementTree as ET

    import mwparserfromhell

    pages = {}
    with bz2.open(path, "rb") as f:
        try:
            for _, el in ET.iterparse(f, events=("end",)):
                if el.tag.rsplit("}", 1)[-1] != "page":
                    continue
                fields = {c.tag.rsplit("}", 1)[-1]: c for c in el}
                ns = fields.get("ns")
                text = None
                stamp = ""
                for rev in (c for c in el if c.tag.endswith("revision")):  # the latest revision wins
                    r = {c.tag.rsplit("}", 1)[-1]: c for c in rev}
                    t = r["timestamp"].text if "timestamp" in r else ""
                    if text is None or t >= stamp:
                        stamp, text = t, (r["text"].text or "") if "text" in r else ""
                if "redirect" not in fields and (ns is None or ns.text == "0") and text is not None \
                        and not text.lstrip().lower().startswith("#redirect"):
                    pages[int(fields["id"].text)] = mwparserfromhell.parse(text).strip_code()
                el.clear()
        except ET.ParseError as e:  # the truncated dump ends mid-page: keep the complete pages
            print("reference: %s: %s" % (os.path.basename(path), e), file=sys.stderr)
    if key:
        os.makedirs(cache, exist_ok=True)
        with open(key, "w") as f:
            json.dump(pages, f)
    return pages


def sluice(binary, path, workdir, extra=()):
    out = os.path.join(workdir, "q-" + os.path.basename(path))
    pipeline = out + ".yaml"
    with open(pipeline, "w") as f:
        f.write("input:\n  paths: [%s]\n  reader: wikipedia\n" % json.dumps(path))
        f.write("output: %s\nstages:\n  - write: {compression: none}\n" % json.dumps(out))
    subprocess.run([binary, "run", pipeline, "--workers", "1", *extra], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    texts = {}
    for root, _, names in os.walk(out):
        for name in names:
            if name.endswith(".jsonl"):
                with open(os.path.join(root, name)) as f:
                    for line in f:
                        d = json.loads(line)
                        texts[int(d["metadata"]["page_id"])] = d["text"]
    return texts


def score(binary, corpus, cache=None, worst=0, extra=()):
    """Rows per dump: {dump, lang, pages, f1, f1_tune, f1_held_out, empty_sluice, empty_ref, ...}."""
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in dumps(corpus):
            path = os.path.join(corpus, name)
            ref = reference(path, cache)
            ours = sluice(binary, path, workdir, extra)
            halves = {False: [], True: []}
            per_page = []
            empty_ours = empty_ref = lost = 0
            for pid, rtext in ref.items():
                text = ours.get(pid, "")
                score_, p, r = f1(text, rtext)
                halves[held_out(name, pid)].append(score_)
                per_page.append((score_, p, r, pid))
                e_ours, e_ref = not tokens(text), not tokens(rtext)
                empty_ours += e_ours
                empty_ref += e_ref
                lost += e_ours and not e_ref
            allf = halves[False] + halves[True]
            rows.append({
                "dump": name, "lang": name[:2], "pages": len(ref),
                "f1": sum(allf) / max(1, len(allf)),
                "f1_tune": sum(halves[False]) / max(1, len(halves[False])), "pages_tune": len(halves[False]),
                "f1_held_out": sum(halves[True]) / max(1, len(halves[True])), "pages_held_out": len(halves[True]),
                "empty_sluice": empty_ours, "empty_reference": empty_ref, "empty_sluice_only": lost,
                "worst": sorted(per_page)[:worst],
            })
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sluice", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus", "wiki"))
    parser.add_argument("--cache", default=None)
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args()
    extra = [x for s in args.set for x in ("--set", s)]
    for r in score(args.sluice, os.path.abspath(args.corpus), args.cache, args.worst, extra):
        print("%-70s %4d pages  F1 %.3f (tune %.3f / held-out %.3f)  empty: sluice %d, strip_code %d, "
              "sluice only %d" % (r["dump"], r["pages"], r["f1"], r["f1_tune"], r["f1_held_out"], r["empty_sluice"],
                                  r["empty_reference"], r["empty_sluice_only"]))
        for s, p, rc, pid in r["worst"]:
            print("    page %-8d F1 %.2f P %.2f R %.2f" % (pid, s, p, rc))


if __name__ == "__main__":
    main()
