#!/usr/bin/env python3
"""Training benchmarks for `sluice train` (issue 8), all in one run:

* the machine's SGEMM peak: Sluice's cblas_sgemm loop (Debian OpenBLAS) and numpy's SGEMM;
* training tokens/s and MFU (model FLOP/s over the SGEMM peak measured in the same process;
  the median of 3 processes for the small models) for the reference tiny GPT (4 layers, d 256, 4 heads, T 256, B 8, V 8192), the train-tiny
  model (4 layers, d 384, 6 heads: ~10M parameters) and a GPT-2-small-shaped stack
  (12 layers, d 768, 12 heads, V 50257; T 256, B 4);
* the same model, batch, threads and number of tokens per step (random ids) under PyTorch on the
  CPU, twice: a nanoGPT-style module (fused qkv, scaled_dot_product_attention) and Hugging Face
  transformers' GPT2LMHeadModel; every step is forward + backward + clipping + AdamW in fp32;
* MFU both over the SGEMM peak of the same process and over the FMA ceiling the trainer prints
  (vector width × FMA pipes × cores × core clock: it does not move with the machine's load);
* tinyshakespeare: a byte-level BPE of 4096 trained on the first 90 %, a fixed budget of
  training tokens, bits per byte on the last 10 % (`sluice eval --text`), beside nanoGPT's
  published character-level result.

    bench.py --sluice .build/release/sluice --out rows.json [--quick] [--speed-only]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))


def numpy_sgemm_peak(n=1024, repeats=4):
    a = np.random.default_rng(1).random((n, n), dtype=np.float32)
    b = np.random.default_rng(2).random((n, n), dtype=np.float32)
    a @ b
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n**3 / (time.perf_counter() - t))
    return best


def sluice_speed(sluice, runs=1, **kw):
    """`sluice dev train-speed` (median step time, SGEMM peak measured in the same process); with
    runs > 1, the run with the median tokens/s."""
    args = [sluice, "dev", "train-speed"]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    results = [json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout) for _ in range(runs)]
    results.sort(key=lambda r: r["tokens_per_second"])
    return results[len(results) // 2]


def random_batches(vocab, batch, context, n, seed=0):
    """`n` (inputs, targets) pairs of random ids: every tool trains on the same B×T tokens per step."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, vocab, size=(batch, context + 1), dtype=np.int64) for _ in range(n)]


def time_steps(torch, model, loss_fn, batches, threads):
    """Median seconds of a training step (zero_grad, forward, backward, clip 1.0, AdamW) after one warm-up step."""
    torch.set_num_threads(threads)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times = []
    for s, b in enumerate(batches):
        t = torch.from_numpy(b)
        x, y = t[:, :-1].contiguous(), t[:, 1:].contiguous()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(model, x, y).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if s > 0:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def torch_speed(layers, width, heads, context, batch, vocab, steps, threads=2):
    """Tokens/s of the same model and AdamW step in PyTorch (fp32, CPU), nanoGPT-style module."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.fc, self.fcp = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
            x = x + self.proj(y)
            return x + self.fcp(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(context, width)
            self.h = nn.ModuleList(Block() for _ in range(layers))
            self.lnf = nn.LayerNorm(width)

        def forward(self, idx, tgt):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for b in self.h:
                x = b(x)
            logits = self.lnf(x) @ self.wte.weight.T
            return F.cross_entropy(logits.view(-1, vocab), tgt.view(-1))

    m = GPT()
    dt = time_steps(torch, m, lambda m, x, y: m(x, y), random_batches(vocab, batch, context, steps + 1), threads)
    return batch * context / dt, torch.__version__


def transformers_speed(layers, width, heads, context, batch, vocab, steps, threads=2):
    """Tokens/s of Hugging Face transformers' GPT2LMHeadModel of the same shape (dropout 0, gelu_new,
    its default attention implementation), loss over all B×T targets as Sluice computes it."""
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=vocab, n_positions=context, n_embd=width, n_layer=layers, n_head=heads,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, activation_function="gelu_new", use_cache=False,
                     bos_token_id=vocab - 1, eos_token_id=vocab - 1)
    m = GPT2LMHeadModel(cfg)
    m.train()

    def loss(m, x, y):
        logits = m(input_ids=x).logits
        return F.cross_entropy(logits.view(-1, vocab), y.view(-1))

    dt = time_steps(torch, m, loss, random_batches(vocab, batch, context, steps + 1), threads)
    return batch * context / dt, transformers.__version__, m.config._attn_implementation


def row(benchmark, metric, ours, ref, tool, higher=True, notes=""):
    ratio = None
    if ours is not None and ref:
        ratio = ours / ref if higher else ref / ours
    return {"benchmark": benchmark, "metric": metric, "sluice": ours, "reference": ref, "reference_tool": tool,
            "ratio": ratio, "higher_is_better": higher, "notes": notes}


def shakespeare(sluice, rows, steps):
    text_path = os.path.join(CORPUS, "text", "tinyshakespeare.txt")
    if not os.path.exists(text_path):
        print("tinyshakespeare missing; skipping the quality row", file=sys.stderr)
        return
    text = open(text_path, encoding="utf-8").read()
    cut = int(len(text) * 0.9)  # nanoGPT's shakespeare split: first 90 % train, last 10 % val
    with tempfile.TemporaryDirectory() as d:
        train_txt, val_txt = os.path.join(d, "train.txt"), os.path.join(d, "val.txt")
        open(train_txt, "w", encoding="utf-8").write(text[:cut])
        open(val_txt, "w", encoding="utf-8").write(text[cut:])
        tok = os.path.join(d, "tokenizer.json")
        r = subprocess.run([sluice, "tokenizer", "train", "--model", "bpe", "--vocab-size", "4096", "--special-tokens",
                            "<|endoftext|>", "--output", tok, train_txt], capture_output=True, text=True)
        tok_tool = "sluice tokenizer train"
        if r.returncode != 0:
            from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
            t = Tokenizer(models.BPE())
            t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            t.decoder = decoders.ByteLevel()
            t.train([train_txt], trainers.BpeTrainer(vocab_size=4096, special_tokens=["<|endoftext|>"],
                                                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
            t.save(tok)
            tok_tool = "HF tokenizers (sluice tokenizer train unavailable: " + r.stderr.strip()[:80] + ")"
        B, T = 8, 256
        cfg = os.path.join(d, "run.yaml")
        open(cfg, "w").write(f"""
model: {{recipe: gpt2, context_length: {T}, layers: 4, heads: 4, width: 256}}
data: {{text: [{train_txt}], tokenizer: {tok}, val_fraction: 0.05}}
train: {{batch_size: {B}, steps: {steps}, lr: 2.0e-3, min_lr: 2.0e-4, warmup: {max(1, steps // 10)}, beta2: 0.99,
        eval_every: 0, checkpoint_every: 0, eval_batches: 4, log_every: 25}}
out: {d}/run
""")
        t0 = time.time()
        subprocess.run([sluice, "train", cfg], check=True, capture_output=True, text=True)
        train_s = time.time() - t0
        ev = json.loads(subprocess.run([sluice, "eval", "--checkpoint", d + "/run/latest", "--text", val_txt],
                                       check=True, capture_output=True, text=True).stdout)
        budget = steps * B * T
        rows.append(row(
            "tinyshakespeare val bits/byte, BPE 4096, 4L d256, %d training tokens" % budget, "bits/byte",
            ev["bits_per_byte"], 1.4697 / np.log(2), "nanoGPT shakespeare_char (published val loss 1.4697)", higher=False,
            notes=f"not the same budget: nanoGPT trains 6L d384 for 5000×64×256 = 82M characters; ours {budget} BPE "
                  f"tokens in {train_s:.0f} s; val loss {ev['loss']:.4f} nats/token on the last 10 % "
                  f"({ev['tokens']} tokens); tokenizer by {tok_tool}"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke test)")
    ap.add_argument("--speed-only", action="store_true", help="leave out the tinyshakespeare quality run")
    a = ap.parse_args()
    steps = 3 if a.quick else 6
    rows = []

    np_peak = numpy_sgemm_peak()
    tiny = dict(layers=4, width=256, heads=4, context=256, batch_size=8, vocab=8192)
    s = sluice_speed(a.sluice, runs=3, steps=steps, warmup_steps=1, **tiny)
    rows.append(row("SGEMM peak (n=1024, 2 threads)", "GFLOP/s", s["sgemm_peak_gflops"], np_peak / 1e9,
                    "numpy %s matmul" % np.__version__, notes="Sluice: Debian OpenBLAS 0.3.21 cblas_sgemm; the MFU denominators below"))
    load = "load average %.1f at start" % os.getloadavg()[0]
    flops_per_token = s["model_gflops"] * 1e9 / s["tokens_per_second"]
    ceiling = s["ceiling_gflops"] * 1e9
    tiny_name = "train tiny GPT 4L d256 H4 T256 B8 V8192 (%d params)" % s["parameters"]
    toks, ver = torch_speed(4, 256, 4, 256, 8, 8192, steps)
    rows.append(row(tiny_name, "tokens/s", s["tokens_per_second"], toks, "torch %s nanoGPT-style module (CPU, 2 threads)" % ver,
                    notes=f"measured in this run, same shape, batch, threads and tokens per step; median step; {load}; "
                          f"MFU of the FMA ceiling: sluice {s['mfu_of_ceiling']:.3f}, torch {toks * flops_per_token / ceiling:.3f}"))
    htoks, hver, attn = transformers_speed(4, 256, 4, 256, 8, 8192, steps)
    rows.append(row(tiny_name + " vs transformers", "tokens/s", s["tokens_per_second"], htoks,
                    "transformers %s GPT2LMHeadModel (torch %s, %s attention, CPU, 2 threads)" % (hver, ver, attn),
                    notes=f"measured in this run; {load}; MFU of the FMA ceiling: transformers {htoks * flops_per_token / ceiling:.3f}"))
    # MFU rows divide by the FMA ceiling, which does not move with the load; the SGEMM peak measured
    # in the same process does (a busy moment while it is measured gave "190 %"), so it is a note.
    rows.append(row("train tiny GPT 4L d256: MFU", "fraction of FMA ceiling", s["mfu_of_ceiling"], 0.5,
                    "issue 8 goal (50 %)",
                    notes=f"model {s['model_gflops']:.1f} GFLOP/s over the FMA ceiling {s['ceiling_gflops']:.1f}; "
                          f"{s['mfu']:.3f} of the SGEMM peak {s['sgemm_peak_gflops']:.1f} measured in the same process"))
    rows.append(row("train tiny GPT 4L d256: MFU of the FMA ceiling", "fraction of FMA ceiling", s["mfu_of_ceiling"],
                    toks * flops_per_token / ceiling, "torch %s nanoGPT-style, same ceiling" % ver,
                    notes=f"the denominator `sluice train` prints: {s['ceiling_gflops']:.1f} GFLOP/s, {s['ceiling_source']}"))

    t = sluice_speed(a.sluice, runs=3, layers=4, width=384, heads=6, context=256, batch_size=8, vocab=8192, steps=steps, warmup_steps=1)
    rows.append(row("train-tiny model 4L d384 H6 T256 B8 V8192 (%d params)" % t["parameters"], "fraction of FMA ceiling",
                    t["mfu_of_ceiling"], 0.5, "issue 8 goal (50 %)",
                    notes=f"{t['tokens_per_second']:.0f} tokens/s, {t['model_gflops']:.1f} GFLOP/s over the FMA ceiling "
                          f"{t['ceiling_gflops']:.1f}; {t['mfu']:.3f} of the SGEMM peak {t['sgemm_peak_gflops']:.1f} measured in the same process"))

    g = sluice_speed(a.sluice, layers=12, width=768, heads=12, context=256, batch_size=4, vocab=50257,
                     steps=max(2, steps // 2), warmup_steps=1)
    rows.append(row("GPT-2-small shape 12L d768 H12 T256 B4 V50257 (%d params)" % g["parameters"], "fraction of FMA ceiling",
                    g["mfu_of_ceiling"], 0.5, "issue 8 goal (50 %)",
                    notes=f"{g['tokens_per_second']:.0f} tokens/s, {g['model_gflops']:.1f} GFLOP/s over the FMA ceiling "
                          f"{g['ceiling_gflops']:.1f}; {g['mfu']:.3f} of the SGEMM peak {g['sgemm_peak_gflops']:.1f} measured in the same process"))
    gpt2 = dict(layers=12, width=768, heads=12, context=256, batch=4, vocab=50257, steps=max(2, steps // 2))
    gname = "train GPT-2-small shape 12L d768 H12 T256 B4 V50257"
    load = "load average %.1f" % os.getloadavg()[0]
    toks, ver = torch_speed(**gpt2)
    rows.append(row(gname, "tokens/s", g["tokens_per_second"], toks, "torch %s nanoGPT-style module (CPU, 2 threads)" % ver,
                    notes=f"measured in this run, same shape, batch, threads and tokens per step; median of {gpt2['steps']} steps; {load}"))
    htoks, hver, attn = transformers_speed(**gpt2)
    rows.append(row(gname + " vs transformers", "tokens/s", g["tokens_per_second"], htoks,
                    "transformers %s GPT2LMHeadModel (torch %s, %s attention, CPU, 2 threads)" % (hver, ver, attn),
                    notes=f"measured in this run; median of {gpt2['steps']} steps; {load}"))

    if not a.speed_only:
        shakespeare(a.sluice, rows, 40 if a.quick else 150)
    json.dump(rows, open(a.out, "w"), indent=1)
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
