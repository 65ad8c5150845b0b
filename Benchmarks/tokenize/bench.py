#!/usr/bin/env python3
"""Tokenizer and token-shard benchmarks: Sluice side by side with the reference tools, one run.

Input: the plain-text corpora of ../shared/corpus/text (Tiny Shakespeare, Botchan, 吾輩は猫である,
WikiText-2 valid, Tatoeba non-ASCII in 40 languages; 11.1 MB, a sequence per line). Held-out text
for compression: the UDHR in 49 languages (text column) and the 20 dolma Common Crawl documents,
neither in the training set; bytes/token = held-out UTF-8 bytes / tokens.

Rows:
- BPE training, vocab 8192 and 32768 (byte-level, GPT-2 split, 2 threads): `sluice tokenizer
  train` wall time vs HF tokenizers `Tokenizer.train(files, BpeTrainer)` (median of 3); plus a
  compression row (bytes/token, both tokenizers encoded by HF on the held-out text).
- Unigram training, vocab 8000: `sluice tokenizer train --model unigram` vs sentencepiece
  (`model_type=unigram`, byte_fallback=True like ours, default nmt_nfkc, 2 threads), 1 run each;
  compression row as above (sentencepiece encodes its own, HF encodes ours).
- Encoding single thread: `sluice dev encode-speed --workers 1` (encode time only,
  reported by sluice) vs tiktoken 0.14.0 `encode_ordinary` with the same merges (ranks taken from
  our 32768 BPE, GPT-2 pattern); ids are compared.
- Encoding all cores: `--workers 2` vs HF `encode_batch` (rayon, all cores), same tokenizer.
- The newest encoders, same tokenizer.json, same text, each timed in its own process around the
  batch call only (as sluice reports its encode time): tokie `encode_batch` (HF tokenizer.json) and
  riptoken `encode_ordinary_batch` (tiktoken-style ranks from the same file, GPT-2 pattern), at
  RAYON_NUM_THREADS=1 and at all cores; ids are compared with HF's on sampled lines.
- The newest BPE trainers beside HF: rustbpe `train_from_iterator` and bpeasy `train_bpe` on the
  same lines, same vocabulary size (256 bytes + merges = ours less the special token), GPT-2
  pattern, all cores, one run each (bpeasy takes minutes); compression of each on the held-out
  text (tiktoken encodes their ranks).
- Shard writing, MB of text per second: `sluice shards write` (encode + zstd frames + index, 2
  threads) vs the same done in Python: HF `encode_batch`, EOS appended, uint16, zstandard level 3
  frames of 32768 tokens written to a file.
- Shard reading: random windows of 1025 tokens, tokens/s: `sluice dev shards-sample` (zstd frames,
  checksums verified) with the decoded-frame cache (64 MiB) and without it, vs numpy memmap of the
  nanoGPT/llm.c export (uncompressed .bin, as nanoGPT's get_batch reads it).
"""
import argparse
import glob
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
TEXT = os.path.join(CORPUS, "text")
TRAIN = [os.path.join(TEXT, f) for f in
         ["tinyshakespeare.txt", "botchan.txt", "wagahaiwa_nekodearu.txt", "wikitext-2-valid.txt", "tatoeba-nonascii-CC0.tsv"]]
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
QUICK = os.environ.get("SLUICE_BENCH_QUICK") == "1"


def run(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr[-2000:]}")
    return time.perf_counter() - t, r.stdout


def median_time(fn, n):
    times = []
    out = None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def row(bench, metric, ours, ref, tool, higher, notes=""):
    ratio = ours / ref if higher else ref / ours
    return {"benchmark": bench, "metric": metric, "sluice": round(ours, 4), "reference": round(ref, 4),
            "reference_tool": tool, "ratio": round(ratio, 3), "higher_is_better": higher, "notes": notes}


def held_out_lines():
    lines = []
    for p in sorted(glob.glob(os.path.join(TEXT, "udhr", "human_rights_*.txt"))):
        with open(p, encoding="utf-8") as f:
            lines += [l.rstrip("\n").split("\t", 1)[-1] for l in f if l.strip()]
    for p in sorted(glob.glob(os.path.join(TEXT, "dolma-*.jsonl"))):
        with open(p, encoding="utf-8") as f:
            lines += [json.loads(l)["text"] for l in f if l.strip()]
    return lines


def load():
    return "%.1f/%.1f/%.1f" % os.getloadavg()


def train_rustbpe(lines, vocab):
    import rustbpe
    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(iter(lines), vocab, pattern=GPT2)
    return dict(tok.get_mergeable_ranks())


def train_bpeasy(lines, vocab):
    import bpeasy
    return bpeasy.train_bpe(iter(lines), GPT2, 128, vocab)


def tiktoken_ranks(tokenizer_json):
    """Our byte-level vocab as tiktoken ranks: id − 1 (id 0 is <|endoftext|>), bytes from GPT-2 characters."""
    vocab = json.load(open(tokenizer_json))["model"]["vocab"]
    b2u = {}
    n = 0
    for b in range(256):
        if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255:
            b2u[chr(b)] = b
        else:
            b2u[chr(256 + n)] = b
            n += 1
    return {bytes(b2u[c] for c in tok): i - 1 for tok, i in vocab.items() if i > 0}


def encode_helper(tool, tokenizer_json, text_file):
    """Times one batch encode of every line (thread count from RAYON_NUM_THREADS); prints JSON."""
    lines = [l for l in open(text_file, encoding="utf-8", newline="").read().split("\n") if l]
    sample = lines[:: max(1, len(lines) // 500)]
    if tool == "tokie":
        import tokie
        tok = tokie.Tokenizer.from_json(tokenizer_json)
        t = time.perf_counter()
        out = tok.encode_batch(lines, add_special_tokens=False)
        seconds = time.perf_counter() - t
        tokens = sum(len(e) for e in out)
        ids = [list(e.ids) for e in tok.encode_batch(sample, add_special_tokens=False)]
    else:
        import riptoken
        enc = riptoken.CoreBPE(tiktoken_ranks(tokenizer_json), {}, GPT2)
        t = time.perf_counter()
        out = enc.encode_ordinary_batch(lines)
        seconds = time.perf_counter() - t
        tokens = sum(len(x) for x in out)
        ids = [[i + 1 for i in x] for x in enc.encode_ordinary_batch(sample)]
    print(json.dumps({"seconds": seconds, "tokens": tokens, "sample": ids}))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--encode-helper":
        return encode_helper(*sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import tiktoken
    import tokenizers
    import sentencepiece as spm
    import zstandard
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    work = tempfile.mkdtemp(prefix="sluice-bench-tokenize-")
    rows = []
    held = held_out_lines()
    held_bytes = sum(len(l.encode()) for l in held)
    train_mb = sum(os.path.getsize(p) for p in TRAIN) / 1e6
    hf_version = f"HF tokenizers {tokenizers.__version__}"
    reps = 1 if QUICK else 3
    train_lines = [l for p in TRAIN for l in open(p, encoding="utf-8").read().split("\n") if l]

    # --- BPE training -------------------------------------------------------------------------
    ours32 = None
    for vocab in (8192, 32768):
        ours_path = os.path.join(work, f"bpe{vocab}.json")
        t_ours, _ = median_time(lambda: run([args.sluice, "tokenizer", "train", "--model", "bpe", "--vocab-size", str(vocab),
                                             "--workers", "2", "--output", ours_path] + TRAIN), reps)

        def hf_train():
            tok = Tokenizer(models.BPE())
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            tok.decoder = decoders.ByteLevel()
            tr = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"],
                                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
            tok.train(TRAIN, tr)
            return tok
        t_hf, hf_tok = median_time(hf_train, reps)
        hf_path = os.path.join(work, f"hf{vocab}.json")
        hf_tok.save(hf_path)
        ours_tok = Tokenizer.from_file(ours_path)
        same = json.load(open(ours_path))["model"]["merges"] == json.load(open(hf_path))["model"]["merges"]
        bpt_ours = held_bytes / sum(len(e.ids) for e in ours_tok.encode_batch(held))
        bpt_hf = held_bytes / sum(len(e.ids) for e in hf_tok.encode_batch(held))
        rows.append(row(f"BPE train vocab {vocab}", "seconds", t_ours, t_hf, hf_version, False,
                        f"{train_mb:.2f} MB of text, 2 threads, median of {reps}; merges identical to HF: {same}"))
        rows.append(row(f"BPE compression vocab {vocab}", "bytes/token", bpt_ours, bpt_hf, hf_version, True,
                        f"held-out UDHR (49 languages) + dolma CC, {held_bytes / 1e6:.2f} MB, both encoded by HF"))
        for name, train_fn in (("rustbpe", train_rustbpe), ("bpeasy", train_bpeasy)):
            t_ref, ranks = median_time(lambda: train_fn(train_lines, vocab - 1), 1)
            enc = tiktoken.Encoding(f"{name}{vocab}", pat_str=GPT2, mergeable_ranks=ranks, special_tokens={})
            bpt_ref = held_bytes / sum(len(x) for x in enc.encode_ordinary_batch(held, num_threads=2))
            version = f"{name} {importlib.metadata.version(name)}"
            rows.append(row(f"BPE train vocab {vocab} vs {name}", "seconds", t_ours, t_ref, version, False,
                            f"same {train_mb:.2f} MB ({len(train_lines)} lines), {len(ranks)} tokens (256 bytes + merges), "
                            f"GPT-2 pattern, all cores, 1 run (ours: median of {reps}); load {load()}"))
            rows.append(row(f"BPE compression vocab {vocab} vs {name}", "bytes/token", bpt_ours, bpt_ref, version, True,
                            "held-out UDHR + dolma CC; ours encoded by HF, theirs by tiktoken from their ranks"))
        if vocab == 32768:
            ours32 = ours_path

    # --- Unigram training ---------------------------------------------------------------------
    uni_path = os.path.join(work, "uni8000.json")
    t_ours, _ = median_time(lambda: run([args.sluice, "tokenizer", "train", "--model", "unigram", "--vocab-size", "8000",
                                         "--workers", "2", "--output", uni_path] + TRAIN), 1)
    sp_prefix = os.path.join(work, "sp8000")

    def sp_train():
        spm.SentencePieceTrainer.train(input=",".join(TRAIN), model_prefix=sp_prefix, vocab_size=8000, model_type="unigram",
                                       byte_fallback=True, num_threads=2, minloglevel=2)
    t_sp, _ = median_time(sp_train, 1)
    sp = spm.SentencePieceProcessor(model_file=sp_prefix + ".model")
    bpt_sp = held_bytes / sum(len(x) for x in sp.encode(held))
    uni = Tokenizer.from_file(uni_path)
    bpt_uni = held_bytes / sum(len(e.ids) for e in uni.encode_batch(held))
    rows.append(row("Unigram train vocab 8000", "seconds", t_ours, t_sp, f"sentencepiece {spm.__version__}", False,
                    f"{train_mb:.2f} MB, 2 threads, byte fallback on both, 1 run each (sentencepiece skips lines over 4192 bytes)"))
    rows.append(row("Unigram compression vocab 8000", "bytes/token", bpt_uni, bpt_sp, f"sentencepiece {spm.__version__}", True,
                    "held-out text; ours NFKC + dummy prefix, sentencepiece nmt_nfkc (also folds whitespace)"))

    # --- Encoding -----------------------------------------------------------------------------
    enc_lines = [l for p in TRAIN + [None] if p for l in open(p, encoding="utf-8", newline="").read().split("\n") if l] + held
    enc_lines = [l.replace("\n", " ") for l in enc_lines]
    enc_file = os.path.join(work, "encode.txt")
    with open(enc_file, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(enc_lines) + "\n")
    enc_bytes = sum(len(l.encode()) for l in enc_lines)
    ours_tok = Tokenizer.from_file(ours32)
    vocab = json.load(open(ours32))["model"]["vocab"]
    ranks = tiktoken_ranks(ours32)
    tt = tiktoken.Encoding("sluice-bpe32768", pat_str=GPT2, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(vocab)})

    def ours_encode(workers):
        _, out = run([args.sluice, "dev", "encode-speed", "--tokenizer", ours32, "--workers", str(workers), enc_file])
        return json.loads(out)
    ours1 = [ours_encode(1) for _ in range(reps)]
    s_ours1 = statistics.median(r["seconds"] for r in ours1)
    t_tt, tt_ids = median_time(lambda: [tt.encode_ordinary(l) for l in enc_lines], reps)
    sample = enc_lines[:: max(1, len(enc_lines) // 500)]
    agree = sum(1 for l, e in zip(sample, ours_tok.encode_batch(sample)) if [i - 1 for i in e.ids] == tt.encode_ordinary(l))
    rows.append(row("encode 1 thread (BPE 32768)", "MB/s", enc_bytes / 1e6 / s_ours1, enc_bytes / 1e6 / t_tt,
                    f"tiktoken {tiktoken.__version__}", True,
                    f"{enc_bytes / 1e6:.1f} MB, {len(enc_lines)} lines; same merges; ids identical on {agree}/{len(sample)} sampled lines"))
    ours2 = [ours_encode(2) for _ in range(reps)]
    s_ours2 = statistics.median(r["seconds"] for r in ours2)
    t_hf, _ = median_time(lambda: ours_tok.encode_batch(enc_lines), reps)
    rows.append(row("encode all cores (BPE 32768)", "MB/s", enc_bytes / 1e6 / s_ours2, enc_bytes / 1e6 / t_hf, hf_version, True,
                    f"2 threads vs HF encode_batch (rayon); same tokenizer file; {ours2[0]['tokens']} tokens"))

    sample_hf = [e.ids for e in ours_tok.encode_batch(sample)]
    for threads, label in ((1, "1 thread"), (os.cpu_count(), "all cores")):
        ours_runs = ours1 if threads == 1 else ours2
        ours_s = s_ours1 if threads == 1 else s_ours2
        for tool in ("tokie", "riptoken"):
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
            ref = [json.loads(subprocess.run([sys.executable, __file__, "--encode-helper", tool, ours32, enc_file],
                                             capture_output=True, text=True, env=env, check=True).stdout) for _ in range(reps)]
            t_ref = statistics.median(r["seconds"] for r in ref)
            same = sum(1 for a, b in zip(ref[0]["sample"], sample_hf) if a == b)
            rows.append(row(f"encode {label} (BPE 32768) vs {tool}", "MB/s", enc_bytes / 1e6 / ours_s, enc_bytes / 1e6 / t_ref,
                            f"{tool} {importlib.metadata.version(tool)}", True,
                            f"{enc_bytes / 1e6:.1f} MB, {len(enc_lines)} lines, RAYON_NUM_THREADS={threads} vs sluice --workers "
                            f"{threads}; {tool} {ref[0]['tokens']} tokens, sluice {ours_runs[0]['tokens']}; ids equal to HF on "
                            f"{same}/{len(sample)} sampled lines; median of {reps}; load {load()}"))

    # --- Shard writing and reading ------------------------------------------------------------
    shard_dir = os.path.join(work, "shards")

    def ours_write():
        shutil.rmtree(shard_dir, ignore_errors=True)
        _, out = run([args.sluice, "shards", "write", "--tokenizer", ours32, "--output", shard_dir, "--workers", "2",
                      "--validation-fraction", "0"] + TRAIN)
        return json.loads(out)
    t_w, w = median_time(ours_write, reps)
    ref_file = os.path.join(work, "ref.zst")

    def ref_write():
        cctx = zstandard.ZstdCompressor(level=3, write_checksum=True, write_content_size=True)
        with open(ref_file, "wb") as out:
            for p in TRAIN:
                with open(p, encoding="utf-8", newline="") as f:
                    docs = [l.rstrip("\r") for l in f.read().split("\n") if l.rstrip("\r")]
                ids = []
                for e in ours_tok.encode_batch(docs, add_special_tokens=False):
                    ids += e.ids
                    ids.append(0)
                arr = np.asarray(ids, dtype=np.uint16)
                for a in range(0, len(arr), 32768):
                    out.write(cctx.compress(arr[a:a + 32768].tobytes()))
    t_ref, _ = median_time(ref_write, reps)
    rows.append(row("shard write (BPE 32768)", "MB/s of text", train_mb / t_w, train_mb / t_ref,
                    f"HF encode_batch + zstandard {zstandard.__version__} (Python)", True,
                    f"{w['tokens']} tokens, 2 threads, zstd level 3, frames of 32768 tokens; wall time of the sluice process"))
    _, out = run([args.sluice, "shards", "export", "--format", "nanogpt", shard_dir, os.path.join(work, "train.bin")])
    windows, length = 20000, 1025
    mm = np.memmap(os.path.join(work, "train.bin"), dtype=np.uint16, mode="r", offset=1024)
    rng = np.random.default_rng(1)

    def np_read():
        starts = rng.integers(0, len(mm) - length, windows)
        for a in starts:
            np.array(mm[a:a + length], dtype=np.int64)
    t_np, _ = median_time(np_read, reps)
    for cache_mb, label in ((64, "decoded-frame cache 64 MiB (holds this split)"), (0, "no cache: every window decompresses its frames")):
        s = [json.loads(run([args.sluice, "dev", "shards-sample", "--windows", str(windows), "--length", str(length),
                             "--cache-mb", str(cache_mb), shard_dir])[1]) for _ in range(reps)]
        s_read = statistics.median(x["seconds"] for x in s)
        rows.append(row(f"shard random-window read, {'cached' if cache_mb else 'uncached'}", "tokens/s",
                        windows * length / s_read, windows * length / t_np, "numpy memmap of the uncompressed nanoGPT .bin", True,
                        f"{windows} windows of {length} tokens; {label}; zstd checksums verified on decode; "
                        "the reference reads raw uint16 from the page cache"))

    with open(args.out, "w") as f:
        json.dump(rows, f, indent=2)
    for r in rows:
        print(f"{r['benchmark']:36s} {r['metric']:14s} sluice {r['sluice']:>10} ref {r['reference']:>10} ratio {r['ratio']}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
