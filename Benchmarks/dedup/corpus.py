"""Synthetic near-duplicate corpora built from real text in ../shared/corpus, and the shared
shingling used for ground truth and for feeding the reference tools.

Documents are runs of real sentences (WikiText-2, Botchan, Tiny Shakespeare, CCNet documents,
Tatoeba sentences in Latin and Cyrillic scripts) of 40–400 words. A fraction of them get one or
two copies with word edits (substitution, deletion, insertion at random positions) at a rate drawn
uniformly from the set's range. The injected groups are recorded as truth candidates; the truth
itself is exact word-5-gram Jaccard >= 0.8 (computed by `jaccard`).
"""
import os, random, re, unicodedata, json

import orjson

CORPUS = os.environ.get("SLUICE_CORPUS") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus")

# --- shingling (datatrove simplify_text, then word 5-grams), mirrors Sluice's Shingler ---------
_table = {}
for cp in range(0x3000):
    c = chr(cp)
    cat = unicodedata.category(c)
    if 0x300 <= cp <= 0x36F or 0x1AB0 <= cp <= 0x1AFF or 0x1DC0 <= cp <= 0x1DFF or 0x20D0 <= cp <= 0x20FF:
        _table[cp] = None
    elif "0" <= c <= "9":
        _table[cp] = "0"
    elif cat[0] in "PSZC" or c == "_":
        _table[cp] = " "


def words(text):
    t = text.lower()
    if not t.isascii():
        t = unicodedata.normalize("NFD", t)
    return t.translate(_table).split()


def shingles(text, n=5):
    w = words(text)
    if not w:
        return set()
    if len(w) < n:
        return {" ".join(w)}
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def jaccard(a, b):
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# --- building the sets ------------------------------------------------------------------------
def sentence_pool():
    pool = []
    split = re.compile(r"(?<=[.!?])\s+")
    def add_text(text):
        for s in split.split(text):
            s = " ".join(s.split())
            if len(s.split()) >= 4:
                pool.append(s)
    with open(os.path.join(CORPUS, "text", "wikitext-2-valid.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("="):
                add_text(line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", "."))
    for name in ("botchan.txt", "tinyshakespeare.txt"):
        with open(os.path.join(CORPUS, "text", name), encoding="utf-8-sig") as f:
            add_text(f.read().replace("\n", " "))
    for name in ("dolma-cc_en_head-0091.jsonl", "dolma-cc_en_head-0174.jsonl"):
        with open(os.path.join(CORPUS, "text", name), encoding="utf-8") as f:
            for line in f:
                add_text(json.loads(line)["text"].replace("\n", " "))
    with open(os.path.join(CORPUS, "text", "tatoeba-nonascii-CC0.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            # Latin, Greek and Cyrillic only: scripts whose word boundaries every tool agrees on.
            if len(parts) == 3 and all(ord(c) < 0x530 or c in "–—«»„“”‘’…" for c in parts[2]):
                add_text(parts[2])
    return pool


def build(out_dir, documents, edit_low, edit_high, seed=1234, files=8, dup_fraction=0.12):
    """Writes out_dir/docs-NNN.jsonl (documents in total) and out_dir/groups.jsonl (id lists of injected groups)."""
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(seed)
    pool = sentence_pool()
    vocab = [w for s in rng.sample(pool, min(len(pool), 20000)) for w in s.split()]
    # Copies per source: 1 or 2 (mean 1.5), so sources = documents * f / (1 + 1.5 f).
    sources = int(documents * dup_fraction / (1 + 1.5 * dup_fraction))
    base_count = documents - 0
    docs = []  # (text, group or -1)
    def new_doc():
        target = rng.randint(40, 400)
        parts, n = [], 0
        while n < target:
            s = pool[rng.randrange(len(pool))]
            parts.append(s)
            n += s.count(" ") + 1
        return " ".join(parts)
    def edit(text):
        w = text.split()
        rate = rng.uniform(edit_low, edit_high)
        for _ in range(max(1, round(rate * len(w)))):
            op = rng.randrange(3)
            i = rng.randrange(len(w))
            if op == 0:
                w[i] = rng.choice(vocab)
            elif op == 1 and len(w) > 5:
                del w[i]
            else:
                w.insert(i, rng.choice(vocab))
        return " ".join(w)
    group = 0
    while len(docs) < documents:
        text = new_doc()
        if group < sources:
            copies = min(rng.randint(1, 2), documents - len(docs) - 1)
            docs.append((text, group))
            for _ in range(copies):
                docs.append((edit(text), group))
            group += 1
        else:
            docs.append((text, -1))
    rng.shuffle(docs)
    groups = {}
    handles = [open(os.path.join(out_dir, f"docs-{k:03d}.jsonl"), "wb") for k in range(files)]
    per_file = (len(docs) + files - 1) // files
    for i, (text, g) in enumerate(docs):
        doc_id = f"d{i}"
        handles[i // per_file].write(orjson.dumps({"id": doc_id, "text": text, "source": "synthetic"}) + b"\n")
        if g >= 0:
            groups.setdefault(g, []).append(doc_id)
    for h in handles:
        h.close()
    with open(os.path.join(out_dir, "groups.jsonl"), "wb") as f:
        for g in sorted(groups):
            f.write(orjson.dumps(groups[g]) + b"\n")
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump({"documents": len(docs), "groups": len(groups), "edit_low": edit_low, "edit_high": edit_high,
                   "seed": seed, "files": files, "pool_sentences": len(pool)}, f)


def iter_docs(set_dir, limit=None):
    """(id, text) in file order, the first `limit` documents."""
    n = 0
    for name in sorted(os.listdir(set_dir)):
        if name.startswith("docs-") and name.endswith(".jsonl"):
            with open(os.path.join(set_dir, name), "rb") as f:
                for line in f:
                    d = orjson.loads(line)
                    yield d["id"], d["text"]
                    n += 1
                    if limit is not None and n >= limit:
                        return
