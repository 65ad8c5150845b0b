#!/usr/bin/env python3
"""Serving benchmarks for `sluice serve` (issue 25), all in one run on loopback:

* one checkpoint in the train-tiny shape (4 layers, d 384, 6 heads, T 256) with a byte-level BPE
  of 8192 trained on tinyshakespeare, random weights (speed does not depend on them), written by
  Hugging Face transformers' `save_pretrained` so that both tools load the same files;
* `sluice serve --max-batch 32 --threads 1` under a load generator (threads, one keep-alive
  HTTP/1.1 connection each, POST /v1/completions, 16-token prompt, 64 greedy tokens, no
  streaming) at 1, 8 and 32 concurrent clients: generated tokens/s over the wall time, p50 and
  p99 request latency;
* the same checkpoint under transformers + torch (CPU, 1 thread) `generate()`: greedy, 64 new
  tokens (min_new_tokens = max_new_tokens, so neither side stops early), the c prompts of a load
  level in one static batch (the best a batch of c can do without a server): tokens/s and the
  batch's time as every request's latency.

    bench.py --sluice .build/release/sluice --out rows.json [--quick]
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
PROMPT = "ROMEO:\nWhat light through yonder window breaks? It is the east, and"
NEW_TOKENS = 64
THREADS = 1  # the machine is shared: one thread each side avoids thread hand-offs starved by other processes


def row(benchmark, metric, ours, ref, tool, higher=True, notes=""):
    ratio = None
    if ours is not None and ref:
        ratio = ours / ref if higher else ref / ours
    return {"benchmark": benchmark, "metric": metric, "sluice": ours, "reference": ref, "reference_tool": tool,
            "ratio": ratio, "higher_is_better": higher, "notes": notes}


def make_checkpoint(sluice, work):
    """A train-tiny-shaped GPT-2 checkpoint (HF save_pretrained) with Sluice's BPE of tinyshakespeare."""
    import torch
    import transformers

    text = os.path.join(CORPUS, "text", "tinyshakespeare.txt")
    if not os.path.exists(text):
        text = os.path.join(ROOT, "Fixtures", "train", "tinyshakespeare-16k.txt")
    yaml = f"""input:
  paths: [{text}]
  options:
    text: {{split: paragraph}}
output: {work}/tok
stages:
  - train_tokenizer: {{vocab_size: 8192}}
  - tokenize: {{}}
"""
    with open(os.path.join(work, "tok.yaml"), "w") as f:
        f.write(yaml)
    subprocess.run([sluice, "run", os.path.join(work, "tok.yaml")], check=True, capture_output=True)
    tok = json.load(open(os.path.join(work, "tok", "tokenizer.json")))
    vocab = len(tok["model"]["vocab"]) + len([a for a in tok.get("added_tokens", []) if a["id"] >= len(tok["model"]["vocab"])])
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=vocab, n_positions=256, n_embd=384, n_layer=4, n_head=6,
                                  activation_function="gelu_new", resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)
    model = transformers.GPT2LMHeadModel(cfg)
    ckpt = os.path.join(work, "ckpt")
    model.save_pretrained(ckpt, safe_serialization=True)
    subprocess.run(["cp", os.path.join(work, "tok", "tokenizer.json"), ckpt], check=True)
    return ckpt, vocab


def start_server(sluice, ckpt):
    p = subprocess.Popen([sluice, "serve", "--checkpoint", ckpt, "--model-name", "bench", "--port", "0", "--max-batch", "32",
                          "--max-queue", "256", "--threads", str(THREADS)], stderr=subprocess.PIPE, text=True)
    line = ""
    while True:
        line = p.stderr.readline()
        if not line:
            raise SystemExit("sluice serve did not start")
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: p.stderr.read(), daemon=True).start()
            return p, int(m.group(1))


def load_test(port, clients, requests_per_client):
    """Each client thread sends its requests one after another on one connection."""
    latencies, tokens, errors = [], [0], []
    lock = threading.Lock()
    body = json.dumps({"model": "bench", "prompt": PROMPT, "max_tokens": NEW_TOKENS, "temperature": 0}).encode()

    def client():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for _ in range(requests_per_client):
            t0 = time.perf_counter()
            c.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            dt = time.perf_counter() - t0
            with lock:
                if r.status != 200:
                    errors.append(r.status)
                    continue
                latencies.append(dt)
                tokens[0] += json.loads(data)["usage"]["completion_tokens"]
        c.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"load test: {len(errors)} failed requests ({errors[:5]})")
    latencies.sort()
    return {"tokens_per_s": tokens[0] / wall, "p50": pct(latencies, 50), "p99": pct(latencies, 99),
            "requests": len(latencies), "tokens": tokens[0]}


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def hf_generate(ckpt, clients, repeats):
    """transformers generate() on a static batch of `clients` identical prompts, `repeats` times."""
    import torch
    import transformers

    torch.set_num_threads(THREADS)
    model = transformers.GPT2LMHeadModel.from_pretrained(ckpt).eval()
    from tokenizers import Tokenizer

    ids = Tokenizer.from_file(os.path.join(ckpt, "tokenizer.json")).encode(PROMPT).ids
    x = torch.tensor([ids] * clients)
    mask = torch.ones_like(x)
    times, tokens = [], 0
    with torch.inference_mode():
        model.generate(x[:1], attention_mask=mask[:1], max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0)
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = model.generate(x, attention_mask=mask, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                 do_sample=False, pad_token_id=0)
            times.append(time.perf_counter() - t0)
            tokens += (out.shape[1] - x.shape[1]) * clients
    times.sort()
    return {"tokens_per_s": tokens / sum(times), "p50": pct(times, 50), "p99": pct(times, 99),
            "version": f"transformers {transformers.__version__}, torch {torch.__version__}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sluice-bench-serve-") as work:
        ckpt, vocab = make_checkpoint(args.sluice, work)
        levels = [1, 8, 32]
        per_client = {1: 6, 8: 2, 32: 1} if not args.quick else {1: 2, 8: 1, 32: 1}
        server, port = start_server(args.sluice, ckpt)
        try:
            load_test(port, 2, 1)  # warm-up
            ours = {}
            for c in levels:
                load = os.getloadavg()[0]
                ours[c] = load_test(port, c, per_client[c])
                ours[c]["load"] = load
                print(f"sluice serve, {c} clients: {ours[c]}", file=sys.stderr)
        finally:
            server.terminate()
            server.wait(timeout=120)
        ref = {}
        for c in levels:
            load = os.getloadavg()[0]
            ref[c] = hf_generate(ckpt, c, {1: 6, 8: 2, 32: 2}[c])
            ref[c]["load"] = load
            print(f"transformers generate, batch {c}: {ref[c]}", file=sys.stderr)
        shape = f"train-tiny shape 4L d384 H6 T256 V{vocab}, {len(PROMPT)}-char prompt, {NEW_TOKENS} greedy tokens"
        tool = ref[1]["version"] + " generate() (CPU, %d thread)" % THREADS
        for c in levels:
            o, r = ours[c], ref[c]
            note = (f"{shape}; sluice: {o['requests']} requests over HTTP on loopback, --max-batch 32; transformers: a static "
                    f"batch of {c}; load average {o['load']:.1f} (sluice) / {r['load']:.1f} (transformers)")
            rows.append(row(f"serve, {c} concurrent client{'s' if c > 1 else ''}: throughput", "generated tokens/s",
                            o["tokens_per_s"], r["tokens_per_s"], tool, notes=note))
            rows.append(row(f"serve, {c} concurrent client{'s' if c > 1 else ''}: p50 latency", "s",
                            o["p50"], r["p50"], tool, higher=False, notes=note))
            rows.append(row(f"serve, {c} concurrent client{'s' if c > 1 else ''}: p99 latency", "s",
                            o["p99"], r["p99"], tool, higher=False, notes=note))
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
