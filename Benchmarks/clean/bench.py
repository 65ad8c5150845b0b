#!/usr/bin/env python3
"""Cleaning benchmarks: Sluice against fastText and datatrove, each pair in one run.

1. Classifiers (spam: SMS Spam Collection TSV; toxicity: Davidson CSV). The given 80 % files are
   split again 80/20 with random.Random(1234); `sluice classifier train` and fastText supervised
   (wordNgrams 2, the same epochs, 2 threads) train on the same train part; macro-F1 on the same
   test part, training wall time (fastText in-process, Sluice including process start and file
   reading). Rows: macro-F1 (higher is better) and train seconds (lower is better).
2. Filters: datatrove 0.10.1's GopherRepetition, GopherQuality, C4Quality and FineWebQuality as
   a chain vs `sluice clean-verdicts` with gopher_repetition, gopher_quality, c4, fineweb on the
   same documents (dolma CC documents plus English book/wiki text cut into documents); docs/s of
   the filter calls only (no JSON I/O on either side), and keep/drop agreement per filter alone.
   The same agreement on 1,200 held-out non-English pages of the shared Debian documentation crawl
   (25 languages, resiliparse main text; multilingual.py), pages never looked at while tuning.
3. Normalization: NFC and NFKC MB/s on multilingual Tatoeba sentences vs Python's unicodedata.

Usage: bench.py --sluice PATH --out rows.json [--corpus ../shared/corpus]
"""
import argparse
import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EPOCHS = 5


def split(rows, seed=1234, test_fraction=0.2):
    idx = list(range(len(rows)))
    random.Random(seed).shuffle(idx)
    n_test = round(len(rows) * test_fraction)
    test = sorted(idx[:n_test])
    train = sorted(idx[n_test:])
    return [rows[i] for i in train], [rows[i] for i in test]


def load_sms(path):
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    header, body = lines[0], [l for l in lines[1:] if l.strip()]
    return header, [tuple(l.split("\t", 1)) for l in body]


def write_sms(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for label, text in rows:
            f.write(f"{label}\t{text}\n")


def load_davidson(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = list(csv.reader(f))
    return r[0], r[1:]


def write_davidson(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def fasttext_file(path, pairs):
    with open(path, "w", encoding="utf-8") as f:
        for label, text in pairs:
            f.write(f"__label__{label} " + " ".join(text.split()) + "\n")


def macro_f1(gold, pred):
    labels = sorted(set(gold) | set(pred))
    f1s = []
    for l in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == l and p == l)
        fp = sum(1 for g, p in zip(gold, pred) if g != l and p == l)
        fn = sum(1 for g, p in zip(gold, pred) if g == l and p != l)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return sum(f1s) / len(f1s)


def classifier_rows(sluice, corpus, work):
    import fasttext

    rows = []
    tasks = []
    header, sms = load_sms(os.path.join(corpus, "labels/SMSSpamCollection_80.tsv"))
    tr, te = split(sms)
    write_sms(f"{work}/sms_train.tsv", header, tr)
    write_sms(f"{work}/sms_test.tsv", header, te)
    tasks.append(("spam (SMS)", f"{work}/sms_train.tsv", f"{work}/sms_test.tsv", "SMS", "Label",
                  [(l, t) for l, t in tr], [(l, t) for l, t in te]))
    header, dav = load_davidson(os.path.join(corpus, "labels/davidson_labeled_data_80.csv"))
    tr, te = split(dav)
    write_davidson(f"{work}/dav_train.csv", header, tr)
    write_davidson(f"{work}/dav_test.csv", header, te)
    ci, ti = header.index("class"), header.index("tweet")
    tasks.append(("toxicity (Davidson)", f"{work}/dav_train.csv", f"{work}/dav_test.csv", "tweet", "class",
                  [(r[ci], r[ti]) for r in tr], [(r[ci], r[ti]) for r in te]))
    for name, train, test, text_field, label_field, tr_pairs, te_pairs in tasks:
        fasttext_file(f"{work}/ft_train.txt", tr_pairs)
        ft_times, ft_f1 = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            m = fasttext.train_supervised(f"{work}/ft_train.txt", wordNgrams=2, epoch=EPOCHS, thread=2, verbose=0)
            ft_times.append(time.perf_counter() - t0)
            pred = [m.predict(" ".join(t.split()))[0][0][len("__label__"):] for _, t in te_pairs]
            ft_f1.append(macro_f1([l for l, _ in te_pairs], pred))
        sl_times, sl_f1 = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sluice, "classifier", "train", "--input", train, "--text-field", text_field,
                            "--label-field", label_field, "--output", f"{work}/model.slcm", "--epochs", str(EPOCHS),
                            "--threads", "2"], check=True, capture_output=True)
            sl_times.append(time.perf_counter() - t0)
            out = subprocess.run([sluice, "classifier", "eval", "--model", f"{work}/model.slcm", "--input", test,
                                  "--text-field", text_field, "--label-field", label_field],
                                 check=True, capture_output=True, text=True).stdout
            sl_f1.append(json.loads(out)["macro_f1"])
        f_s, f_r = statistics.median(sl_f1), statistics.median(ft_f1)
        t_s, t_r = statistics.median(sl_times), statistics.median(ft_times)
        note = f"train {len(tr_pairs)} / test {len(te_pairs)}, epochs {EPOCHS}, 2 threads, split seed 1234"
        rows.append({"benchmark": f"classifier {name} macro-F1", "metric": "macro-F1", "sluice": round(f_s, 4),
                     "reference": round(f_r, 4), "reference_tool": "fasttext 0.9.2 (wordNgrams 2)",
                     "ratio": round(f_s / f_r, 4), "higher_is_better": True, "notes": note})
        rows.append({"benchmark": f"classifier {name} train time", "metric": "s", "sluice": round(t_s, 3),
                     "reference": round(t_r, 3), "reference_tool": "fasttext 0.9.2 (wordNgrams 2)",
                     "ratio": round(t_r / t_s, 3), "higher_is_better": False,
                     "notes": note + "; sluice time includes process start and reading the CSV/TSV"})
    return rows


def filter_documents(corpus):
    """dolma CC documents plus English text cut into documents of ~40 lines."""
    docs = []
    for name in ["text/dolma-cc_en_head-0091.jsonl", "text/dolma-cc_en_head-0174.jsonl"]:
        with open(os.path.join(corpus, name), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    docs.append(json.loads(line)["text"])
    for name, step in [("text/wikitext-2-valid.txt", 30), ("text/botchan.txt", 40), ("text/tinyshakespeare.txt", 60)]:
        with open(os.path.join(corpus, name), encoding="utf-8-sig") as f:
            lines = f.read().replace("\r\n", "\n").split("\n")
        for i in range(0, len(lines), step):
            chunk = "\n".join(lines[i:i + step]).strip()
            if chunk:
                docs.append(chunk)
    return docs


def filter_rows(sluice, corpus, work):
    from datatrove.data import Document
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter)

    docs = filter_documents(corpus)
    path = f"{work}/docs.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(docs):
            f.write(json.dumps({"id": str(i), "text": t}) + "\n")
    makers = {
        "gopher_repetition": GopherRepetitionFilter,
        "gopher_quality": GopherQualityFilter,
        "c4": C4QualityFilter,
        "fineweb": FineWebQualityFilter,
    }

    def dt_verdicts(filt, texts):
        out = []
        for i, t in enumerate(texts):
            r = filt.filter(Document(text=t, id=str(i)))
            out.append(r is True or (isinstance(r, tuple) and r[0]))
        return out

    rows = []
    agreements = {}
    for name, make in makers.items():
        theirs = dt_verdicts(make(), docs)
        out = subprocess.run([sluice, "clean-verdicts", "--stages", name, "--input", path], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        ours = [v == "keep" for v in out[:len(docs)]]
        agree = sum(a == b for a, b in zip(ours, theirs)) / len(docs)
        agreements[name] = agree
        rows.append({"benchmark": f"filter agreement {name}", "metric": "% same keep/drop", "sluice": round(100 * agree, 2),
                     "reference": 98.0, "reference_tool": "datatrove 0.10.1 (goal)", "ratio": round(100 * agree / 98.0, 4),
                     "higher_is_better": True,
                     "notes": f"{len(docs)} docs; sluice keeps {sum(ours)}, datatrove keeps {sum(theirs)}"})
    # Whole chain throughput: datatrove filters in FineWeb order, each doc until the first drop.
    chain = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False),
             FineWebQualityFilter()]
    dt_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        for i, t in enumerate(docs):
            d = Document(text=t, id=str(i))
            for f in chain:
                r = f.filter(d)
                if not (r is True or (isinstance(r, tuple) and r[0])):
                    break
        dt_times.append(time.perf_counter() - t0)
    sl_times = []
    for _ in range(3):
        err = subprocess.run([sluice, "clean-verdicts", "--stages", "gopher_repetition,gopher_quality,c4,fineweb",
                              "--set", "c4.filter_no_terminal_punct=false", "--input", path, "--quiet"],
                             check=True, capture_output=True, text=True).stderr
        sl_times.append(json.loads(err.strip().split("\n")[-1])["seconds"])
    mb = sum(len(t.encode()) for t in docs) / 1e6
    s, r = len(docs) / statistics.median(sl_times), len(docs) / statistics.median(dt_times)
    rows.append({"benchmark": "filter chain gopher_repetition+gopher_quality+c4+fineweb", "metric": "docs/s",
                 "sluice": round(s, 1), "reference": round(r, 1), "reference_tool": "datatrove 0.10.1 (spaCy words)",
                 "ratio": round(s / r, 2), "higher_is_better": True,
                 "notes": f"{len(docs)} docs, {mb:.2f} MB; filter calls only, median of 3; "
                          f"load average {os.getloadavg()[0]:.1f}"})
    return rows


def multilingual_rows(sluice, corpus, work):
    """Keep/drop agreement per filter alone on the held-out non-English crawl pages (issue 15 §2)."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter)

    sys.path.insert(0, HERE)
    import multilingual

    _, docs = multilingual.split(multilingual.documents(corpus))
    langs = len({d["lang"] for d in docs})
    path = f"{work}/multilingual.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
    rows = []
    for name, make in [("gopher_repetition", GopherRepetitionFilter), ("gopher_quality", GopherQualityFilter),
                       ("c4", C4QualityFilter), ("fineweb", FineWebQualityFilter)]:
        f = make()
        theirs = []
        for d in docs:
            r = f.filter(Document(text=d["text"], id=d["id"]))
            theirs.append(r is True or (isinstance(r, tuple) and r[0]))
        out = subprocess.run([sluice, "clean-verdicts", "--stages", name, "--input", path], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        ours = [v == "keep" for v in out[:len(docs)]]
        agree = sum(a == b for a, b in zip(ours, theirs)) / len(docs)
        rows.append({"benchmark": f"filter agreement {name} (multilingual, held-out)", "metric": "% same keep/drop",
                     "sluice": round(100 * agree, 2), "reference": 99.0, "reference_tool": "datatrove 0.10.1 (goal)",
                     "ratio": round(100 * agree / 99.0, 4), "higher_is_better": True,
                     "notes": f"{len(docs)} non-English Debian doc pages, {langs} languages, split seeds 15/16; "
                              f"sluice keeps {sum(ours)}, datatrove keeps {sum(theirs)}"})
    return rows


def normalize_rows(sluice, corpus, work):
    """NFC and NFKC of multilingual sentences (Tatoeba, 40 languages) vs Python's unicodedata, per
    document, time of the normalization calls only (our `normalize` step with only the form on)."""
    import unicodedata

    docs = []
    with open(os.path.join(corpus, "text/tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
        lines = [l.rstrip("\n").split("\t", 2)[-1] for l in f]
    for i in range(0, len(lines), 20):  # 20 sentences per document
        docs.append("\n".join(lines[i:i + 20]))
    path = f"{work}/tatoeba.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(docs):
            f.write(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n")
    mb = sum(len(t.encode()) for t in docs) / 1e6
    rows = []
    for form in ["NFC", "NFKC"]:
        ref = []
        for _ in range(3):
            t0 = time.perf_counter()
            for t in docs:
                unicodedata.normalize(form, t)
            ref.append(time.perf_counter() - t0)
        ours = []
        for _ in range(3):
            err = subprocess.run([sluice, "clean-verdicts", "--stages", "normalize", "--input", path, "--quiet",
                                  "--set", f"normalize.form={form}", "--set", "normalize.mojibake=false",
                                  "--set", "normalize.remove_controls=false", "--set", "normalize.whitespace=false"],
                                 check=True, capture_output=True, text=True).stderr
            ours.append(json.loads(err.strip().split("\n")[-1])["seconds"])
        s, r = mb / statistics.median(ours), mb / statistics.median(ref)
        rows.append({"benchmark": f"normalize {form} (Tatoeba, 40 languages)", "metric": "MB/s", "sluice": round(s, 1),
                     "reference": round(r, 1), "reference_tool": f"Python {sys.version.split()[0]} unicodedata",
                     "ratio": round(s / r, 2), "higher_is_better": True,
                     "notes": f"{len(docs)} docs, {mb:.1f} MB; calls only, median of 3; ICU quick check first"})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus")))
    ap.add_argument("--only", choices=["classifier", "filters", "multilingual", "normalize"])
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        if a.only in (None, "classifier"):
            rows += classifier_rows(os.path.abspath(a.sluice), a.corpus, work)
        if a.only in (None, "filters"):
            rows += filter_rows(os.path.abspath(a.sluice), a.corpus, work)
        if a.only in (None, "multilingual"):
            rows += multilingual_rows(os.path.abspath(a.sluice), a.corpus, work)
        if a.only in (None, "normalize"):
            rows += normalize_rows(os.path.abspath(a.sluice), a.corpus, work)
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)
    for r in rows:
        print(f"{r['benchmark']:<60} {r['sluice']:>10} {r['reference']:>10}  x{r['ratio']}", file=sys.stderr)


if __name__ == "__main__":
    main()
