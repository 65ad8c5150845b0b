#!/usr/bin/env python3
"""Quality-signal benchmarks: Sluice's native fastText reader against the fastText library
(fasttext-numpy2-wheel 0.9.2, the package datatrove uses), on the same documents in one run.

1. Language ID with lid.176.ftz (Fixtures/models): `sluice clean-verdicts --stages language`
   (label_only, so every document is scored) against `model.predict(text.replace("\\n", " "), k=-1)`,
   the call datatrove's LanguageFilter makes, on (a) the non-English Debian documentation pages of
   the shared crawl (resiliparse main text, Benchmarks/clean/multilingual.py) and (b) 20,000
   Tatoeba sentences (fixed seed). docs/s of the prediction calls only (no JSON I/O on either
   side), median of 3; and the share of documents given the same top label (`sluice classifier
   predict` against the library), with the largest probability difference.
2. A quality-style classifier: fastText supervised (softmax, wordNgrams 2, char n-grams 3–6,
   dim 16) trained by the library on the SMS spam file, then used by `classify` vs the library's
   predict(k=-1) on the dolma Common Crawl documents; docs/s and same-label share as above.

Usage: bench.py --sluice PATH --out rows.json [--corpus ../shared/corpus]
"""
import argparse
import csv
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
LID = os.path.join(ROOT, "Fixtures", "models", "lid.176.ftz")
FT = "fasttext 0.9.2 (fasttext-numpy2-wheel)"


def write_jsonl(path, texts):
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n")


def python_times(model, texts, runs=3):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for t in texts:
            model.predict(t.replace("\n", " "), k=-1)
        times.append(time.perf_counter() - t0)
    return times


def sluice_times(sluice, stage, sets, path, repeat, runs=3):
    times = []
    for _ in range(runs):
        cmd = [sluice, "clean-verdicts", "--stages", stage, "--input", path, "--quiet", "--repeat-count", str(repeat)]
        for s in sets:
            cmd += ["--set", s]
        err = subprocess.run(cmd, check=True, capture_output=True, text=True).stderr
        times.append(json.loads(err.strip().split("\n")[-1])["seconds"] / repeat)
    return times


def agreement(sluice, model, model_path, texts, path):
    out = subprocess.run([sluice, "classifier", "predict", "--model", model_path, "--input", path, "--text-field", "text"],
                         check=True, capture_output=True, text=True).stdout.strip().split("\n")
    same = 0
    worst = 0.0
    for line, t in zip(out, texts):
        ours = json.loads(line)
        labels, probs = model.predict(t.replace("\n", " "), k=-1)
        ref = {l.removeprefix("__label__"): float(p) for l, p in zip(labels, probs)}
        same += ours["label"] == labels[0].removeprefix("__label__")
        for l, p in ours["probabilities"].items():
            worst = max(worst, abs(p - ref.get(l, 0.0)))
    return same / len(texts), worst


def speed_rows(sluice, name, model, model_path, texts, work, stage, sets):
    path = f"{work}/{name.replace(' ', '_')}.jsonl"
    write_jsonl(path, texts)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    py = python_times(model, texts)
    repeat = max(1, int(2.0 / max(min(py), 1e-3)))  # about as long as the reference run
    sl = sluice_times(sluice, stage, sets, path, repeat)
    s, r = len(texts) / statistics.median(sl), len(texts) / statistics.median(py)
    same, worst = agreement(sluice, model, model_path, texts, path)
    load = os.getloadavg()[0]
    return [
        {"benchmark": f"{name} predict", "metric": "docs/s", "sluice": round(s, 1), "reference": round(r, 1),
         "reference_tool": FT + " predict(k=-1)", "ratio": round(s / r, 2), "higher_is_better": True,
         "notes": f"{len(texts)} docs, {mb:.2f} MB; prediction calls only, median of 3 (sluice x{repeat} per run); "
                  f"load average {load:.1f}"},
        {"benchmark": f"{name} same top label", "metric": "% of docs", "sluice": round(100 * same, 3),
         "reference": 100.0, "reference_tool": FT, "ratio": round(same, 4), "higher_is_better": True,
         "notes": f"largest probability difference {worst:.2e} (sluice prints 6 decimals)"},
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus")))
    a = ap.parse_args()
    import fasttext

    sluice = os.path.abspath(a.sluice)
    rows = []
    lid = fasttext.load_model(LID)
    with tempfile.TemporaryDirectory() as work:
        sys.path.insert(0, os.path.join(ROOT, "Benchmarks", "clean"))
        import multilingual

        pages = [d["text"] for d in multilingual.documents(a.corpus)]
        rows += speed_rows(sluice, "language ID lid.176, Debian doc pages (25 languages)", lid, LID, pages, work,
                           "language", ["language.label_only=true"])
        with open(os.path.join(a.corpus, "text", "tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
            sentences = [r[2] for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 3]
        sentences = random.Random(19).sample(sentences, 20000)
        rows += speed_rows(sluice, "language ID lid.176, Tatoeba sentences", lid, LID, sentences, work,
                           "language", ["language.label_only=true"])

        train = f"{work}/spam-train.txt"
        with open(os.path.join(a.corpus, "labels", "SMSSpamCollection_80.tsv"), encoding="utf-8") as f, \
                open(train, "w", encoding="utf-8") as o:
            for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(r) >= 2 and r[0] in ("ham", "spam"):
                    o.write(f"__label__{r[0]} {r[1]}\n")
        model = fasttext.train_supervised(train, loss="softmax", wordNgrams=2, minn=3, maxn=6, dim=16, epoch=5,
                                          thread=2, verbose=0)
        model_path = f"{work}/spam.bin"
        model.save_model(model_path)
        docs = []
        for name in ("dolma-cc_en_head-0091.jsonl", "dolma-cc_en_head-0174.jsonl"):
            with open(os.path.join(a.corpus, "text", name), encoding="utf-8") as f:
                docs += [json.loads(l)["text"] for l in f if l.strip()]
        rows += speed_rows(sluice, "fastText classifier (softmax, wordNgrams 2, char n-grams), dolma CC docs", model,
                           model_path, docs, work, "classify",
                           [f"classify.model={model_path}", "classify.label=spam", "classify.direction=none"])
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)
    for r in rows:
        print(f"{r['benchmark']:<70} {r['sluice']:>10} {r['reference']:>10}  x{r['ratio']}", file=sys.stderr)


if __name__ == "__main__":
    main()
