#!/usr/bin/env python3
"""Data-parallel training on MPI (issue 24, docs/distributed.md), all in one run:

* `sluice train` of the reference tiny GPT's width (4 layers, d 256, 4 heads, V 8192; T 128, micro-batch 8,
  global batch 16 sequences per step) three ways: 1 process × 1 thread, 2 ranks × 1 thread
  (`mpirun -np 2`), 1 process × 2 threads; tokens/s is the median step of each run (metrics.jsonl);
* PyTorch DDP (gloo, 2 ranks × 1 thread) on the same shape, micro-batch and global batch, the
  nanoGPT-style module of Benchmarks/train, as the reference for the 2-rank row;
* the allreduce share of step time under 2 ranks: seconds inside MPI calls (starting, progressing and
  waiting for the gradient buckets, and the loss sum) over the step, with the buckets overlapped with
  backward, beside the same run with one blocking allreduce after backward (SLUICE_ALLREDUCE_OVERLAP=0).

    bench.py --sluice .build/release/sluice --out rows.json [--steps N]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAPE = dict(layers=4, width=256, heads=4, context=128, vocab=8192, batch=8, global_batch=16)
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "SLUICE_NO_PROGRESS": "1"}


def make_shards(sluice, d):
    """Shakespeare fixture → byte-level BPE (512) shards; the model's vocabulary is padded to 8192."""
    yaml = f"""input:
  paths: [{ROOT}/Fixtures/train/tinyshakespeare-16k.txt]
  options:
    text: {{split: paragraph}}
output: {d}/shards
stages:
  - train_tokenizer: {{vocab_size: 512}}
  - tokenize: {{validation_fraction: 0}}
"""
    with open(d + "/tok.yaml", "w") as f:
        f.write(yaml)
    subprocess.run([sluice, "run", d + "/tok.yaml"], check=True, capture_output=True)


def write_config(d, steps):
    s = SHAPE
    cfg = f"""model: {{recipe: gpt2, context_length: {s['context']}, layers: {s['layers']}, heads: {s['heads']}, width: {s['width']}, vocab_size: {s['vocab']}}}
data: {{train: [{d}/shards], val_fraction: 0}}
train: {{batch_size: {s['batch']}, global_batch: {s['global_batch']}, steps: {steps}, lr: 1.0e-3, warmup: 2, eval_every: 0,
        checkpoint_every: 0, log_every: 1000}}
out: {d}/run
"""
    with open(d + "/run.yaml", "w") as f:
        f.write(cfg)
    return d + "/run.yaml"


def sluice_run(sluice, cfg, out, threads, ranks, overlap=True):
    """Median tokens/s and median allreduce share of the steps after the first two."""
    shutil.rmtree(out, ignore_errors=True)
    args = [sluice, "train", cfg, "--out", out, "--threads", str(threads)]
    env = dict(os.environ, **MPI_ENV)
    if not overlap:
        env["SLUICE_ALLREDUCE_OVERLAP"] = "0"
    if ranks > 1:
        args = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", str(ranks)] + args
    subprocess.run(args, check=True, capture_output=True, env=env)
    tps, share = [], []
    with open(out + "/metrics.jsonl") as f:
        for line in f:
            o = json.loads(line)
            if "tokens_per_second" not in o or o["step"] <= 2:
                continue
            tps.append(o["tokens_per_second"])
            if "allreduce_seconds" in o:
                step_seconds = SHAPE["global_batch"] * SHAPE["context"] / o["tokens_per_second"]
                share.append(o["allreduce_seconds"] / step_seconds)
    return statistics.median(tps), (statistics.median(share) if share else None), len(tps)


DDP_WORKER = r'''
import os, sys, time, json, statistics
import torch, torch.nn as nn, torch.nn.functional as F, torch.distributed as dist
torch.set_num_threads(1)
layers, width, heads, context, vocab, batch, global_batch, steps = map(int, sys.argv[1:9])
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
accum = global_batch // (batch * world)
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

model = torch.nn.parallel.DistributedDataParallel(GPT())
opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
g = torch.Generator().manual_seed(rank)
times = []
for s in range(steps):
    t0 = time.perf_counter()
    opt.zero_grad()
    for m in range(accum):
        b = torch.randint(0, vocab, (batch, context + 1), generator=g)
        x, y = b[:, :-1].contiguous(), b[:, 1:].contiguous()
        if m < accum - 1:
            with model.no_sync():
                (model(x, y) / accum).backward()
        else:
            (model(x, y) / accum).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if s >= 2:
        times.append(time.perf_counter() - t0)
if rank == 0:
    print(json.dumps({"tokens_per_second": global_batch * context / statistics.median(times), "torch": torch.__version__}))
dist.destroy_process_group()
'''


def ddp_run(python, d, steps):
    """PyTorch DDP over gloo, 2 ranks × 1 thread, started with torch.distributed.run."""
    worker = d + "/ddp_worker.py"
    with open(worker, "w") as f:
        f.write(DDP_WORKER)
    s = SHAPE
    args = [python, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", worker] + [
        str(s[k]) for k in ("layers", "width", "heads", "context", "vocab", "batch", "global_batch")] + [str(steps)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return json.loads([line for line in r.stdout.splitlines() if line.startswith("{")][-1])


def row(benchmark, metric, ours, ref, tool, higher=True, notes=""):
    ratio = None
    if isinstance(ours, (int, float)) and isinstance(ref, (int, float)) and ours > 0 and ref > 0:
        ratio = ours / ref if higher else ref / ours
    return {"benchmark": benchmark, "metric": metric, "sluice": ours, "reference": ref, "reference_tool": tool,
            "ratio": ratio, "higher_is_better": higher, "notes": notes}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds of the four sluice runs")
    a = ap.parse_args()
    sluice = os.path.abspath(a.sluice)
    if shutil.which("mpirun") is None:
        sys.exit("mpirun is not on PATH: install OpenMPI with `make deps` (openmpi-bin, libopenmpi-dev)")
    s = SHAPE
    name = (f"train tiny GPT {s['layers']}L d{s['width']} H{s['heads']} T{s['context']} V{s['vocab']}, "
            f"micro-batch {s['batch']}, global batch {s['global_batch']}")
    with tempfile.TemporaryDirectory(prefix="sluice-bench-mpi-") as d:
        make_shards(sluice, d)
        cfg = write_config(d, a.steps)
        load0 = os.getloadavg()[0]
        # Interleaved twice, so that a change in the machine's load falls on every configuration.
        runs = {"one": [], "two": [], "threads": [], "blocking": []}
        for _ in range(a.rounds):
            runs["one"].append(sluice_run(sluice, cfg, d + "/one", threads=1, ranks=1))
            runs["two"].append(sluice_run(sluice, cfg, d + "/two", threads=1, ranks=2))
            runs["threads"].append(sluice_run(sluice, cfg, d + "/threads", threads=2, ranks=1))
            runs["blocking"].append(sluice_run(sluice, cfg, d + "/blocking", threads=1, ranks=2, overlap=False))
        ddp = ddp_run(sys.executable, d, a.steps)
        load1 = os.getloadavg()[0]
    med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    share = statistics.median(r[1] for r in runs["two"])
    share_blocking = statistics.median(r[1] for r in runs["blocking"])
    steps = sum(r[2] for r in runs["two"])
    load = f"load average {load0:.1f} at start, {load1:.1f} at end (2 cores)"
    rows = [
        row(name + ": 2 ranks × 1 thread vs 1 process × 2 threads", "tokens/s", med["two"], med["threads"],
            "sluice train, 1 process × 2 threads",
            notes=f"mpirun -np 2 (OpenMPI, shared memory); median step of {a.rounds} interleaved run(s) of {a.steps} steps "
                  f"(first 2 left out); {load}"),
        row(name + ": 2 ranks × 1 thread vs 1 rank × 1 thread", "tokens/s", med["two"], med["one"],
            "sluice train, 1 process × 1 thread",
            notes=f"ratio = speed-up of the second rank (2.0 is linear); same runs; {load}"),
        row(name + ": 2 ranks × 1 thread vs PyTorch DDP", "tokens/s", med["two"], ddp["tokens_per_second"],
            f"torch {ddp['torch']} DistributedDataParallel (gloo), 2 ranks × 1 thread",
            notes=f"nanoGPT-style module, same shape, micro-batch, global batch and AdamW + clip step; random ids; "
                  f"median step; {load}"),
        row(name + ": allreduce share of step time, 2 ranks", "fraction of step", share, share_blocking,
            "sluice, one blocking MPI_Allreduce after backward (SLUICE_ALLREDUCE_OVERLAP=0)", higher=False,
            notes=f"time inside MPI calls over step time, median of {steps} steps; buckets start during backward "
                  f"(MPI_Iallreduce), wait before the optimizer step; {load}"),
    ]
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
