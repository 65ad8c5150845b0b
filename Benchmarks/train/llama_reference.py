#!/usr/bin/env python3
"""Llama forward in numpy, written from Hugging Face's modeling_llama.py (RMSNorm x·rsqrt(mean x² + eps)·w,
rotary embeddings with rotate_half on q and k, causal softmax(q kᵀ / √hd), SwiGLU MLP
down(silu(gate(x))·up(x)), pre-norm blocks, optional biases, tied or untied head), reading
safetensors with gpt2_reference's parser. The interop test runs it on the Llama-layout checkpoints
Sluice writes; `hf` runs transformers' own LlamaForCausalLM instead (needs torch + transformers,
as in the benchmark venv).

    llama_reference.py logits CKPT_DIR "1 2 3"   -> JSON [[logit, ...], ...] (numpy, float64)
    llama_reference.py hf CKPT_DIR "1 2 3"       -> the same from LlamaForCausalLM (float32)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import read_safetensors  # noqa: E402


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def logits(ckpt, ids):
    cfg = json.load(open(os.path.join(ckpt, "config.json")))
    w = read_safetensors(os.path.join(ckpt, "model.safetensors"))
    C, NH, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    hd, eps, theta = C // NH, cfg["rms_norm_eps"], cfg["rope_theta"]
    T = len(ids)

    def lin(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    # HF computes the angles in float32; so do we, then the rest in float64.
    inv = (1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.int64).astype(np.float32) / hd))).astype(np.float32)
    freqs = np.outer(np.arange(T, dtype=np.float32), inv).astype(np.float32)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb).astype(np.float64), np.sin(emb).astype(np.float64)
    x = w["model.embed_tokens.weight"][ids]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q, k, v = (lin(h, p + f"self_attn.{n}_proj").reshape(T, NH, hd).transpose(1, 0, 2) for n in "qkv")
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        y = (s @ v).transpose(1, 0, 2).reshape(T, C)
        x = x + lin(y, p + "self_attn.o_proj")
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = lin(h, p + "mlp.gate_proj")
        x = x + lin(g / (1 + np.exp(-g)) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return (x @ head.T).tolist()


def hf_logits(ckpt, ids):
    import torch
    from transformers import LlamaForCausalLM

    m = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=torch.float32)
    m.eval()
    with torch.no_grad():
        return m(torch.tensor([ids])).logits[0].double().tolist()


if __name__ == "__main__":
    cmd, ckpt, ids = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3].split()]
    print(json.dumps(logits(ckpt, ids) if cmd == "logits" else hf_logits(ckpt, ids)))
