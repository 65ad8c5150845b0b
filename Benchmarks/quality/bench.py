#!/usr/bin/env python3
"""Quality-signal benchmarks: Sluice's native fastText reader against the fastText library
(fasttext-numpy2-wheel 0.9.2, the package datatrove uses), on the same documents in one run.

1. Language ID with lid.176.ftz (Fixtures/models): `sluice clean-verdicts --stages language`
   (label_only, so every document is scored) against `model.predict(text.replace("\\n", " "), k=-1)`,
   the call datatrove's LanguageFilter makes, on (a) every HTML page of the shared crawl
   (warc/crawl, resiliparse main text) and (b) 20,000 Tatoeba sentences (fixed seed). docs/s of the prediction calls only (no JSON I/O on either
   side), median of 3; and the share of documents given the same top label (`sluice classifier
   predict` against the library), with the largest probability difference.
   On the crawl pages also the keep/drop agreement of `language` (defaults: en above 0.65) with
   datatrove's LanguageFilter calling the library on the same lid.176.ftz (goal: 99.5 %).
2. A quality-style classifier: fastText supervised (softmax, wordNgrams 2, char n-grams 3–6,
   dim 16) trained by the library on the SMS spam file, then used by `classify` vs the library's
   predict(k=-1) on the dolma Common Crawl documents; docs/s and same-label share as above.
   Also langid.py's `classify` on the same Tatoeba sentences (docs/s, prediction calls only, in a
   child with numpy's BLAS on one thread).
   Held-out accuracy of the `language` step (label_only, lid.176) against langid 1.1.6 and
   lingua-language-detector 2.1.1 (all languages loaded, high-accuracy mode): Tatoeba sentences
   (up to 500 per language with at least 20, seed 19) and UDHR segments (at least 20 characters,
   each text once per language; the garbled `plain_drb` file left out). Gold labels are ISO 639-3
   (Tatoeba's, UDHR's long2iso.txt), mapped to ISO 639-1 where one exists (lid.176, langid and
   lingua answer in those; lid.176 keeps 3-letter codes for the others, e.g. `min`, `pam`). Each
   tool is scored only on the languages it can name: the headline rows use the languages all three
   support, the notes give each tool's macro accuracy on every language it supports. Predictions
   are unconstrained (each tool chooses among all its languages), as a user runs them.
   The quality-classifier recipe (Pipelines/quality-classifier.yaml): held-out accuracy and macro F1
   of `sluice classifier train` against the fastText library trained on the same split.
3. The `perplexity` step with a model of Pipelines/train-tiny.yaml's shape against transformers'
   GPT2LMHeadModel on the same checkpoint, 300 English crawl pages, first 256 tokens.

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


def crawl_pages(corpus):
    """Every HTML 200 response of the shared crawl (warc/crawl/*.warc.gz), each URL once, main text
    by resiliparse (as Benchmarks/clean/multilingual.py), with the language its URL names (or None)."""
    import glob

    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    sys.path.insert(0, os.path.join(ROOT, "Benchmarks", "clean"))
    import multilingual

    seen, pages = set(), []
    for path in sorted(glob.glob(os.path.join(corpus, "warc/crawl/*.warc.gz"))):
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
                url = rec.headers.get("WARC-Target-URI", "").strip("<>")
                if rec.http_headers is None or rec.http_headers.status_code != 200:
                    continue
                if "html" not in (rec.http_headers.get("Content-Type") or "") or url in seen:
                    continue
                seen.add(url)
                body = rec.reader.read()
                text = extract_plain_text(bytes_to_str(body, detect_encoding(body)), main_content=True)
                if text.strip():
                    pages.append({"text": text, "lang": multilingual.language(url)})
    return pages


def datatrove_rows(sluice, pages, work):
    """Keep/drop and label agreement with datatrove's LanguageFilter (FineWeb defaults: en, 0.65),
    which calls the fastText library on the same lid.176.ftz."""
    import fasttext
    from datatrove.data import Document
    from datatrove.pipeline.filters import LanguageFilter

    lf = LanguageFilter(languages=["en"])
    lf.model._model = fasttext.load_model(LID)  # the file shipped in Fixtures, not a download
    theirs, labels = [], []
    for i, p in enumerate(pages):
        d = Document(text=p["text"], id=str(i))
        theirs.append(bool(lf.filter(d)))
        labels.append(d.metadata["language"])
    path = f"{work}/pages.jsonl"
    write_jsonl(path, [p["text"] for p in pages])
    verdicts = subprocess.run([sluice, "clean-verdicts", "--stages", "language", "--input", path],
                              check=True, capture_output=True, text=True).stdout.split("\n")[:len(pages)]
    ours = [v == "keep" for v in verdicts]
    ours_labels = [v.split(":", 1)[1] if v.startswith("language:") and v != "language:low_score" else None
                   for v in verdicts]
    same = sum(a == b for a, b in zip(ours, theirs)) / len(pages)
    # Labels: the drop reason names the language of every dropped non-English page; compare those.
    named = [(o, t) for o, t in zip(ours_labels, labels) if o is not None]
    same_label = sum(o == t for o, t in named) / max(1, len(named))
    # Every page's label: the `language` step with label_only against datatrove's metadata["language"].
    all_labels = sluice_languages(sluice, [p["text"] for p in pages], work, "pages")
    same_all = sum(o == t for o, t in zip(all_labels, labels)) / len(pages)
    with_lang = [(p["lang"], t) for p, t in zip(pages, labels) if p["lang"]]
    url_acc = sum(l == t for l, t in with_lang) / max(1, len(with_lang))
    return [
        {"benchmark": "language (en, 0.65) keep/drop vs datatrove LanguageFilter, crawl pages", "metric": "% same keep/drop",
         "sluice": round(100 * same, 3), "reference": 99.5, "reference_tool": "datatrove 0.10.1 LanguageFilter (goal)",
         "ratio": round(100 * same / 99.5, 4), "higher_is_better": True,
         "notes": f"{len(pages)} pages of warc/crawl; sluice keeps {sum(ours)}, datatrove keeps {sum(theirs)}; "
                  f"same label on the {len(named)} pages sluice drops as another language: {100 * same_label:.2f} %; "
                  f"lid.176 label = the language the URL names on {100 * url_acc:.1f} % of {len(with_lang)} pages"},
        {"benchmark": "language label vs datatrove LanguageFilter, crawl pages", "metric": "% same label",
         "sluice": round(100 * same_all, 3), "reference": 99.5, "reference_tool": "datatrove 0.10.1 LanguageFilter (goal)",
         "ratio": round(100 * same_all / 99.5, 4), "higher_is_better": True,
         "notes": f"{len(pages)} pages of warc/crawl: the `language` step (label_only) writes metadata.language on "
                  f"every page, compared with the metadata[\"language\"] datatrove writes"},
    ]


# ISO 639-3 (Tatoeba, UDHR) → the code lid.176, langid and lingua answer with (ISO 639-1 where it
# exists). Languages without a 639-1 code keep their 639-3 code (lid.176 names some: min, pam, yue).
ISO3_TO_1 = {
    "afr": "af", "ara": "ar", "arb": "ar", "bel": "be", "ben": "bn", "bul": "bg", "cat": "ca", "ces": "cs",
    "cmn": "zh", "dan": "da", "deu": "de", "ell": "el", "eng": "en", "epo": "eo", "fao": "fo", "fil": "tl",
    "fin": "fi", "fra": "fr", "fry": "fy", "heb": "he", "hin": "hi", "hun": "hu", "ind": "id", "ita": "it",
    "jav": "jv", "jpn": "ja", "kor": "ko", "lat": "la", "lav": "lv", "ltz": "lb", "nld": "nl", "nno": "nn",
    "oci": "oc", "pol": "pl", "por": "pt", "ron": "ro", "rus": "ru", "slk": "sk", "spa": "es", "sun": "su",
    "swe": "sv", "tam": "ta", "ukr": "uk", "urd": "ur", "wln": "wa", "yid": "yi", "zlm": "ms",
}
LANGID = "langid 1.1.6"
LINGUA = "lingua-language-detector 2.1.1"


def tatoeba_sentences(corpus, per_language=500, min_count=20):
    """(gold code, sentence) pairs: every Tatoeba language with at least `min_count` distinct
    sentences, at most `per_language` of each, drawn with seed 19."""
    by = {}
    with open(os.path.join(corpus, "text", "tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
        for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(r) >= 3 and r[1] != "\\N" and r[2].strip():
                by.setdefault(r[1], set()).add(r[2].strip())
    rng = random.Random(19)
    out = []
    for lang in sorted(by):
        texts = sorted(by[lang])
        if len(texts) >= min_count:
            out += [(ISO3_TO_1.get(lang, lang), t) for t in rng.sample(texts, min(per_language, len(texts)))]
    return out


def udhr_segments(corpus, min_chars=20):
    """(gold code, segment) pairs of the UDHR files: segments of at least `min_chars` characters, each
    text once per language (several files share a translation)."""
    folder = os.path.join(corpus, "text", "udhr")
    iso = {}
    with open(os.path.join(folder, "long2iso.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                stem, code = line.split(None, 1)
                iso[stem] = code.strip().split("-")[0]
    seen, out = set(), []
    for name in sorted(os.listdir(folder)):
        stem = name.removesuffix(".txt")
        if not name.endswith(".txt") or stem not in iso or "plain_drb" in stem:
            continue
        lang = ISO3_TO_1.get(iso[stem], iso[stem])
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                text = line.rstrip("\n").split("\t", 1)[-1].strip()
                if len(text) >= min_chars and (lang, text) not in seen:
                    seen.add((lang, text))
                    out.append((lang, text))
    return out


def sluice_languages(sluice, texts, work, name):
    """The `language` step's label for each text (label_only: every document is labelled)."""
    path = f"{work}/{name}.jsonl"
    write_jsonl(path, texts)
    out = f"{work}/{name}-labelled"
    subprocess.run([sluice, "stage", "language", "--set", "label_only=true", "--input", path, "--output", out,
                    "--workers", "1"], check=True, capture_output=True, env=dict(os.environ, SLUICE_NO_PROGRESS="1"))
    import zstandard
    labels = {}
    for f in sorted(os.listdir(out)):
        if f.endswith(".jsonl.zst"):
            with open(os.path.join(out, f), "rb") as fh:
                data = zstandard.ZstdDecompressor().stream_reader(fh).read()
            for line in data.decode("utf-8").splitlines():
                d = json.loads(line)
                labels[d["id"]] = d["metadata"]["language"]
    return [labels[str(i)] for i in range(len(texts))]


def accuracy_rows(sluice, name, pairs, work):
    import langid
    from lingua import Language, LanguageDetectorBuilder

    lid_labels = {l.removeprefix("__label__") for l in __import__("fasttext").load_model(LID).get_labels()}
    langid.classify("warm up")  # loads the model
    langid_labels = set(langid.langid.identifier.nb_classes)
    lingua_labels = {l.iso_code_639_1.name.lower() for l in Language.all()}
    supported = {"sluice": lid_labels, "langid": langid_labels, "lingua": lingua_labels}
    texts = [t for _, t in pairs]
    gold = [g for g, _ in pairs]
    predicted = {"sluice": sluice_languages(sluice, texts, work, name.split()[0].lower())}
    predicted["langid"] = [langid.classify(t)[0] for t in texts]
    detector = LanguageDetectorBuilder.from_all_languages().build()
    predicted["lingua"] = [l.iso_code_639_1.name.lower() if l is not None else "?"
                           for l in detector.detect_languages_in_parallel_of(texts)]

    def per_language(tool, languages):
        acc = {}
        for lang in sorted(languages):
            idx = [i for i, g in enumerate(gold) if g == lang]
            if idx:
                acc[lang] = sum(predicted[tool][i] == lang for i in idx) / len(idx)
        return acc

    present = set(gold)
    common = present & lid_labels & langid_labels & lingua_labels
    scores = {tool: per_language(tool, common) for tool in supported}
    macro = {tool: 100 * statistics.mean(scores[tool].values()) for tool in supported}
    own = {tool: (100 * statistics.mean(per_language(tool, present & supported[tool]).values()),
                  len(present & supported[tool])) for tool in supported}
    n_common = sum(g in common for g in gold)
    table = ", ".join(f"{lang} {100 * scores['sluice'][lang]:.1f}/{100 * scores['langid'][lang]:.1f}/"
                      f"{100 * scores['lingua'][lang]:.1f}" for lang in sorted(common))
    unsupported = sorted(present - lid_labels)
    notes = (f"{n_common} of {len(gold)} texts, the {len(common)} languages all three tools name; per language "
             f"sluice/langid/lingua %: {table}. Macro accuracy on every language each tool names: sluice "
             f"{own['sluice'][0]:.1f} ({own['sluice'][1]} languages), langid {own['langid'][0]:.1f} "
             f"({own['langid'][1]}), lingua {own['lingua'][0]:.1f} ({own['lingua'][1]}); lid.176 names none of "
             f"{', '.join(unsupported) or 'none'}")
    if name.startswith("Tatoeba"):
        notes += ("; the file keeps only sentences with at least 10 % non-ASCII characters; lid.176 was trained on "
                  "Tatoeba among others (fastText's description), so this set favours it")
    rows = []
    for tool, label in (("langid", LANGID), ("lingua", LINGUA + " (all languages, high accuracy)")):
        rows.append({"benchmark": f"language ID accuracy, {name} (lid.176, label_only)", "metric": "macro accuracy %",
                     "sluice": round(macro["sluice"], 2), "reference": round(macro[tool], 2), "reference_tool": label,
                     "ratio": round(macro["sluice"] / macro[tool], 3), "higher_is_better": True, "notes": notes})
    return rows


LANGID_TIMING = """
import json, statistics, sys, time
import langid
texts, runs = json.load(open(sys.argv[1], encoding="utf-8")), int(sys.argv[2])
langid.classify("warm up")
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    for t in texts:
        langid.classify(t)
    times.append(time.perf_counter() - t0)
print(len(texts) / statistics.median(times))
"""


def langid_speed_row(name, texts, sluice_docs_per_s, runs=3):
    """langid's classify timed in a child whose numpy BLAS runs one thread: each call is one small
    matrix-vector product, which a BLAS thread pool on a shared 2-core machine slows 2-3 times."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(texts, f)
    try:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        out = subprocess.run([sys.executable, "-c", LANGID_TIMING, f.name, str(runs)], env=env, check=True,
                             capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    r = float(out.strip().splitlines()[-1])
    return {"benchmark": f"{name} predict", "metric": "docs/s", "sluice": round(sluice_docs_per_s, 1),
            "reference": round(r, 1), "reference_tool": LANGID + " classify", "ratio": round(sluice_docs_per_s / r, 2),
            "higher_is_better": True,
            "notes": f"{len(texts)} docs; the sluice figure is the fastText row's (same run, same documents); "
                     f"classify calls only, median of {runs}, numpy's BLAS on one thread; "
                     f"load average {os.getloadavg()[0]:.1f}"}


def f1_scores(gold, predicted):
    """Accuracy and macro F1 over the labels of `gold` and `predicted` (as `sluice classifier eval`)."""
    labels = sorted(set(gold) | set(predicted))
    f1 = []
    for l in labels:
        tp = sum(g == l and p == l for g, p in zip(gold, predicted))
        fp = sum(g != l and p == l for g, p in zip(gold, predicted))
        fn = sum(g == l and p != l for g, p in zip(gold, predicted))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold), statistics.mean(f1)


def recipe_rows(sluice, corpus, work):
    """Issue 19's quality-classifier recipe as Pipelines/quality-classifier.yaml writes it, on the shared
    corpus: cc = extracted English crawl pages, hq = English Wikipedia articles + WikiText-2 valid
    paragraphs, at least 50 words, balanced, 20 % of each label held out (seed 19). The fastText library
    trains on the same training examples (written by --train-output) and is scored on the same held-out
    examples."""
    import fasttext

    env = dict(os.environ, SLUICE_NO_PROGRESS="1")
    qc = f"{work}/qc"

    def run(args):
        return subprocess.run([sluice] + args, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout

    run(["run", "Pipelines/quality-classifier.yaml", "--output", f"{qc}/cc", "--input",
         os.path.join(corpus, "warc", "crawl", "*.warc.gz")])
    run(["run", "Pipelines/wikipedia.yaml", "--output", f"{qc}/wiki", "--input", os.path.join(corpus, "wiki", "enwiki-*.bz2")])
    t0 = time.perf_counter()
    summary = json.loads(run([
        "classifier", "train", "--documents", f"hq={qc}/wiki", "--documents",
        "hq=" + os.path.join(corpus, "text", "wikitext-2-valid.txt"), "--documents", f"cc={qc}/cc", "--min-words", "50",
        "--balance", "--holdout", "0.2", "--seed", "19", "--output", f"{qc}/quality.slcm",
        "--held-out-output", f"{qc}/held-out.jsonl", "--train-output", f"{qc}/train.jsonl"]))
    sluice_seconds = time.perf_counter() - t0
    with open(f"{qc}/train.jsonl", encoding="utf-8") as f:
        train = [json.loads(l) for l in f]
    with open(f"{qc}/held-out.jsonl", encoding="utf-8") as f:
        held = [json.loads(l) for l in f]
    with open(f"{qc}/ft-train.txt", "w", encoding="utf-8") as f:
        for e in train:
            f.write(f"__label__{e['label']} " + e["text"].replace("\n", " ") + "\n")
    t0 = time.perf_counter()
    model = fasttext.train_supervised(f"{qc}/ft-train.txt", wordNgrams=2, epoch=5, thread=2, verbose=0)
    ft_seconds = time.perf_counter() - t0
    gold = [e["label"] for e in held]
    ft_acc, ft_f1 = f1_scores(gold, [model.predict(e["text"].replace("\n", " "))[0][0].removeprefix("__label__")
                                     for e in held])
    ours = summary["held_out"]
    per_label = ", ".join(f"{l} F1 {v['f1']:.3f} (support {v['support']})" for l, v in sorted(ours["labels"].items()))
    notes = (f"train {len(train)} / held out {len(held)} examples (balanced hq/cc, seed 19; hq: enwiki excerpt articles + "
             f"WikiText-2 valid paragraphs, cc: English crawl pages of warc/crawl, all of at least 50 words); sluice "
             f"{per_label}; fastText wordNgrams 2, 5 epochs on the same examples; train time sluice "
             f"{summary['train_seconds']:.2f} s (whole command {sluice_seconds:.1f} s), fastText {ft_seconds:.2f} s; "
             f"WikiText-2 is tokenized (` @-@ `, `<unk>`), which makes its paragraphs easy to tell apart")
    tool = "fasttext 0.9.2 (wordNgrams 2), same split"
    return [
        {"benchmark": "quality classifier recipe (hq vs cc), held-out accuracy", "metric": "accuracy",
         "sluice": round(ours["accuracy"], 4), "reference": round(ft_acc, 4), "reference_tool": tool,
         "ratio": round(ours["accuracy"] / ft_acc, 3), "higher_is_better": True, "notes": notes},
        {"benchmark": "quality classifier recipe (hq vs cc), held-out macro F1", "metric": "macro-F1",
         "sluice": round(ours["macro_f1"], 4), "reference": round(ft_f1, 4), "reference_tool": tool,
         "ratio": round(ours["macro_f1"] / ft_f1, 3), "higher_is_better": True, "notes": notes},
    ]


def english_pages(pages, count=300):
    """The first `count` pages of the crawl whose URL names English (then those naming no language):
    what a CCNet-style perplexity filter scores (20 dolma documents timed little but start-up)."""
    english = [p["text"] for p in pages if p["lang"] == "en"]
    return (english + [p["text"] for p in pages if p["lang"] is None])[:count]


def perplexity_rows(sluice, docs, work):
    """The `perplexity` step with a model of Pipelines/train-tiny.yaml's shape (trained one step on the
    Shakespeare fixture: speed does not depend on the weights) against transformers' GPT2LMHeadModel
    loading the same checkpoint, both scoring each document's first 256 tokens with 2 threads."""
    import torch
    from tokenizers import Tokenizer
    from transformers import GPT2LMHeadModel

    env = dict(os.environ, SLUICE_NO_PROGRESS="1")
    subprocess.run([sluice, "run", "Pipelines/tokenize.yaml", "--input", "Fixtures/train/tinyshakespeare-16k.txt",
                    "--output", f"{work}/tok"], check=True, capture_output=True, cwd=ROOT, env=env)
    subprocess.run([sluice, "train", "Pipelines/train-tiny.yaml", "--steps", "1", "--out", f"{work}/scorer",
                    "--set", f"data.train=[{work}/tok]"], check=True, capture_output=True, cwd=ROOT, env=env)
    ckpt = f"{work}/scorer/latest"
    path = f"{work}/ppl.jsonl"
    write_jsonl(path, docs)
    mb = sum(len(t.encode()) for t in docs) / 1e6
    sl = []
    for run in range(3):
        t0 = time.perf_counter()
        subprocess.run([sluice, "stage", "perplexity", "--set", f"checkpoint={ckpt}", "--set", "max_tokens=256",
                        "--set", "threads=2", "--input", path, "--output", f"{work}/ppl-out{run}"],
                       check=True, capture_output=True, env=env)
        sl.append(time.perf_counter() - t0)
    torch.set_num_threads(2)
    model = GPT2LMHeadModel.from_pretrained(ckpt).eval()
    tok = Tokenizer.from_file(f"{ckpt}/tokenizer.json")
    ref = []
    for _ in range(3):
        t0 = time.perf_counter()
        with torch.no_grad():
            for t in docs:
                ids = tok.encode(t, add_special_tokens=False).ids[:256]
                if len(ids) >= 2:
                    x = torch.tensor([ids])
                    model(x, labels=x)
        ref.append(time.perf_counter() - t0)
    s, r = len(docs) / statistics.median(sl), len(docs) / statistics.median(ref)
    return [{"benchmark": "perplexity (train-tiny shape, first 256 tokens), English crawl pages", "metric": "docs/s",
             "sluice": round(s, 1), "reference": round(r, 1),
             "reference_tool": f"transformers GPT2LMHeadModel, torch {torch.__version__}", "ratio": round(s / r, 2),
             "higher_is_better": True,
             "notes": f"{len(docs)} docs, {mb:.2f} MB: sluice {mb * s / len(docs):.3f} MB/s; 2 threads each; sluice time is "
                      f"the whole `sluice stage perplexity` process (model load, JSONL in and out), median of 3; "
                      f"load average {os.getloadavg()[0]:.1f}"}]


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
    if os.environ.get("SLUICE_QUALITY_PARTS") == "perplexity":
        # Only the perplexity row; the other rows are kept from the last results file.
        with tempfile.TemporaryDirectory() as work:
            new = perplexity_rows(sluice, english_pages(crawl_pages(a.corpus)), work)
        old = json.load(open(os.path.join(ROOT, "Benchmarks", "results", "quality.json")))["rows"]
        rows = [r for r in old if not r["benchmark"].startswith("perplexity")] + new
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=1)
        return
    if os.environ.get("SLUICE_QUALITY_PARTS") == "language-accuracy-recipe":
        # Only the rows of issue 19's language benchmark and classifier recipe (a loaded machine's
        # partial run): langid docs/s next to a sluice timing of the same sentences, the accuracy rows,
        # the recipe rows.
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(a.corpus, "text", "tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
                sentences = [r[2] for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 3]
            sentences = random.Random(19).sample(sentences, 20000)
            path = f"{work}/tatoeba.jsonl"
            write_jsonl(path, sentences)
            sl = sluice_times(sluice, "language", ["language.label_only=true"], path, 1, runs=1)
            row = langid_speed_row("language ID lid.176, Tatoeba sentences", sentences, len(sentences) / sl[0], runs=1)
            row["notes"] = row["notes"].replace("the sluice figure is the fastText row's (same run, same documents)",
                                                "sluice `language` (label_only) timed just before, 1 run each")
            rows.append(row)
            rows += accuracy_rows(sluice, "Tatoeba sentences", tatoeba_sentences(a.corpus), work)
            rows += accuracy_rows(sluice, "UDHR segments", udhr_segments(a.corpus), work)
            rows += recipe_rows(sluice, a.corpus, work)
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=1)
        return
    with tempfile.TemporaryDirectory() as work:
        pages = crawl_pages(a.corpus)
        rows += speed_rows(sluice, "language ID lid.176, crawl pages (26 languages)", lid, LID,
                           [p["text"] for p in pages], work, "language", ["language.label_only=true"])
        rows += datatrove_rows(sluice, pages, work)
        with open(os.path.join(a.corpus, "text", "tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
            sentences = [r[2] for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 3]
        sentences = random.Random(19).sample(sentences, 20000)
        tatoeba_rows = speed_rows(sluice, "language ID lid.176, Tatoeba sentences", lid, LID, sentences, work,
                                  "language", ["language.label_only=true"])
        rows += tatoeba_rows
        rows.append(langid_speed_row("language ID lid.176, Tatoeba sentences", sentences, tatoeba_rows[0]["sluice"]))
        rows += accuracy_rows(sluice, "Tatoeba sentences", tatoeba_sentences(a.corpus), work)
        rows += accuracy_rows(sluice, "UDHR segments", udhr_segments(a.corpus), work)

        rows += recipe_rows(sluice, a.corpus, work)

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
        try:
            rows += perplexity_rows(sluice, english_pages(pages), work)
        except Exception as e:  # the fastText rows stand on their own
            print(f"perplexity benchmark failed: {e}", file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)
    for r in rows:
        print(f"{r['benchmark']:<70} {r['sluice']:>10} {r['reference']:>10}  x{r['ratio']}", file=sys.stderr)


if __name__ == "__main__":
    main()
