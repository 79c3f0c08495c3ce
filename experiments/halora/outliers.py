#!/usr/bin/env python3
"""Gives a pretrained stand-in the heavy-tailed weight tiles of a large LLM by an exactly function-preserving
rescaling, so that the paper's noise (sigma x max|W| of each 64 x 64 tile) is as large relative to the typical
weight as it is in LLaMA-class models (docs/experiments.md says why and what it changes).

    /usr/bin/python3 outliers.py IN_DIR OUT_DIR [--factor 4] [--tile 64]     (numpy: Debian python3-numpy)

In every 64-wide block of every projection's input, the column with the largest norm is multiplied by FACTOR (a
power of two, so the bf16 values scale exactly) and the one place that feeds it is divided by FACTOR:
  q, k, v and gate, up: input column j x F, the RMSNorm gain j before them / F (input_layernorm, post_attention_layernorm);
  o: input column d x F (d = head h, index i) and the v row (kv head of h, i) / F; GQA: every query head that shares
     that kv head gets the same factor on its column i;
  down: input column j x F and the up row j / F (SwiGLU is linear in up).
On ideal devices the model computes the same function (up to float rounding of the reordered products); under the
paper's noise every tile that holds an outlier column gets FACTOR-fold larger noise on all its weights.
Writes OUT_DIR/model.safetensors (bf16), config.json and outliers.json (max|W| / std per full tile, before and after).
"""
import json
import os
import shutil
import struct
import sys

import numpy as np


def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for k, v in header.items():
        if v["dtype"] != "BF16":
            sys.exit(f"{path}: tensor {k} is {v['dtype']}, expected BF16")
        s, e = v["data_offsets"]
        raw = np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.uint16)
        out[k] = (raw.astype(np.uint32) << 16).view(np.float32).reshape(v["shape"]).copy()
    return out


def save(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for k in sorted(tensors):
        t = np.ascontiguousarray(tensors[k], dtype=np.float32)
        bits = t.view(np.uint32)
        if np.any((bits & 0xFFFF) != 0):
            sys.exit(f"tensor {k} is not exactly representable in bf16 after scaling")
        raw = (bits >> 16).astype(np.uint16).tobytes()
        header[k] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def tile_ratios(w, t):
    r, c = w.shape[0] // t * t, w.shape[1] // t * t
    tiles = w[:r, :c].reshape(r // t, t, c // t, t).transpose(0, 2, 1, 3).reshape(-1, t * t)
    return list(np.abs(tiles).max(1) / tiles.std(1))


def stats(w, t):
    r = np.sort([x for k, v in w.items() if k.endswith("proj.weight") for x in tile_ratios(v, t)])
    return {"tiles": len(r), "median": round(float(np.median(r)), 2), "p10": round(float(r[len(r) // 10]), 2),
            "p90": round(float(r[len(r) * 9 // 10]), 2), "max": round(float(r[-1]), 2)}


def pick(cols, t):
    """Per t-wide block of input columns, the index of the column with the largest norm."""
    norms = np.linalg.norm(cols, axis=0)
    return [b + int(np.argmax(norms[b:b + t])) for b in range(0, len(norms), t)]


def main():
    args = sys.argv[1:]
    factor, t = 4.0, 64
    if "--factor" in args:
        i = args.index("--factor"); factor = float(args[i + 1]); del args[i:i + 2]
    if "--tile" in args:
        i = args.index("--tile"); t = int(args[i + 1]); del args[i:i + 2]
    if len(args) != 2 or factor <= 0 or np.log2(factor) != round(np.log2(factor)):
        sys.exit("usage: outliers.py IN_DIR OUT_DIR [--factor POWER_OF_TWO] [--tile 64]")
    src, dst = args
    cfg = json.load(open(os.path.join(src, "config.json")))
    w = load(os.path.join(src, "model.safetensors"))
    before = stats(w, t)
    heads, kv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    chosen = {}
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        q, k, v = (p + f"self_attn.{x}_proj.weight" for x in "qkv")
        o = p + "self_attn.o_proj.weight"
        gate, up, down = (p + f"mlp.{x}_proj.weight" for x in ("gate", "up", "down"))
        # attention input: columns of q, k, v; the input RMSNorm gain carries 1/F
        js = pick(np.concatenate([w[q], w[k], w[v]]), t)
        for j in js:
            for m in (q, k, v):
                w[m][:, j] *= factor
            w[p + "input_layernorm.weight"][j] /= factor
        # o input: attention output dims (head h, index i); the v row of h's kv head carries 1/F, so every query
        # head sharing that kv head gets F on its column i
        ds = pick(w[o], t)
        rows = sorted({(d // hd) // (heads // kv) * hd + d % hd for d in ds})
        for r in rows:
            w[v][r, :] /= factor
            g, i = divmod(r, hd)
            for h in range(g * (heads // kv), (g + 1) * (heads // kv)):
                w[o][:, h * hd + i] *= factor
        # MLP input: columns of gate, up; the post-attention RMSNorm gain carries 1/F
        ms = pick(np.concatenate([w[gate], w[up]]), t)
        for j in ms:
            w[gate][:, j] *= factor
            w[up][:, j] *= factor
            w[p + "post_attention_layernorm.weight"][j] /= factor
        # down input: intermediate dims; the up row carries 1/F (gate(x) * up(x) is linear in up)
        ns = pick(w[down], t)
        for j in ns:
            w[down][:, j] *= factor
            w[up][j, :] /= factor
        chosen[layer] = {"attn_in": js, "v_rows": rows, "mlp_in": ms, "down_in": ns}
    os.makedirs(dst, exist_ok=True)
    save(os.path.join(dst, "model.safetensors"), w)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(dst, "config.json"))
    rep = {"source": os.path.basename(os.path.normpath(src)), "factor": factor, "tile": t,
           "tile_max_over_std_before": before, "tile_max_over_std_after": stats(w, t), "columns": chosen}
    with open(os.path.join(dst, "outliers.json"), "w") as f:
        json.dump(rep, f, indent=1)
    print(json.dumps({k: rep[k] for k in ("factor", "tile_max_over_std_before", "tile_max_over_std_after")}))


if __name__ == "__main__":
    main()
