#!/usr/bin/env python3
"""Instruction tuning (issue 24, part 3) on the shipped Tatoeba language-identification set
(Fixtures/sft: 803 training conversations, 144 held out by sentence id):

* a small GPT-2 is pre-trained by `sluice train` on the multilingual UDHR fixture with the
  fixture's byte-level BPE (1000 ids); `sluice eval --task sft` on the held-out file gives the
  assistant-token loss and the greedy exact match before fine-tuning (markers added in memory,
  mean rows, as `sluice finetune` adds them);
* `sluice finetune` (packed, segment-masked windows, loss on assistant tokens), then the same eval;
* the fine-tuned checkpoint read by transformers (GPT2LMHeadModel, PreTrainedTokenizerFast with the
  checkpoint's tokenizer.json and tokenizer_config.json chat_template): each held-out conversation
  rendered with apply_chat_template and run alone, loss on the response tokens, greedy generate
  stopping at eos (`<|end|>`): the same figures from an independent implementation.

    bench.py --sluice .build/release/sluice --out rows.json [--steps N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Fixtures")
TRAIN = os.path.join(FIX, "sft", "tatoeba-langid-train.jsonl")
HELD = os.path.join(FIX, "sft", "tatoeba-langid-heldout.jsonl")
TOK = os.path.join(FIX, "tokenize", "bpe-udhr-1000.json")
TEXT = os.path.join(FIX, "tokenize", "udhr-multilingual.txt")
SHAPE = dict(layers=4, width=128, heads=4, context=128, batch=16)


def row(benchmark, metric, ours, ref, tool, higher=True, notes=""):
    ratio = None
    if ours is not None and ref:
        ratio = ours / ref if higher else ref / ours
    return {"benchmark": benchmark, "metric": metric, "sluice": ours, "reference": ref, "reference_tool": tool,
            "ratio": ratio, "higher_is_better": higher, "notes": notes}


def run(args):
    t0 = time.time()
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed: {r.stderr[-3000:]}")
    return r.stdout, time.time() - t0


def hf_eval(ckpt, conversations):
    import torch
    from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast

    torch.set_num_threads(2)
    tok = PreTrainedTokenizerFast.from_pretrained(ckpt)
    model = GPT2LMHeadModel.from_pretrained(ckpt).eval()
    end = tok.convert_tokens_to_ids("<|end|>")
    total, n, matched = 0.0, 0, 0
    with torch.no_grad():
        for msgs in conversations:
            prompt = tok.apply_chat_template(msgs[:-1], tokenize=False, add_generation_prompt=True)
            full = tok.apply_chat_template(msgs, tokenize=False)
            p = tok(prompt, add_special_tokens=False)["input_ids"]
            f = tok(full, add_special_tokens=False)["input_ids"]
            assert f[:len(p)] == p, "the prompt is a prefix of the conversation"
            ids = torch.tensor([f])
            logits = model(ids).logits[0]
            logp = torch.log_softmax(logits.double(), dim=-1)
            for i in range(len(p), len(f)):
                total -= logp[i - 1, f[i]].item()
                n += 1
            out = model.generate(torch.tensor([p]), max_new_tokens=16, do_sample=False, eos_token_id=end,
                                 pad_token_id=end, attention_mask=torch.ones(1, len(p), dtype=torch.long))
            text = tok.decode(out[0, len(p):].tolist(), skip_special_tokens=True)
            matched += text.strip() == msgs[-1]["content"].strip()
    return total / n, matched / len(conversations), n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=int(os.environ.get("SLUICE_SFT_STEPS", "200")))
    ap.add_argument("--pretrain-steps", type=int, default=200)
    a = ap.parse_args()
    sluice = os.path.abspath(a.sluice)
    load = os.getloadavg()[0]
    S = SHAPE
    rows = []
    held = [json.loads(l)["messages"] for l in open(HELD, encoding="utf-8") if l.strip()]
    train_answers = [json.loads(l)["messages"][-1]["content"] for l in open(TRAIN, encoding="utf-8") if l.strip()]
    majority = max(set(train_answers), key=train_answers.count)
    majority_em = sum(m[-1]["content"] == majority for m in held) / len(held)
    with tempfile.TemporaryDirectory(prefix="sluice-sft-") as d:
        pre = os.path.join(d, "pre.yaml")
        open(pre, "w").write(f"""
model: {{recipe: gpt2, context_length: {S['context']}, layers: {S['layers']}, heads: {S['heads']}, width: {S['width']}}}
data: {{text: [{TEXT}], tokenizer: {TOK}, val_fraction: 0.05}}
train: {{batch_size: {S['batch']}, steps: {a.pretrain_steps}, lr: 1.0e-3, warmup: 30, eval_every: 0, checkpoint_every: 0, log_every: 100}}
out: {d}/pre
""")
        _, pre_s = run([sluice, "train", pre])
        base = os.path.join(d, "pre", "latest")
        ev = lambda ck: json.loads(run([sluice, "eval", "--checkpoint", ck, "--task", "sft", HELD, "--max-new-tokens", "16",
                                        "--batch-size", "16"])[0])
        before = ev(base)
        ft = os.path.join(d, "ft.yaml")
        open(ft, "w").write(f"""
init_from: {base}
model: {{context_length: {S['context']}}}
sft: {{train: [{TRAIN}], val: [{HELD}]}}
train: {{batch_size: {S['batch']}, steps: {a.steps}, lr: 1.0e-3, min_lr: 1.0e-4, warmup: 30, weight_decay: 0.0,
        eval_every: 0, checkpoint_every: 0, log_every: 100}}
out: {d}/ft
""")
        out, ft_s = run([sluice, "finetune", ft])
        summary = json.loads(out)
        ck = os.path.join(d, "ft", "latest")
        after = ev(ck)
        tok_per_s = []
        for line in open(os.path.join(d, "ft", "metrics.jsonl")):
            o = json.loads(line)
            if "tokens_per_second" in o:
                tok_per_s.append(o["tokens_per_second"])
        tok_per_s.sort()
        median_tps = tok_per_s[len(tok_per_s) // 2]
        hf_loss, hf_em, hf_n = hf_eval(ck, held)
    import transformers
    import torch
    shape = f"{S['layers']}L d{S['width']} H{S['heads']} T{S['context']}, vocab 1000+4 markers"
    common = (f"Tatoeba CC0 language ID, 10 languages, train 803 / held-out 144 (split by sentence id); {shape}; "
              f"pre-trained {a.pretrain_steps} steps B{S['batch']} on the UDHR fixture ({pre_s:.0f} s); fine-tuned "
              f"{a.steps} steps B{S['batch']} packed ({summary['train']['kept']} conversations, {ft_s:.0f} s, median "
              f"{median_tps:.0f} tokens/s); 2 threads; load average {load:.1f} at start")
    rows.append(row("sft held-out assistant loss: after vs before fine-tuning", "nats/token ↓", after["loss"], before["loss"],
                    "the same model before fine-tuning (sluice eval --task sft)", higher=False,
                    notes=f"{after['assistant_tokens']} assistant tokens; {common}"))
    rows.append(row("sft held-out exact match: after fine-tuning vs majority answer", "exact match ↑", after["exact_match"],
                    majority_em, f"always answering '{majority}' (most frequent training answer)",
                    notes=f"before fine-tuning: {before['exact_match']:.3f} ({before['matched']}/{before['generated']}); "
                          f"after: {after['matched']}/{after['generated']}; greedy, stop at <|end|>; {common}"))
    rows.append(row("sft held-out assistant loss: sluice vs transformers on the fine-tuned checkpoint", "nats/token ↓",
                    after["loss"], hf_loss, f"transformers {transformers.__version__} GPT2LMHeadModel + apply_chat_template "
                    f"(torch {torch.__version__})", higher=False,
                    notes=f"|Δ| = {abs(after['loss'] - hf_loss):.2e}; sluice packs conversations into segment-masked windows, "
                          f"transformers runs each alone; {hf_n} vs {after['assistant_tokens']} tokens"))
    rows.append(row("sft held-out exact match: sluice vs transformers generate", "exact match ↑", after["exact_match"],
                    hf_em, f"transformers {transformers.__version__} generate (greedy, eos <|end|>)",
                    notes="same checkpoint, chat template from its tokenizer_config.json"))
    json.dump(rows, open(a.out, "w"), indent=1)
    for r in rows:
        print(r["benchmark"], r["sluice"], r["reference"], r["notes"][:80])


if __name__ == "__main__":
    sys.exit(main())
