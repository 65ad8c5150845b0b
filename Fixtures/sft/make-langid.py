#!/usr/bin/env python3
"""Builds the language-identification instruction set from Tatoeba (CC0) sentences.

Run from the repository root with ../shared beside it:
    python3 Fixtures/sft/make-langid.py ../shared/corpus/text/tatoeba-nonascii-CC0.tsv Fixtures/sft
Deterministic: sentences of 10 languages, at most 90 UTF-8 bytes, the first 100 per language in
the order of sha1(sentence id); ids whose sha1 ends in a hex digit 0-2 (3/16) are held out.
"""
import hashlib
import json
import sys

LANGUAGES = {
    "kab": "Kabyle", "rus": "Russian", "ber": "Berber", "ben": "Bengali", "bel": "Belarusian",
    "sat": "Santali", "ukr": "Ukrainian", "fin": "Finnish", "fra": "French", "grc": "Ancient Greek",
}
PER_LANGUAGE = 100
MAX_BYTES = 90
PROMPT = "Which language is this sentence in?\n"


def key(sid):
    return hashlib.sha1(sid.encode()).hexdigest()


def main(src, out):
    by_lang = {k: [] for k in LANGUAGES}
    with open(src, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[1] not in by_lang:
                continue
            sid, lang, text = parts
            text = text.strip()
            if 0 < len(text.encode()) <= MAX_BYTES and "\t" not in text:
                by_lang[lang].append((key(sid), sid, text))
    train, held = [], []
    for lang, rows in by_lang.items():
        rows.sort()
        for h, sid, text in rows[:PER_LANGUAGE]:
            rec = {
                "id": f"tatoeba:{sid}",
                "messages": [
                    {"role": "user", "content": PROMPT + text},
                    {"role": "assistant", "content": LANGUAGES[lang]},
                ],
            }
            (held if h[-1] in "012" else train).append((h, rec))
    for name, rows in (("tatoeba-langid-train.jsonl", train), ("tatoeba-langid-heldout.jsonl", held)):
        rows.sort(key=lambda r: r[0])
        with open(f"{out}/{name}", "w", encoding="utf-8") as f:
            for _, rec in rows:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
