#!/usr/bin/env python3
"""Recipe benchmarks: pii, decontaminate and paragraph_dedup against their reference tools, each
pair on the same input in one run.

1. PII. A labelled set built from real text: WikiText-2 validation paragraphs (dates, years,
   measurements, ISBN-like numbers: the hard negatives) with planted PII of five kinds (e-mail,
   public IPv4/IPv6, phone numbers in US/UK/DE/FR/IN formats, Luhn-valid cards, checksum-valid
   IBANs) and planted look-alikes that must stay (private IPs, cards failing Luhn, IBANs failing
   mod 97, dates, versions, order numbers). Fixed seed; split in halves, the scanners were written
   before the set existed and the rows report half B only. Precision/recall per kind (a found span
   counts when it overlaps a planted span of its kind) for `pii` (tag mode, through `sluice run`),
   datatrove 0.10.1's PIIFormatter (its own regexes and validator: e-mail and IPv4 only) and
   Presidio's pattern recognizers (presidio-analyzer 2.2.366: Email, Ip, Phone, CreditCard, Iban;
   no NLP engine). Speed: docs/s of the redaction calls only (`sluice clean-verdicts`, no JSON
   I/O) against PIIFormatter.format and the five Presidio recognizers, in-process.
2. Decontamination. Eval set: the WikiText-2 validation split (one example per line). Corpus: the
   shared Wget crawl's pages extracted by Sluice (every visible block), with excerpts of 20-60
   tokens of eval examples planted in 3 % of them. `decontaminate` (13-grams) against datatrove's
   NGramsDecontFilter with n_grams=13, its index written with its own tokenizer and hash function
   (its indexer needs lighteval). Recall of the planted documents, flags on the others, docs/s
   (sluice end to end with its three passes and JSON I/O; datatrove the filter calls only).
3. Paragraph dedup. The same extracted pages (menus and footers repeat across pages): `paragraph_dedup`
   (unit line) against datatrove's SentenceDedup with split_sentences=False, n_sentences=1,
   min_doc_words=0, min_num_sentences=0 and only whitespace normalisation (line dedup, keep first);
   removed bytes (input text bytes minus output text bytes) and end-to-end seconds, both on
   2 workers.

Usage: bench.py --sluice PATH --out rows.json [--corpus ../shared/corpus]
"""
import argparse
import glob
import io
import ipaddress
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KINDS = ["email", "ipv4", "ipv6", "phone", "credit_card", "iban"]
ENTITY_KIND = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card", "IBAN_CODE": "iban"}


def load():
    return os.getloadavg()[0]


def read_jsonl_dir(folder):
    """Every document under a sluice output folder (.jsonl, .jsonl.zst, .jsonl.gz)."""
    import gzip
    import zstandard

    docs = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.jsonl*"), recursive=True)):
        rel = os.path.relpath(path, folder)
        if any(part.startswith(("_", ".")) for part in rel.split(os.sep)):
            continue  # work files of corpus stages, temporary and marker folders
        if path.endswith(".zst"):
            with open(path, "rb") as f:
                data = zstandard.ZstdDecompressor().stream_reader(f).read()
        elif path.endswith(".gz"):
            data = gzip.open(path).read()
        else:
            data = open(path, "rb").read()
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                docs.append(json.loads(line))
    return docs


def run_pipeline(sluice, yaml_text, out_dir, workers=2):
    path = out_dir + "-pipeline.yaml"
    with open(path, "w") as f:
        f.write(yaml_text)
    subprocess.run(["rm", "-rf", out_dir], check=True)
    start = time.perf_counter()
    p = subprocess.run([sluice, "run", path, "--workers", str(workers)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"sluice run failed: {p.stderr[-2000:]}")
    return seconds


# --- 1. PII -------------------------------------------------------------------------------------

FIRST = ["jane", "john", "maria", "wei", "fatima", "olga", "pierre", "aiko", "lars", "amara", "diego", "noor"]
LAST = ["doe", "smith", "garcia", "chen", "khan", "ivanova", "martin", "tanaka", "berg", "okafor", "silva", "haddad"]
DOMAINS = ["example.com", "mail.example.org", "uni-heidelberg.de", "company.co.uk", "gmail.com", "outlook.fr",
           "research.lab.io", "post.example.net"]


def luhn_digit(body):
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def iban_check(cc, bban):
    numeric = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{98 - int(numeric) % 97:02d}"


class Planter:
    def __init__(self, rng):
        self.r = rng

    def digits(self, n):
        return "".join(str(self.r.randint(0, 9)) for _ in range(n))

    def email(self):
        f, l = self.r.choice(FIRST), self.r.choice(LAST)
        local = self.r.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}{self.r.randint(1, 99)}", f"{f}+news", l])
        return local + "@" + self.r.choice(DOMAINS)

    def ipv4(self):
        while True:
            a = ipaddress.IPv4Address(self.r.getrandbits(32))
            if a.is_global and not a.is_multicast:
                return str(a)

    def private_ipv4(self):
        return self.r.choice([f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}",
                              f"192.168.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}", "127.0.0.1",
                              f"172.{self.r.randint(16, 31)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"])

    def ipv6(self):
        while True:
            head = self.r.choice([0x2001, 0x2400, 0x2600, 0x2606, 0x2a00, 0x2a03, 0x2c0f])
            groups = [head] + [self.r.getrandbits(16) for _ in range(3)] + [0] * self.r.randint(0, 3)
            groups += [self.r.getrandbits(16) for _ in range(8 - len(groups))]
            a = ipaddress.IPv6Address(int("".join(f"{g:04x}" for g in groups), 16))
            if a.is_global:
                return a.compressed if self.r.random() < 0.7 else a.exploded

    def phone(self):
        r = self.r
        area = str(r.randint(2, 9)) + self.digits(2)
        exch = str(r.randint(2, 9)) + self.digits(2)
        line = self.digits(4)
        return r.choice([
            f"({area}) {exch}-{line}", f"{area}-{exch}-{line}", f"{area}.{exch}.{line}", f"+1 {area} {exch} {line}",
            f"1-{area}-{exch}-{line}", f"+44 20 {self.digits(4)} {self.digits(4)}",
            f"+44 7{self.digits(3)} {self.digits(6)}", f"020 {self.digits(4)} {self.digits(4)}",
            f"+49 30 {self.digits(8)}", f"+33 6 {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
            f"06 {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}", f"+91 9{self.digits(4)} {self.digits(5)}",
        ])

    def card(self, valid=True):
        r = self.r
        prefix, length = r.choice([("4", 16), (str(r.randint(51, 55)), 16), (r.choice(["34", "37"]), 15), ("6011", 16)])
        body = prefix + self.digits(length - 1 - len(prefix))
        check = luhn_digit(body)
        if not valid:
            check = str((int(check) + r.randint(1, 9)) % 10)
        n = body + check
        style = r.random()
        if length == 15 and style < 0.5:
            return f"{n[:4]} {n[4:10]} {n[10:]}"
        if style < 0.4:
            return " ".join(n[i:i + 4] for i in range(0, length, 4))
        if style < 0.6:
            return "-".join(n[i:i + 4] for i in range(0, length, 4))
        return n

    def iban(self, valid=True):
        r = self.r
        cc, bban = r.choice([
            ("DE", lambda: self.digits(18)), ("GB", lambda: "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + self.digits(14)),
            ("FR", lambda: self.digits(23)), ("NL", lambda: "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + self.digits(10)),
            ("ES", lambda: self.digits(20)), ("IT", lambda: r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + self.digits(22)),
        ])
        bban = bban()
        check = iban_check(cc, bban)
        if not valid:
            check = f"{(int(check) + r.randint(1, 90)) % 97 + 2:02d}"
        s = cc + check + bban
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if r.random() < 0.5 else s

    def negative(self):
        r = self.r
        return r.choice([
            self.private_ipv4, lambda: self.card(valid=False), lambda: self.iban(valid=False),
            lambda: f"{r.randint(1990, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            lambda: f"v{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}",
            lambda: f"978-{r.randint(0, 9)}-{self.digits(3)}-{self.digits(5)}-{r.randint(0, 9)}",
            lambda: f"order {self.digits(12)}", lambda: f"${r.randint(1, 9)},{self.digits(3)}.{self.digits(2)}",
            lambda: f"{self.digits(3)}-{self.digits(4)}",
        ])()

    LABELS = {"email": ["e-mail", "write to", "contact"], "ipv4": ["from IP", "host"], "ipv6": ["address", "via"],
              "phone": ["call", "tel.", "phone"], "credit_card": ["card", "paid with card"], "iban": ["IBAN", "account"]}

    def plant(self, words):
        """Inserts 0-4 items into `words`; returns text and gold spans [(kind, start, end)]."""
        r = self.r
        inserts = {}
        for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4])):
            pos = r.randint(0, len(words))
            if r.random() < 0.25:
                inserts.setdefault(pos, []).append((None, self.negative()))
                continue
            kind = r.choice(KINDS)
            value = {"email": self.email, "ipv4": self.ipv4, "ipv6": self.ipv6, "phone": self.phone,
                     "credit_card": self.card, "iban": self.iban}[kind]()
            inserts.setdefault(pos, []).append((kind, value))
        text = ""
        gold = []
        for i in range(len(words) + 1):
            for kind, value in inserts.get(i, []):
                label = r.choice(self.LABELS[kind]) if kind else r.choice(["ref", "no.", "see", ""])
                text += (label + " " if label else "")
                if kind:
                    gold.append((kind, len(text), len(text) + len(value)))
                text += value + r.choice([" ", ", ", ". "])
            if i < len(words):
                text += words[i] + " "
        return text.rstrip(), gold


def build_pii_set(corpus):
    with open(os.path.join(corpus, "text", "wikitext-2-valid.txt"), encoding="utf-8") as f:
        paragraphs = [l.strip() for l in f if len(l.split()) >= 30]
    rng = random.Random(21)
    order = list(range(len(paragraphs)))
    rng.shuffle(order)
    half_b = sorted(order[len(order) // 2:])
    planter = Planter(random.Random(2121))
    docs = []
    for i in half_b:
        text, gold = planter.plant(paragraphs[i].split(" "))
        docs.append({"id": f"wt2v-{i}", "text": text, "gold": gold})
    return docs


def ip_kind(text):
    return "ipv6" if ":" in text else "ipv4"


def score(docs, predictions):
    """predictions[i]: list of (kind, start, end). Returns {kind: (tp, fp, fn)}."""
    out = {k: [0, 0, 0] for k in KINDS}
    for d, pred in zip(docs, predictions):
        gold = list(d["gold"])
        used = [False] * len(gold)
        for kind, s, e in pred:
            if kind not in out:
                continue
            hit = next((j for j, (gk, gs, ge) in enumerate(gold) if not used[j] and gk == kind and s < ge and gs < e), None)
            if hit is None:
                out[kind][1] += 1
            else:
                used[hit] = True
                out[kind][0] += 1
        for j, (gk, _, _) in enumerate(gold):
            if not used[j]:
                out[gk][2] += 1
    return out


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bench_pii(sluice, corpus, tmp, rows):
    docs = build_pii_set(corpus)
    src = os.path.join(tmp, "pii-in")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "docs.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
    out = os.path.join(tmp, "pii-out")
    run_pipeline(sluice, f"""input:
  paths: ["{src}/docs.jsonl"]
output: {out}
stages:
  - pii: {{mode: tag}}
  - write: {{compression: none}}
""", out)
    tagged = {d["id"]: d for d in read_jsonl_dir(out)}
    sluice_pred = []
    for d in docs:
        spans = tagged[d["id"]].get("metadata", {}).get("pii", [])
        pred = []
        for s, e, entity in spans:
            kind = ip_kind(d["text"][s:e]) if entity == "IP_ADDRESS" else ENTITY_KIND[entity]
            pred.append((kind, s, e))
        sluice_pred.append(pred)

    from datatrove.pipeline.formatters import PIIFormatter

    dt = PIIFormatter()
    dt_pred = []
    for d in docs:
        t = d["text"]
        pred = [("email",) + m.span() for m in dt.emails_replacer.regex.finditer(t)]
        pred += [("ipv4",) + m.span() for m in dt.ip_replacer.regex.finditer(t) if dt.ip_replacer.validator(m.group(0))]
        dt_pred.append(pred)

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    logging.getLogger("presidio-analyzer").setLevel(logging.CRITICAL)
    from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IbanRecognizer,
                                                          IpRecognizer, PhoneRecognizer)

    recognizers = [EmailRecognizer(), IpRecognizer(), PhoneRecognizer(), CreditCardRecognizer(), IbanRecognizer()]

    def presidio(t):
        pred = []
        for rec in recognizers:
            for x in rec.analyze(t, rec.supported_entities, None):
                kind = ip_kind(t[x.start:x.end]) if x.entity_type == "IP_ADDRESS" else ENTITY_KIND.get(x.entity_type)
                pred.append((kind, x.start, x.end))
        return pred

    presidio(docs[0]["text"])  # tldextract's first-use setup outside the timing
    pr_pred = [presidio(d["text"]) for d in docs]

    ours, theirs, pres = score(docs, sluice_pred), score(docs, dt_pred), score(docs, pr_pred)
    planted = sum(len(d["gold"]) for d in docs)
    base = f"{len(docs)} WikiText-2 valid paragraphs (half B), {planted} planted PII spans + look-alikes; seed 21/2121"
    for kind in KINDS:
        s = prf(*ours[kind])
        for tool, res, covers in [("datatrove 0.10.1 PIIFormatter", theirs, kind in ("email", "ipv4")),
                                  ("presidio-analyzer 2.2.366 pattern recognizers", pres, True)]:
            if not covers:
                continue
            ref = prf(*res[kind])
            gold_n = ours[kind][0] + ours[kind][2]
            rows.append({
                "benchmark": f"pii {kind} (tag mode)", "metric": "F1", "sluice": round(s[2], 4),
                "reference": round(ref[2], 4), "reference_tool": tool, "higher_is_better": True,
                "notes": f"{gold_n} planted; sluice P {s[0]:.3f} R {s[1]:.3f}; reference P {ref[0]:.3f} R {ref[1]:.3f}; {base}"
                + ("; Presidio's IpRecognizer does not exclude private addresses" if kind == "ipv4" and "presidio" in tool else ""),
            })

    # Speed: the redaction calls only, median of three.
    path = os.path.join(src, "docs.jsonl")
    repeat = 20
    ours_s = []
    for _ in range(3):
        p = subprocess.run([sluice, "clean-verdicts", "--stages", "pii", "--input", path, "--repeat-count", str(repeat),
                            "--quiet"], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr)
        info = json.loads(p.stderr.strip().splitlines()[-1])
        ours_s.append(info["seconds"] / info["documents"])
    texts = [d["text"] for d in docs]
    dt_s = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            for t in texts:
                dt.format(t)
        dt_s.append((time.perf_counter() - start) / (repeat * len(texts)))
    start = time.perf_counter()
    for t in texts:
        presidio(t)
    pr_s = (time.perf_counter() - start) / len(texts)
    ours_dps = 1 / statistics.median(ours_s)
    note = f"{len(texts)} documents, redaction calls only (no JSON I/O), median of 3; load {load():.1f}"
    rows.append({"benchmark": "pii redact, 5 kinds vs datatrove's 2", "metric": "docs/s", "sluice": round(ours_dps),
                 "reference": round(1 / statistics.median(dt_s)), "reference_tool": "datatrove 0.10.1 PIIFormatter",
                 "higher_is_better": True, "notes": note + "; datatrove finds e-mails and IPv4 only"})
    rows.append({"benchmark": "pii redact, 5 kinds", "metric": "docs/s", "sluice": round(ours_dps),
                 "reference": round(1 / pr_s), "reference_tool": "presidio-analyzer 2.2.366 pattern recognizers",
                 "higher_is_better": True, "notes": note + "; Presidio one pass, 5 recognizers"})


# --- shared web corpus ----------------------------------------------------------------------------

def extract_pages(sluice, corpus, tmp):
    """The shared crawl's HTML pages as JSONL, every visible block kept (boilerplate included)."""
    out = os.path.join(tmp, "pages")
    run_pipeline(sluice, f"""input:
  paths: ["{corpus}/warc/crawl/*.warc.gz"]
  options: {{record_types: [response], mime_types: [text/html], status: [200]}}
output: {out}
tasks: 5
stages:
  - extract: {{main_content: false}}
  - length: {{min_words: 20}}
  - write: {{compression: none}}
""", out)
    return read_jsonl_dir(out)


def write_files(docs, folder, files=4):
    os.makedirs(folder, exist_ok=True)
    per = (len(docs) + files - 1) // files
    for k in range(files):
        with open(os.path.join(folder, f"docs-{k}.jsonl"), "w", encoding="utf-8") as f:
            for d in docs[k * per:(k + 1) * per]:
                f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")


# --- 2. Decontamination -------------------------------------------------------------------------

def bench_decontam(sluice, corpus, tmp, pages, rows):
    with open(os.path.join(corpus, "text", "wikitext-2-valid.txt"), encoding="utf-8") as f:
        examples = [l.strip() for l in f if l.strip()]
    eval_path = os.path.join(tmp, "wikitext-2-valid.txt")
    with open(eval_path, "w", encoding="utf-8") as f:
        f.write("\n".join(examples) + "\n")
    rng = random.Random(13)
    long_examples = [e for e in examples if len(e.split(" ")) >= 80]
    docs = []
    planted = set()
    for p in pages:
        text = p["text"]
        if rng.random() < 0.03:
            tokens = rng.choice(long_examples).split(" ")
            n = rng.randint(20, 60)
            start = rng.randint(0, len(tokens) - n)
            lines = text.split("\n")
            at = rng.randint(0, len(lines))
            lines.insert(at, " ".join(tokens[start:start + n]))
            text = "\n".join(lines)
            planted.add(p["id"])
        docs.append({"id": p["id"], "text": text})
    src = os.path.join(tmp, "decontam-in")
    write_files(docs, src)
    out = os.path.join(tmp, "decontam-out")
    yaml_text = f"""input:
  paths: ["{src}/docs-*.jsonl"]
output: {out}
tasks: 4
stages:
  - decontaminate: {{eval_sets: ["{eval_path}"], action: tag}}
  - write: {{compression: none}}
"""
    times = [run_pipeline(sluice, yaml_text, out) for _ in range(3)]
    flagged = {d["id"] for d in read_jsonl_dir(out) if d.get("metadata", {}).get("eval_overlap")}
    report = subprocess.run([sluice, "decontam", "report", out], capture_output=True, text=True).stdout
    summary = json.load(open(glob.glob(os.path.join(out, "**", "decontam-summary.json"), recursive=True)[0]))

    import numpy as np
    from datatrove.data import Document
    from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter
    from datatrove.utils.text import ngrams, simplify_text

    index_dir = os.path.join(tmp, "dt-index")
    os.makedirs(index_dir, exist_ok=True)
    config = NGramsDecontConfig(n_grams=13)
    filt = NGramsDecontFilter(index_folder=index_dir, config=config)
    hashes = set()
    for e in examples:
        tokens = filt.tokenizer.word_tokenize(simplify_text(e, config.norm_config))
        for g in ngrams(tokens, 13):
            hashes.add(filt.hash_func(" ".join(g)))
    np.array(sorted(hashes), dtype=np.dtype(config.hash_config.np_descr)).tofile(
        os.path.join(index_dir, "wikitext.index.hashes"))
    filt.load_index_hashes()
    dt_times = []
    dt_flagged = set()
    for _ in range(3):
        dt_flagged = set()
        start = time.perf_counter()
        for d in docs:
            r = filt.filter(Document(text=d["text"], id=d["id"]))
            if r is not True:
                dt_flagged.add(d["id"])
        dt_times.append(time.perf_counter() - start)
    n = len(docs)
    rec_s = len(flagged & planted) / len(planted)
    rec_d = len(dt_flagged & planted) / len(planted)
    extra_s, extra_d = len(flagged - planted), len(dt_flagged - planted)
    both = len(flagged & dt_flagged)
    either = len(flagged | dt_flagged)
    e = summary["evalSets"][0]
    base = (f"{n} crawl pages (Sluice extract, every block), {len(planted)} with a planted 20-60 token excerpt of "
            f"{len(examples)} WikiText-2 valid examples; 13-grams; flagged by both {both} of {either}")
    rows.append({"benchmark": "decontaminate, planted eval excerpts found", "metric": "recall", "sluice": round(rec_s, 4),
                 "reference": round(rec_d, 4), "reference_tool": "datatrove 0.10.1 NGramsDecontFilter (n_grams=13)",
                 "higher_is_better": True,
                 "notes": f"{base}; other pages flagged: sluice {extra_s}, datatrove {extra_d}; sluice report: "
                          f"{e['matchedNgrams']} n-grams matched, {e['boilerplateNgrams']} flagged boilerplate, "
                          f"{e['matchedDocumentsWithoutBoilerplate']} of {e['matchedDocuments']} documents without them; "
                          f"report {len(report.splitlines())} lines"})
    rows.append({"benchmark": "decontaminate, 13-gram index of WikiText-2 valid", "metric": "docs/s",
                 "sluice": round(n / statistics.median(times)), "reference": round(n / statistics.median(dt_times)),
                 "reference_tool": "datatrove 0.10.1 NGramsDecontFilter (n_grams=13)", "higher_is_better": True,
                 "notes": f"median of 3; sluice end to end (index, match, summary passes, JSON in and out, 2 workers); "
                          f"datatrove the filter calls only, index preloaded; load {load():.1f}"})


# --- 3. Paragraph dedup ---------------------------------------------------------------------------

def text_bytes(docs):
    return sum(len(d["text"].encode("utf-8")) for d in docs)


def bench_paragraph(sluice, tmp, pages, rows):
    src = os.path.join(tmp, "para-in")
    # datatrove's SentenceDedup keeps a sentence's index as uint16: a page of more than 65,535
    # lines makes it fail (OverflowError), so such pages are left out for both tools.
    docs = [{"id": p["id"], "text": p["text"]} for p in pages if p["text"].count("\n") < 65000]
    too_long = len(pages) - len(docs)
    write_files(docs, src)
    total = text_bytes(docs)
    out = os.path.join(tmp, "para-out")
    yaml_text = f"""input:
  paths: ["{src}/docs-*.jsonl"]
output: {out}
tasks: 4
stages:
  - paragraph_dedup: {{}}
  - write: {{compression: none}}
"""
    times = [run_pipeline(sluice, yaml_text, out) for _ in range(3)]
    ours_out = read_jsonl_dir(out)
    ours_removed = total - text_bytes(ours_out)

    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.sentence_dedup import (SentDedupConfig, SentenceDedupFilter, SentenceDedupSignature,
                                                         SentenceFindDedups)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.text import TextNormConfig

    config = SentDedupConfig(n_sentences=1, split_sentences=False, min_doc_words=0, min_num_sentences=0,
                             norm_config=TextNormConfig(lowercase=False, norm_whitespace=True, remove_punctuation=False,
                                                        norm_unicode_diacritics=False, norm_numbers=False))
    dt_times = []
    for rep in range(3):
        work = os.path.join(tmp, f"dt-para-{rep}")
        subprocess.run(["rm", "-rf", work], check=True)
        logs = os.path.join(work, "logs")
        start = time.perf_counter()
        LocalPipelineExecutor(pipeline=[JsonlReader(src, glob_pattern="docs-*.jsonl"),
                                        SentenceDedupSignature(output_folder=os.path.join(work, "sigs"), config=config,
                                                               finder_workers=1)],
                              tasks=4, workers=2, logging_dir=logs + "/1").run()
        LocalPipelineExecutor(pipeline=[SentenceFindDedups(data_folder=os.path.join(work, "sigs"),
                                                           output_folder=os.path.join(work, "dups"), config=config)],
                              tasks=1, workers=1, logging_dir=logs + "/2").run()
        LocalPipelineExecutor(pipeline=[JsonlReader(src, glob_pattern="docs-*.jsonl"),
                                        SentenceDedupFilter(data_folder=os.path.join(work, "dups"), config=config),
                                        JsonlWriter(os.path.join(work, "out"), compression=None)],
                              tasks=4, workers=2, logging_dir=logs + "/3").run()
        dt_times.append(time.perf_counter() - start)
    dt_out = read_jsonl_dir(os.path.join(tmp, "dt-para-2", "out"))
    dt_removed = total - text_bytes(dt_out)
    diff = abs(ours_removed - dt_removed) / dt_removed if dt_removed else 0.0
    base = (f"{len(docs)} crawl pages (Sluice extract, every block), {total:,} text bytes, 4 files; "
            f"{too_long} page(s) of over 65,000 lines left out (datatrove's uint16 sentence index)")
    rows.append({"benchmark": "paragraph_dedup (line), bytes removed", "metric": "bytes removed", "sluice": ours_removed,
                 "reference": dt_removed, "reference_tool": "datatrove 0.10.1 SentenceDedup (lines, n_sentences=1)",
                 "higher_is_better": True,
                 "notes": f"{base}; difference {diff * 100:.2f} % of datatrove's; documents left: sluice {len(ours_out)}, "
                          f"datatrove {len(dt_out)}; exact lines (datatrove: whitespace-normalised)"})
    rows.append({"benchmark": "paragraph_dedup (line), end to end", "metric": "seconds",
                 "sluice": round(statistics.median(times), 3), "reference": round(statistics.median(dt_times), 3),
                 "reference_tool": "datatrove 0.10.1 SentenceDedup (lines, n_sentences=1)", "higher_is_better": False,
                 "notes": f"{base}; median of 3, 2 workers each, JSON in and out; load {load():.1f}"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--only", default=os.environ.get("SLUICE_RECIPE_PARTS", "pii,decontam,paragraph"))
    a = ap.parse_args()
    sluice = os.path.abspath(a.sluice)
    corpus = os.path.abspath(a.corpus)
    parts = a.only.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sluice-bench-recipe-") as tmp:
        if "pii" in parts:
            bench_pii(sluice, corpus, tmp, rows)
        if "decontam" in parts or "paragraph" in parts:
            pages = extract_pages(sluice, corpus, tmp)
            if "decontam" in parts:
                bench_decontam(sluice, corpus, tmp, pages, rows)
            if "paragraph" in parts:
                bench_paragraph(sluice, tmp, pages, rows)
    for r in rows:
        if r["higher_is_better"]:
            r["ratio"] = round(r["sluice"] / r["reference"], 3) if r["reference"] else None
        else:
            r["ratio"] = round(r["reference"] / r["sluice"], 3) if r["sluice"] else None
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)
    for r in rows:
        print(f"{r['benchmark']:55} {r['metric']:14} {r['sluice']!s:>12} {r['reference']!s:>12} {r['ratio']!s:>7}")


if __name__ == "__main__":
    main()
