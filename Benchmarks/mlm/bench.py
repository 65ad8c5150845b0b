#!/usr/bin/env python3
"""Masked-language-modelling benchmarks for `sluice train` with `model.objective: mlm` (issue 24,
part 2), all in one run:

* training tokens/s of the reference tiny shape (4 layers, d 256, 4 heads, T 256, B 8, V 8192)
  with the MLM objective (bidirectional attention, BERT's masking, loss on the 15 % chosen) beside
  the same shape with the causal objective, and beside Hugging Face transformers' BertForMaskedLM
  of the same depth, width, heads, context, batch and vocabulary (fp32, CPU, 2 threads, labels
  −100 off the masked positions);
* quality: Pipelines/train-mlm.yaml as shipped (the Shakespeare fixture, 300 steps), then
  masked-token accuracy on held-out Shakespeare (characters 16 000–60 000 of
  Fixtures/tokenize/tinyshakespeare-60k.txt, which the run never saw) beside the unigram baseline
  (always answering the most frequent token) on the same masked positions.

    bench.py --sluice .build/release/sluice --out rows.json [--quick]
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("train_bench", os.path.join(ROOT, "Benchmarks", "train", "bench.py"))
train_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train_bench)
row, sluice_speed, time_steps = train_bench.row, train_bench.sluice_speed, train_bench.time_steps


def bert_speed(layers, width, heads, context, batch, vocab, steps, threads=2):
    """Tokens/s of transformers' BertForMaskedLM of the same shape: 15 % of the positions labelled
    (the rest −100), inputs with those positions set to the last id (as [MASK])."""
    import numpy as np
    import torch
    import transformers
    from transformers import BertConfig, BertForMaskedLM

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=vocab, hidden_size=width, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=4 * width, max_position_embeddings=context, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0, hidden_act="gelu_new")
    m = BertForMaskedLM(cfg)
    m.train()
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, vocab - 1, size=(batch, context + 1), dtype=np.int64) for _ in range(steps + 1)]
    chosen = [torch.from_numpy(rng.random((batch, context)) < 0.15) for _ in range(steps + 1)]
    it = iter(chosen)

    def loss(m, x, _y):
        c = next(it)
        labels = torch.where(c, x, torch.full_like(x, -100))
        inputs = torch.where(c, torch.full_like(x, vocab - 1), x)
        return m(input_ids=inputs, labels=labels).loss

    dt = time_steps(torch, m, loss, batches, threads)
    return batch * context / dt, transformers.__version__, m.config._attn_implementation


def quality(sluice, rows, quick):
    """Trains Pipelines/train-mlm.yaml in a temporary copy of Pipelines/ and Fixtures/ and evaluates held-out text."""
    with tempfile.TemporaryDirectory() as d:
        for folder in ["Pipelines", "Fixtures"]:
            shutil.copytree(os.path.join(ROOT, folder), os.path.join(d, folder))
        text = open(os.path.join(ROOT, "Fixtures", "tokenize", "tinyshakespeare-60k.txt"), encoding="utf-8").read()
        held = os.path.join(d, "held-out.txt")
        open(held, "w", encoding="utf-8").write(text[16000:])
        args = [sluice, "train", "Pipelines/train-mlm.yaml"] + (["--steps", "40"] if quick else [])
        t0 = time.time()
        subprocess.run(args, check=True, capture_output=True, text=True, cwd=d)
        train_s = time.time() - t0
        ev = json.loads(subprocess.run([sluice, "eval", "--checkpoint", "runs/train-mlm/latest", "--text", held],
                                       check=True, capture_output=True, text=True, cwd=d).stdout)
        rows.append(row(
            "MLM masked-token accuracy, held-out Shakespeare (Pipelines/train-mlm.yaml, %s steps)" % ("40" if quick else "300"),
            "accuracy", ev["accuracy"], ev["unigram_accuracy"], "unigram baseline (the most frequent token, same positions)",
            notes=f"{ev['masked']} masked positions of {ev['tokens']} tokens (characters 16000-60000 of the 60k fixture, "
                  f"never trained on), mask seed 0; masked loss {ev['loss']:.3f} nats vs unigram {ev['unigram_loss']:.3f}; "
                  f"trained in {train_s:.0f} s; load average {os.getloadavg()[0]:.1f}"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke test)")
    a = ap.parse_args()
    steps = 3 if a.quick else 6
    rows = []
    shape = dict(layers=4, width=256, heads=4, context=256, batch_size=8, vocab=8192)
    load = "load average %.1f at start" % os.getloadavg()[0]
    mlm = sluice_speed(a.sluice, runs=3, steps=steps, warmup_steps=1, objective="mlm", **shape)
    causal = sluice_speed(a.sluice, runs=3, steps=steps, warmup_steps=1, objective="causal", **shape)
    name = "train tiny MLM 4L d256 H4 T256 B8 V8192 (%d params)" % mlm["parameters"]
    rows.append(row(name + " vs causal", "tokens/s", mlm["tokens_per_second"], causal["tokens_per_second"],
                    "sluice, causal objective (same shape, same run)",
                    notes=f"median of 3 processes × {steps} steps each; bidirectional attention costs the causal "
                          f"kernels' FLOPs (both compute full T×T scores); {load}"))
    btoks, bver, attn = bert_speed(4, 256, 4, 256, 8, 8192, steps)
    rows.append(row(name + " vs transformers", "tokens/s", mlm["tokens_per_second"], btoks,
                    "transformers %s BertForMaskedLM (%s attention, CPU, 2 threads)" % (bver, attn),
                    notes=f"measured in this run, same depth, width, heads, context, batch, vocabulary, 15 % labelled; "
                          f"BERT adds token-type embeddings and an MLM transform layer (dense + LN) before its head; "
                          f"load average {os.getloadavg()[0]:.1f}"))
    quality(a.sluice, rows, a.quick)
    json.dump(rows, open(a.out, "w"), indent=1)
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
