#!/usr/bin/env python3
"""Mechanism check of the HaLoRA ablation (standard library only): how large each arm's LoRA branch is.

    python3 lora_norms.py OUT        (OUT: the run.sh output folder with <arm>-s<seed>/adapter_model.safetensors)

For every adapter: the sum over modules of ||s B A||_2 (spectral norm via the r x r Gram matrices), s = alpha / r:
the gain of the exact (SRAM) LoRA branch, compared across arms. L_reg penalises ||A A^T||_2 + ||B^T B||_2, which
bounds ||B A||_2 <= sqrt(||A A^T||_2 ||B^T B||_2). Prints one line per arm: mean and range over seeds.
"""
import json
import math
import os
import re
import struct
import sys


def read_f32(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] != "F32":
                raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
            a, b = info["data_offsets"]
            f.seek(base + a)
            flat = struct.unpack(f"<{(b - a) // 4}f", f.read(b - a))
            rows, cols = info["shape"]
            out[name] = [list(flat[i * cols:(i + 1) * cols]) for i in range(rows)]
        return out


def matmul(x, y):
    yt = list(zip(*y))
    return [[sum(p * q for p, q in zip(row, col)) for col in yt] for row in x]


def spectral_norm_ba(b, a, iters=50):
    """||B A||_2 = sqrt(lambda_max((BA)^T BA)); with M = A A^T, G = B^T B (r x r): lambda_max(G M) by power iteration."""
    m = matmul(a, [list(c) for c in zip(*a)])
    g = matmul([list(c) for c in zip(*b)], b)
    gm = matmul(g, m)
    v = [1.0] * len(gm)
    lam = 0.0
    for _ in range(iters):
        w = [sum(gm[i][j] * v[j] for j in range(len(v))) for i in range(len(v))]
        norm = math.sqrt(sum(x * x for x in w)) or 1.0
        lam = norm / (math.sqrt(sum(x * x for x in v)) or 1.0)
        v = [x / norm for x in w]
    return math.sqrt(max(lam, 0.0))


def main():
    out = sys.argv[1]
    arms = {}
    for d in sorted(os.listdir(out)):
        m = re.fullmatch(r"(.+)-s(\d+)", d)
        path = os.path.join(out, d, "adapter_model.safetensors")
        if not m or m.group(1).startswith("acc-") or not os.path.isfile(path):
            continue
        with open(os.path.join(out, d, "adapter_config.json")) as f:
            cfg = json.load(f)
        scale = cfg["lora_alpha"] / cfg["r"]
        t = read_f32(path)
        total = 0.0
        for name in t:
            if name.endswith("lora_A.weight"):
                total += scale * spectral_norm_ba(t[name.replace("lora_A", "lora_B")], t[name])
        arms.setdefault(m.group(1), []).append(total)
    print("| arm | seeds | sum over modules of ||s B A||_2 (mean, min-max) |\n|---|---|---|")
    for arm, xs in arms.items():
        print(f"| {arm} | {len(xs)} | {sum(xs) / len(xs):.2f} ({min(xs):.2f}-{max(xs):.2f}) |")


if __name__ == "__main__":
    main()
