#!/usr/bin/env python3
"""INT8 quantization benchmarks for `sluice quantize` (issue 25), all in one run:

* single-stream greedy decoding, tokens/s, of a GPT-2-small-shaped checkpoint (12 layers, d 768,
  12 heads, V 50257, T 1024; random N(0, 0.02) weights: decoding speed does not depend on the
  values) as F32 and as its `sluice quantize` INT8 copy (`sluice dev decode-speed`, alternating
  runs, medians), and the same F32 checkpoint under Hugging Face transformers + torch CPU
  `generate()` (greedy, KV cache, same prompt length, tokens and threads);
* the weights' memory, F32 vs INT8, and the peak resident memory of the decoding processes;
* bits per byte on ../shared/corpus/text/wikitext-2-valid.txt (the whole file) of a model with
  Pipelines/train-tiny.yaml's settings, trained here for a shortened run on tinyshakespeare +
  botchan with a byte-level BPE of 4096, F32 vs INT8 (`sluice quantize --eval-text`); and of the
  random GPT-2-small-shaped model on the file's first 32 KB.

    bench.py --sluice .build/release/sluice --out rows.json [--steps 100] [--speed-only]
    (SLUICE_QUANTIZE_SPEED_ONLY=1 does what --speed-only does, for Benchmarks/run.py)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
THREADS = 2
PROMPT, TOKENS = 16, 64


def row(benchmark, metric, ours, ref, tool, higher=True, notes=""):
    ratio = None
    if ours is not None and ref:
        ratio = ours / ref if higher else ref / ours
    return {"benchmark": benchmark, "metric": metric, "sluice": ours, "reference": ref, "reference_tool": tool,
            "ratio": ratio, "higher_is_better": higher, "notes": notes}


def write_safetensors(path, tensors):
    """F32 safetensors by hand (header JSON, 8-byte aligned, then the raw little-endian data)."""
    header, offset = {}, 0
    for name, a in tensors:
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for _, a in tensors:
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def gpt2_small(folder, V=50257, T=1024, L=12, C=768, NH=12, seed=0):
    """A GPT-2-small-shaped checkpoint in Hugging Face's GPT-2 layout, random N(0, 0.02) weights."""
    rng = np.random.default_rng(seed)
    g = lambda *shape, std=0.02: (rng.standard_normal(shape, dtype=np.float32) * std)
    t = [("wte.weight", g(V, C)), ("wpe.weight", g(T, C, std=0.01))]
    for l in range(L):
        p = f"h.{l}."
        t += [(p + "ln_1.weight", np.ones(C, np.float32)), (p + "ln_1.bias", np.zeros(C, np.float32)),
              (p + "attn.c_attn.weight", g(C, 3 * C)), (p + "attn.c_attn.bias", np.zeros(3 * C, np.float32)),
              (p + "attn.c_proj.weight", g(C, C, std=0.02 / (2 * L) ** 0.5)), (p + "attn.c_proj.bias", np.zeros(C, np.float32)),
              (p + "ln_2.weight", np.ones(C, np.float32)), (p + "ln_2.bias", np.zeros(C, np.float32)),
              (p + "mlp.c_fc.weight", g(C, 4 * C)), (p + "mlp.c_fc.bias", np.zeros(4 * C, np.float32)),
              (p + "mlp.c_proj.weight", g(4 * C, C, std=0.02 / (2 * L) ** 0.5)), (p + "mlp.c_proj.bias", np.zeros(C, np.float32))]
    t += [("ln_f.weight", np.ones(C, np.float32)), ("ln_f.bias", np.zeros(C, np.float32))]
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), t)
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_positions": T, "n_ctx": T,
           "n_embd": C, "n_layer": L, "n_head": NH, "n_inner": None, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
           "initializer_range": 0.02, "tie_word_embeddings": True, "torch_dtype": "float32", "use_cache": True}
    json.dump(cfg, open(os.path.join(folder, "config.json"), "w"), indent=2)


def decode_speed(sluice, folder):
    r = subprocess.run([sluice, "dev", "decode-speed", "--checkpoint", folder, "--prompt-tokens", str(PROMPT),
                        "--tokens", str(TOKENS), "--threads", str(THREADS)], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


def transformers_speed(folder, runs=3):
    """Greedy generate() of the same checkpoint: tokens/s of the generated tokens (prompt excluded)."""
    import torch
    import transformers
    torch.set_num_threads(THREADS)
    model = transformers.GPT2LMHeadModel.from_pretrained(folder, dtype=torch.float32).eval()
    V = model.config.vocab_size
    ids = torch.tensor([[(7919 * i + 1) % V for i in range(PROMPT)]])
    speeds = []
    with torch.inference_mode():
        # Prompt alone first, so the timed figure excludes the prefill as ours does.
        for _ in range(runs):
            t0 = time.perf_counter()
            model.generate(ids, max_new_tokens=1, min_new_tokens=1, do_sample=False, pad_token_id=0)
            prefill = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = model.generate(ids, max_new_tokens=TOKENS + 1, min_new_tokens=TOKENS + 1, do_sample=False,
                                 pad_token_id=0, use_cache=True)
            total = time.perf_counter() - t0
            assert out.shape[1] == PROMPT + TOKENS + 1
            speeds.append(TOKENS / max(1e-9, total - prefill))
    return statistics.median(speeds), f"transformers {transformers.__version__} GPT2LMHeadModel generate() (torch {torch.__version__}, CPU, {THREADS} threads)"


def speed_rows(sluice, d):
    f32, int8 = os.path.join(d, "gpt2-f32"), os.path.join(d, "gpt2-int8")
    gpt2_small(f32)
    q = json.loads(subprocess.run([sluice, "quantize", "--checkpoint", f32, "--out", int8], check=True,
                                  capture_output=True, text=True).stdout)
    load0 = os.getloadavg()[0]
    runs = {"f32": [], "int8": []}
    for _ in range(3):  # alternate, so both see the same drift in the machine's load
        runs["f32"].append(decode_speed(sluice, f32))
        runs["int8"].append(decode_speed(sluice, int8))
    load1 = os.getloadavg()[0]
    med = {k: statistics.median(r["tokens_per_second"] for r in v) for k, v in runs.items()}
    rss = {k: statistics.median(r["peak_rss_bytes"] for r in v) for k, v in runs.items()}
    same = runs["f32"][0]["ids_checksum"] == runs["int8"][0]["ids_checksum"]
    rows = [row(
        "decode GPT-2-small shape 12L d768 H12 V50257, single stream, INT8 vs F32", "tokens/s", med["int8"], med["f32"],
        "sluice F32 (same binary, same run)",
        notes=f"greedy, {PROMPT}-token prompt then {TOKENS} tokens, KV cache, {THREADS} threads; median of 3 alternating "
              f"processes each (F32 {', '.join('%.1f' % r['tokens_per_second'] for r in runs['f32'])}; INT8 "
              f"{', '.join('%.1f' % r['tokens_per_second'] for r in runs['int8'])}); random N(0, 0.02) weights; "
              f"goal INT8 ≥ 1.5× F32; greedy ids {'identical' if same else 'differ'} F32 vs INT8; "
              f"load average {load0:.1f} → {load1:.1f}")]
    rows.append(row(
        "weight memory, GPT-2-small shape (124M parameters)", "MB", q["int8_bytes"] / 1e6, q["f32_bytes"] / 1e6,
        "sluice F32 checkpoint", higher=False,
        notes=f"INT8 matrices + F32 per-channel scales, norms and biases; peak resident memory of the decoding "
              f"process {rss['int8'] / 1e6:.0f} MB INT8 vs {rss['f32'] / 1e6:.0f} MB F32 (median)"))
    try:
        load0 = os.getloadavg()[0]
        ref, tool = transformers_speed(f32)
        load1 = os.getloadavg()[0]
        rows.append(row(
            "decode GPT-2-small shape, single stream, sluice INT8 vs transformers F32", "tokens/s", med["int8"], ref, tool,
            notes=f"same checkpoint, prompt, {TOKENS} greedy tokens, KV cache, {THREADS} threads; median of 3; sluice "
                  f"F32 {med['f32']:.1f} tokens/s; load average {load0:.1f} → {load1:.1f}"))
    except ImportError as e:
        print(f"transformers/torch missing ({e}); skipping the reference row", file=sys.stderr)
    return f32, rows


def quality_rows(sluice, d, gpt2_f32, steps):
    wikitext = os.path.join(CORPUS, "text", "wikitext-2-valid.txt")
    train_txt = [os.path.join(CORPUS, "text", f) for f in ("tinyshakespeare.txt", "botchan.txt")]
    if not all(os.path.exists(p) for p in [wikitext] + train_txt):
        print("corpus text missing; skipping the quality rows", file=sys.stderr)
        return []
    tok = os.path.join(d, "tokenizer.json")
    subprocess.run([sluice, "tokenizer", "train", "--model", "bpe", "--vocab-size", "4096", "--special-tokens",
                    "<|endoftext|>", "--output", tok] + train_txt, check=True, capture_output=True, text=True)
    run = os.path.join(d, "train-tiny")
    t0 = time.time()
    subprocess.run([sluice, "train", os.path.join(ROOT, "Pipelines", "train-tiny.yaml"), "--out", run,
                    "--steps", str(steps), "--set", f"train.warmup={max(1, steps // 10)}",
                    "--set", "train.eval_every=0", "--set", "train.checkpoint_every=0",
                    "--set", "data.train=[]", "--set", f"data.text=[{','.join(train_txt)}]", "--set", f"data.tokenizer={tok}"],
                   check=True, capture_output=True, text=True)
    train_s = time.time() - t0
    rows = []
    load0 = os.getloadavg()[0]
    q = json.loads(subprocess.run([sluice, "quantize", "--checkpoint", run + "/latest", "--out", run + "/int8",
                                   "--eval-text", wikitext], check=True, capture_output=True, text=True).stdout)
    rows.append(row(
        f"bits/byte wikitext-2 valid (whole file), train-tiny model ({steps} steps), INT8 vs F32", "bits/byte",
        q["bits_per_byte_int8"], q["bits_per_byte_f32"], "the same model in F32", higher=False,
        notes=f"Pipelines/train-tiny.yaml (4L d384 H6 T256) for {steps} steps ({train_s:.0f} s) on tinyshakespeare + "
              f"botchan, byte-level BPE 4096; change {100 * q['bits_per_byte_change']:+.3f} % (goal within 1 %); "
              f"load average {load0:.1f}"))
    head = os.path.join(d, "wikitext-32k.txt")
    with open(wikitext, "rb") as f:
        data = f.read(32768)
    open(head, "wb").write(data[: data.rfind(b"\n") + 1])
    import shutil
    shutil.copy(tok, os.path.join(gpt2_f32, "tokenizer.json"))
    load0 = os.getloadavg()[0]
    q = json.loads(subprocess.run([sluice, "quantize", "--checkpoint", gpt2_f32, "--out", os.path.join(d, "gpt2-int8-q"),
                                   "--eval-text", head], check=True, capture_output=True, text=True).stdout)
    rows.append(row(
        "bits/byte wikitext-2 valid (first 32 KB), GPT-2-small shape (random weights), INT8 vs F32", "bits/byte",
        q["bits_per_byte_int8"], q["bits_per_byte_f32"], "the same model in F32", higher=False,
        notes=f"12L d768 H12 V50257, random N(0, 0.02) weights (no trained GPT-2 small here, and no Hugging Face "
              f"GPT-2 weights offline); the BPE 4096 above as tokenizer; change {100 * q['bits_per_byte_change']:+.4f} % "
              f"(goal within 1 %); load average {load0:.1f}"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=100, help="training steps of the train-tiny model")
    ap.add_argument("--speed-only", action="store_true", help="decode speed and memory rows only (no training)")
    a = ap.parse_args()
    if os.environ.get("SLUICE_QUANTIZE_SPEED_ONLY"):
        a.speed_only = True
    with tempfile.TemporaryDirectory() as d:
        gpt2_f32, rows = speed_rows(a.sluice, d)
        if not a.speed_only:
            rows += quality_rows(a.sluice, d, gpt2_f32, a.steps)
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    with open(a.out, "w") as fh:
        json.dump(rows, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
