#!/usr/bin/env python3
"""The modern small-model recipe (issue 23) against today's GPT-2 recipe, on the same data, model
size, batch and threads:

* wikitext-2 valid: a byte-level BPE of 2048 trained on its first 90 %; both recipes train on the
  token stream of the whole file with its last 10 % held out (`val_fraction: 0.1`), validation every
  `EVAL_EVERY` steps; the target is the GPT-2 recipe's final validation loss, and the row reports
  the tokens the modern recipe needed to reach it (linear interpolation between evaluations), plus
  the wall time; final bits per byte of both on the held-out text (`sluice eval --text`);
* (c) nanoGPT's model in torch on the CPU (same shape, batch, threads): its seconds per step,
  measured in this run, times the steps the GPT-2 recipe needed (the same model and optimizer, so
  the same tokens) — an estimate of its wall time to the target, not a full torch run;
* a Llama-compatible checkpoint (RoPE, RMSNorm, SwiGLU, untied head) trained for a few steps and
  read by transformers' LlamaForCausalLM: the largest logit difference against `sluice eval --logits`;
* with --baseline-sluice: `sluice dev train-speed` of the GPT-2 recipe (ANCHORS tiny shape) for this
  binary and the given one, alternating, median of 3 each (the no-regression check).

    bench.py --sluice .build/release/sluice --out rows.json [--steps N] [--seeds 1,2] [--baseline-sluice BIN]
    (or SLUICE_RECIPE_STEPS, SLUICE_RECIPE_SEEDS, SLUICE_BASELINE when run through Benchmarks/run.py)
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
PIPELINES = os.path.join(ROOT, "Pipelines")


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


train_bench = load_module("train_bench", os.path.join(ROOT, "Benchmarks", "train", "bench.py"))
llama_ref = load_module("llama_reference", os.path.join(ROOT, "Benchmarks", "train", "llama_reference.py"))
row = train_bench.row

SHAPE = dict(layers=4, width=128, heads=2, context=128, batch=16, vocab=2048)
EVAL_EVERY = 15


def run_config(d, name, data, tok, steps, seed, model_extra, train_extra):
    S = SHAPE
    cfg = os.path.join(d, name + ".yaml")
    warm = max(1, steps // 10)
    open(cfg, "w").write(f"""
model: {{recipe: gpt2, context_length: {S['context']}, layers: {S['layers']}, heads: {S['heads']}, width: {S['width']}{model_extra}}}
data: {{text: [{data}], tokenizer: {tok}, val_fraction: 0.1}}
train: {{batch_size: {S['batch']}, steps: {steps}, warmup: {warm}, seed: {seed}, eval_every: {EVAL_EVERY}, eval_batches: 4,
        checkpoint_every: 0, log_every: 50, grad_clip: 1.0{train_extra}}}
out: {d}/{name}
""")
    return cfg


def train(sluice, cfg, out):
    t0 = time.time()
    r = subprocess.run([sluice, "train", cfg], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("sluice train failed: " + r.stderr[-2000:])
    wall = time.time() - t0
    vals, step_time = [], {0: 0.0}
    S = SHAPE
    for line in open(os.path.join(out, "metrics.jsonl")):
        o = json.loads(line)
        if "val_loss" in o:
            vals.append((o["step"], o["val_loss"]))
        if "tokens_per_second" in o:
            # Training time only (validation passes excluded): the step's tokens over its speed.
            step_time[o["step"]] = step_time[o["step"] - 1] + S["batch"] * S["context"] / o["tokens_per_second"]
    return wall, vals, step_time


def time_at(step_time, tokens, tokens_per_step):
    """Cumulative training seconds at `tokens` (linear within a step)."""
    s = tokens / tokens_per_step
    lo = int(s)
    hi = min(lo + 1, max(step_time))
    return step_time[lo] + (s - lo) * (step_time[hi] - step_time[lo])


def tokens_to(vals, target, tokens_per_step):
    """Tokens at which the validation curve first reaches `target` (linear between evaluations), or None."""
    prev = (0, float("inf"))
    for s, v in vals:
        if v <= target:
            if prev[1] == float("inf"):
                return s * tokens_per_step
            f = (prev[1] - target) / (prev[1] - v)
            return (prev[0] + f * (s - prev[0])) * tokens_per_step
        prev = (s, v)
    return None


BASELINE = ("", ", lr: 2.0e-3, min_lr: 2.0e-4, beta2: 0.99")
MODERN_MODEL = (", positions: rope, norm: rmsnorm, qk_norm: true, mlp: relu2, tie_embeddings: false, "
                "logit_softcap: 15, zero_init: true, bias: false")
MODERN_TRAIN = (", optimizer: muon, muon_lr: 0.02, lr: 2.0e-3, min_lr: 2.0e-4, embedding_lr: 0.05, head_lr: 0.008, "
                "beta2: 0.99, weight_decay: 0.0")


# Each change of the recipe alone on top of the GPT-2 recipe (SLUICE_RECIPE_ABLATE=1): (model keys, train keys).
ABLATION = {
    "rope": (", positions: rope", BASELINE[1]),
    "rmsnorm": (", norm: rmsnorm", BASELINE[1]),
    "qk_norm": (", qk_norm: true", BASELINE[1]),
    "relu2": (", mlp: relu2", BASELINE[1]),
    "swiglu": (", mlp: swiglu", BASELINE[1]),
    "untied head": (", tie_embeddings: false", BASELINE[1] + ", head_lr: 0.008"),
    "soft-cap 15": (", logit_softcap: 15", BASELINE[1]),
    "zero init": (", zero_init: true", BASELINE[1]),
    "no biases": (", bias: false", BASELINE[1]),
    "muon": ("", MODERN_TRAIN),
}


# Each change taken back out of the modern recipe (SLUICE_RECIPE_ABLATE=1): what the combination
# loses without it; the changes that do not help alone are the ones worth asking about.
LEAVE_ONE_OUT = {
    "rmsnorm → layernorm": (MODERN_MODEL.replace("norm: rmsnorm", "norm: layernorm"), MODERN_TRAIN),
    "no qk_norm": (MODERN_MODEL.replace("qk_norm: true", "qk_norm: false"), MODERN_TRAIN),
    "relu2 → gelu": (MODERN_MODEL.replace("mlp: relu2", "mlp: gelu"), MODERN_TRAIN),
    "relu2 → swiglu": (MODERN_MODEL.replace("mlp: relu2", "mlp: swiglu"), MODERN_TRAIN),
    "no soft-cap": (MODERN_MODEL.replace("logit_softcap: 15", "logit_softcap: 0"), MODERN_TRAIN),
    "no zero init": (MODERN_MODEL.replace("zero_init: true", "zero_init: false"), MODERN_TRAIN),
    "with biases": (MODERN_MODEL.replace("bias: false", "bias: true"), MODERN_TRAIN),
}
if os.environ.get("SLUICE_RECIPE_LOO"):  # a subset, by name: SLUICE_RECIPE_LOO="no qk_norm,relu2 → gelu"
    LEAVE_ONE_OUT = {k: v for k, v in LEAVE_ONE_OUT.items() if k in os.environ["SLUICE_RECIPE_LOO"].split(",")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    # run.py passes --sluice and --out only: the rest can come from the environment.
    ap.add_argument("--steps", type=int, default=int(os.environ.get("SLUICE_RECIPE_STEPS", "150")))
    ap.add_argument("--seeds", default=os.environ.get("SLUICE_RECIPE_SEEDS", "1"))
    ap.add_argument("--baseline-sluice", default=os.environ.get("SLUICE_BASELINE"))
    a = ap.parse_args()
    rows = []
    text_path = os.path.join(CORPUS, "text", "wikitext-2-valid.txt")
    if not os.path.exists(text_path):
        print("wikitext-2-valid missing; nothing to measure", file=sys.stderr)
        json.dump(rows, open(a.out, "w"))
        return
    text = open(text_path, encoding="utf-8").read()
    cut = int(len(text) * 0.9)
    S = SHAPE
    tps = S["batch"] * S["context"]
    with tempfile.TemporaryDirectory() as d:
        head_txt, tail_txt = os.path.join(d, "head.txt"), os.path.join(d, "tail.txt")
        open(head_txt, "w", encoding="utf-8").write(text[:cut])
        open(tail_txt, "w", encoding="utf-8").write(text[cut:])
        tok = os.path.join(d, "tokenizer.json")
        subprocess.run([a.sluice, "tokenizer", "train", "--model", "bpe", "--vocab-size", str(S["vocab"]), "--special-tokens",
                        "<|endoftext|>", "--output", tok, head_txt], check=True, capture_output=True, text=True)
        load0 = os.getloadavg()[0]
        results = {}
        # SLUICE_RECIPE_ABLATE: 1 = each change alone and each taken out of the modern recipe; "loo" = only the
        # latter (the modern recipe and its leave-one-out runs, no GPT-2, torch or Llama rows).
        mode = os.environ.get("SLUICE_RECIPE_ABLATE", "")
        recipes = [("gpt2", BASELINE), ("modern", (MODERN_MODEL, MODERN_TRAIN))]
        if mode == "loo":
            recipes = recipes[1:]
        for seed in [int(s) for s in a.seeds.split(",")]:
            for name, (mx, tx) in recipes:
                run = f"{name}-s{seed}"
                cfg = run_config(d, run, text_path, tok, a.steps, seed, mx, tx)
                wall, vals, step_time = train(a.sluice, cfg, os.path.join(d, run))
                ev = json.loads(subprocess.run([a.sluice, "eval", "--checkpoint", os.path.join(d, run, "latest"), "--text", tail_txt],
                                               check=True, capture_output=True, text=True).stdout)
                results[(name, seed)] = dict(wall=wall, vals=vals, step_time=step_time, bpb=ev["bits_per_byte"], loss=ev["loss"])
                print(run, wall, vals, ev, file=sys.stderr)
        if mode in ("1", "loo"):
            for seed in sorted({s for _, s in results}):
                g = results.get(("gpt2", seed))
                for change, (mx, tx) in ABLATION.items() if g else []:
                    run = "ablate-" + change.replace(" ", "-") + f"-s{seed}"
                    cfg = run_config(d, run, text_path, tok, a.steps, seed, mx, tx)
                    _, vals, _ = train(a.sluice, cfg, os.path.join(d, run))
                    ev = json.loads(subprocess.run([a.sluice, "eval", "--checkpoint", os.path.join(d, run, "latest"), "--text",
                                                    tail_txt], check=True, capture_output=True, text=True).stdout)
                    rows.append(row(f"ablation: {change} alone, held-out bits/byte after {a.steps * tps} tokens, seed {seed}",
                                    "bits/byte", ev["bits_per_byte"], g["bpb"], "Sluice GPT-2 recipe, same tokens", higher=False,
                                    notes=f"final val loss {vals[-1][1]:.4f} vs {g['vals'][-1][1]:.4f}"))
                m = results[("modern", seed)]
                for change, (mx, tx) in LEAVE_ONE_OUT.items():
                    run = "loo-" + "".join(c if c.isalnum() else "-" for c in change) + f"-s{seed}"
                    cfg = run_config(d, run, text_path, tok, a.steps, seed, mx, tx)
                    _, vals, _ = train(a.sluice, cfg, os.path.join(d, run))
                    ev = json.loads(subprocess.run([a.sluice, "eval", "--checkpoint", os.path.join(d, run, "latest"), "--text",
                                                    tail_txt], check=True, capture_output=True, text=True).stdout)
                    rows.append(row(f"ablation: modern recipe with {change}, held-out bits/byte after {a.steps * tps} tokens, "
                                    f"seed {seed}", "bits/byte", ev["bits_per_byte"], m["bpb"], "the modern recipe, same tokens",
                                    higher=False, notes=f"final val loss {vals[-1][1]:.4f} vs {m['vals'][-1][1]:.4f}"))
        load1 = os.getloadavg()[0]
        if mode == "loo":
            json.dump(rows, open(a.out, "w"), indent=1)
            return
        # torch nanoGPT, same shape: seconds per step measured now.
        ttoks, tver = train_bench.torch_speed(S["layers"], S["width"], S["heads"], S["context"], S["batch"], S["vocab"], 5)
        torch_s_per_token = 1 / ttoks
        shape = f"{S['layers']}L d{S['width']} H{S['heads']} T{S['context']} B{S['batch']} V{S['vocab']}"
        for seed in sorted({s for _, s in results}):
            g, m = results[("gpt2", seed)], results[("modern", seed)]
            target = g["vals"][-1][1]
            need = tokens_to(m["vals"], target, tps)
            budget = a.steps * tps
            g_need = tokens_to(g["vals"], target, tps)
            m_wall = None if need is None else time_at(m["step_time"], need, tps)
            g_train = g["step_time"][max(g["step_time"])]
            torch_wall = g_need * torch_s_per_token
            load = f"load average {load0:.1f} → {load1:.1f}"
            rows.append(row(
                f"tokens to the GPT-2 recipe's final val loss, wikitext-2 valid, {shape}, seed {seed}", "tokens",
                need, budget, "Sluice GPT-2 recipe (AdamW, learned positions, LayerNorm, GELU, tied head)", higher=False,
                notes=f"target val loss {target:.4f} nats/token (GPT-2 recipe after {budget} tokens); modern recipe: "
                      f"RoPE, RMSNorm, QK-norm, ReLU², untied head, soft-cap 15, zero-init projections, no biases, Muon "
                      f"(Pipelines/train-small.yaml); goal ≤ 0.6× the tokens; {load}"))
            if need is not None:
                rows.append(row(
                    f"wall time to the GPT-2 recipe's final val loss, {shape}, seed {seed}", "seconds", m_wall, torch_wall,
                    f"torch {tver} nanoGPT-style module, CPU, 2 threads (estimate: measured s/step × the GPT-2 recipe's steps)",
                    higher=False,
                    notes=f"training time only (validation excluded), summed from metrics.jsonl; Sluice GPT-2 recipe: "
                          f"{g_train:.0f} s for its {budget} tokens; torch {ttoks:.0f} tokens/s measured in this run; "
                          f"goal < 0.5× torch; {load}"))
            rows.append(row(
                f"held-out bits/byte after {budget} tokens, wikitext-2 valid last 10 %, {shape}, seed {seed}", "bits/byte",
                m["bpb"], g["bpb"], "Sluice GPT-2 recipe, same tokens", higher=False,
                notes=f"`sluice eval --text`; loss {m['loss']:.4f} vs {g['loss']:.4f} nats/token; wall {m['wall']:.0f} s vs {g['wall']:.0f} s; {load}"))

        # Llama layout read by transformers.
        cfg = run_config(d, "llama", text_path, tok, 3, 1,
                         ", positions: rope, norm: rmsnorm, mlp: swiglu, tie_embeddings: false, bias: false", ", optimizer: muon")
        train(a.sluice, cfg, os.path.join(d, "llama"))  # noqa: the logits are what matters here
        ids = [5, 77, 1023, 9, 300, 2047, 12, 12, 600]
        ours = json.loads(subprocess.run([a.sluice, "eval", "--checkpoint", os.path.join(d, "llama", "latest"), "--logits",
                                          ",".join(map(str, ids))], check=True, capture_output=True, text=True).stdout)
        import transformers
        hf = llama_ref.hf_logits(os.path.join(d, "llama", "latest"), ids)
        diff = float(np.max(np.abs(np.array(ours) - np.array(hf))))
        rows.append(row("Llama-layout checkpoint: largest |logit difference| vs LlamaForCausalLM", "abs difference", diff, 1e-4,
                        f"transformers {transformers.__version__} LlamaForCausalLM (goal ≤ 1e-4)", higher=False,
                        notes=f"{shape} RoPE/RMSNorm/SwiGLU/untied, 3 Muon steps; `sluice eval --logits` over {len(ids)} positions"))

    if a.baseline_sluice:
        tiny = dict(layers=4, width=256, heads=4, context=256, batch_size=8, vocab=8192, steps=3, warmup_steps=1)
        ours, base = [], []
        for _ in range(3):
            ours.append(train_bench.sluice_speed(a.sluice, **tiny)["tokens_per_second"])
            base.append(train_bench.sluice_speed(a.baseline_sluice, **tiny)["tokens_per_second"])
        rows.append(row("GPT-2 recipe tokens/s after the recipe options, tiny GPT 4L d256 H4 T256 B8 V8192", "tokens/s",
                        float(np.median(ours)), float(np.median(base)), "the same trainer before issue 23 (main's binary)",
                        notes=f"`sluice dev train-speed`, alternating, median of 3 each: {[round(x) for x in ours]} vs "
                              f"{[round(x) for x in base]}; goal within 5 %; load average {os.getloadavg()[0]:.1f}"))
    json.dump(rows, open(a.out, "w"), indent=1)
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
