#!/usr/bin/env python3
"""GPT-2 forward in numpy, written from Hugging Face's modeling_gpt2.py (Conv1D x @ W + b,
gelu_new, causal softmax(q k^T / sqrt(hs)), pre-norm blocks, layer_norm eps 1e-5, tied lm head),
reading safetensors with its own parser. The interop test runs it on checkpoints Sluice writes,
and uses `write-hf` to produce a checkpoint laid out as transformers' save_pretrained does
(`transformer.` prefixes, attn.bias mask buffers, lm_head.weight).

    gpt2_reference.py logits CKPT_DIR "1 2 3"   -> JSON [[logit, ...], ...] in float64
    gpt2_reference.py write-hf SRC_DIR DST_DIR   -> rewrite SRC's tensors HF-style into DST
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", t["dtype"]
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[base + a : base + b], dtype="<f4").reshape(t["shape"]).astype(np.float64)
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def forward(p, cfg, ids):
    T = len(ids)
    C, H = cfg["n_embd"], cfg["n_head"]
    hs = C // H
    x = p["wte.weight"][ids] + p["wpe.weight"][:T]
    mask = np.tril(np.ones((T, T), dtype=bool))
    for l in range(cfg["n_layer"]):
        g = lambda k: p[f"h.{l}.{k}"]
        h = layer_norm(x, g("ln_1.weight"), g("ln_1.bias"))
        qkv = h @ g("attn.c_attn.weight") + g("attn.c_attn.bias")
        q, k, v = np.split(qkv, 3, axis=-1)
        heads = []
        for i in range(H):
            s = slice(i * hs, (i + 1) * hs)
            att = q[:, s] @ k[:, s].T / np.sqrt(hs)
            att = np.where(mask, att, -np.inf)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            heads.append(att @ v[:, s])
        y = np.concatenate(heads, -1) @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
        x = x + y
        h = layer_norm(x, g("ln_2.weight"), g("ln_2.bias"))
        x = x + gelu_new(h @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias")) @ g("mlp.c_proj.weight") + g("mlp.c_proj.bias")
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"])
    return x @ p["wte.weight"].T


def main():
    cmd = sys.argv[1]
    if cmd == "logits":
        d, ids = sys.argv[2], [int(t) for t in sys.argv[3].split()]
        cfg = json.load(open(d + "/config.json"))
        assert cfg["model_type"] == "gpt2" and cfg["activation_function"] == "gelu_new"
        p = {k.removeprefix("transformer."): v for k, v in read_safetensors(d + "/model.safetensors").items()}
        print(json.dumps(forward(p, cfg, ids).tolist()))
    elif cmd == "write-hf":
        src, dst = sys.argv[2], sys.argv[3]
        cfg = json.load(open(src + "/config.json"))
        p = read_safetensors(src + "/model.safetensors")
        out = {"transformer." + k: v for k, v in p.items()}
        n = cfg["n_positions"]
        for l in range(cfg["n_layer"]):
            out[f"transformer.h.{l}.attn.bias"] = np.tril(np.ones((n, n)))[None, None]
        out["lm_head.weight"] = p["wte.weight"]
        write_safetensors(dst + "/model.safetensors", out)
        json.dump(cfg, open(dst + "/config.json", "w"))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
