#!/usr/bin/env python3
"""Pretrains the HaLoRA experiment's stand-in model(s) on a GPU with PyTorch + transformers (LlamaForCausalLM) and
checks, before any C# run, that they are as noise-sensitive as the paper's model.

    python3 pretrain.py --kjv kjv.txt --out OUTDIR [--variants A,B:lr=0.003:quiz=0.3] [--budget-s 300]
    python3 pretrain.py --kjv kjv.txt --out OUT --batch 128 --budget-s 330 --variants A:lr=0.003,A:lr=0.008,\
        B:lr=0.003,E:lr=0.003,A:lr=0.003:quiz=0.3,E:lr=0.003:quiz=0.3,C:lr=0.004:quiz=0.3
        (the 7 variants of docs/experiments.md, at once on one H200; the committed pretrained-plain/ is
        A:lr=0.003:quiz=0.3, 3,249 updates; pretrained/ is it after `outliers.py --factor 4`)
A variant is NAME[:lr=X][:quiz=Q]: the layer shape of VARIANTS, its own learning rate and the share of quiz
documents (see corpus()); its files go to OUTDIR/NAME_lr_X_quiz_Q/.

Corpus (byte tokens 0..255, EOS 256 between documents, the tokenisation of `cimsim-train --tokenizer byte`):
biographies of the people of make_data.py (PEOPLE, 1,200; --people overrides) (four facts in a random order and template, redrawn for every
document) mixed with the King James Bible (kjv.txt: `bible -f gen1:1-rev22:21` of the Debian packages
bible-kjv-text + bible-kjv, public domain), about 4:1 in bytes; with quiz=Q, a share Q of the fact documents are
quizzes about the finetuning people (corpus()).
Each variant trains in its own process (they run concurrently on the one GPU), then:
  1. recall: 4-way multiple choice in the pretraining form ("madelo lives in" + " lima") on the test people;
  2. a LoRA finetune with PEFT mirroring `cimsim-train --method lora` (r 4, alpha 8, q,k,v,up,down, lr 5e-3,
     warm-up 20, cosine, 200 x 16 examples, loss on the answer) on data/train_qa.jsonl;
  3. test accuracy (data/test_mc.jsonl, held-out people) of base and finetuned model under the paper's noise
     (Wu et al., arXiv 2502.19747: Gaussian on every W0 projection, sigma x max|W| of each 64 x 64 tile) at
     sigma 0, 0.01, 0.02, 0.05, 3 noise seeds each.
Writes OUTDIR/<variant>/{config.json, model.safetensors (bf16), loss.csv, check.json} and OUTDIR/<variant>.tar.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_data  # noqa: E402

EOS = 256
SEQ = 256

# name: (layers, hidden, heads, kv heads, intermediate); head dim 32 throughout.
VARIANTS = {
    "A": (8, 128, 4, 2, 352),
    "B": (12, 128, 4, 2, 352),
    "C": (16, 96, 3, 1, 256),
    "D": (24, 64, 2, 1, 176),
    "E": (16, 128, 4, 2, 352),
}


def parse_spec(spec, lr, quiz):
    """'C:lr=0.003:quiz=0.2' -> ('C', 0.003, 0.2, 'C_lr_0.003_quiz_0.2'): a variant with its own recipe."""
    parts = spec.split(":")
    opts = dict(p.split("=") for p in parts[1:])
    return parts[0], float(opts.get("lr", lr)), float(opts.get("quiz", quiz)), spec.replace(":", "_").replace("=", "_")


def config_dict(name):
    layers, hidden, heads, kv, inter = VARIANTS[name]
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv, "head_dim": 32, "hidden_act": "silu",
        "max_position_embeddings": SEQ, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
        "tie_word_embeddings": True, "vocab_size": 257, "bos_token_id": None, "eos_token_id": EOS,
        "pad_token_id": None, "attention_bias": False, "mlp_bias": False, "torch_dtype": "bfloat16",
    }


def quiz(rng, name, facts):
    """A quiz document about one finetuning person: its four questions in a random order, each answered in a form
    ("where does madelo live? reply: lima.") that differs from the finetuning form (" answer: lima")."""
    kinds = list(make_data.ATTRIBUTES)
    rng.shuffle(kinds)
    return " ".join(make_data.QUESTIONS[k].format(n=name).replace(" answer:", " reply:") + " " + facts[name][k] + "."
                    for k in kinds)


def corpus(kjv_path, fact_bytes, seed, people_count=None, quiz_frac=0.0):
    """One long uint8 stream (0 marks EOS) of shuffled documents: biographies, KJV chunks of 8 verses and, with
    quiz_frac > 0, quiz documents about the finetuning people only (quiz_frac of the fact bytes): the skill of
    answering a question from a biography is then learnt in pretraining (the "mixed training" of Allen-Zhu & Li,
    Physics of Language Models 3.1), and the test people still appear in biographies alone."""
    world = make_data.build(people_count)
    rng = random.Random(seed)
    docs = []
    total = 0
    people, facts = world["people"], world["facts"]
    trainees = people[:make_data.TRAIN_PEOPLE]
    while total < fact_bytes:
        if quiz_frac > 0 and rng.random() < quiz_frac:
            d = quiz(rng, trainees[rng.randrange(len(trainees))], facts)
        else:
            n = people[rng.randrange(len(people))]
            d = make_data.biography(rng, n, facts[n])
        docs.append(d)
        total += len(d) + 1
    with open(kjv_path, encoding="utf-8") as f:
        verses = [line.split(" ", 1)[1].strip() for line in f if " " in line.strip()]
    chunks = [" ".join(verses[i:i + 8]) for i in range(0, len(verses), 8)]
    kjv_bytes = sum(len(c) + 1 for c in chunks)
    repeats = max(1, round(fact_bytes / 4 / kjv_bytes))
    docs.extend(chunks * repeats)
    rng.shuffle(docs)
    data = "\0".join(docs).encode("utf-8")
    return data, world, repeats


def tile_scale(torch, w, t=64):
    rows, cols = w.shape
    pr, pc = -(-rows // t) * t, -(-cols // t) * t
    padded = torch.nn.functional.pad(w.abs(), (0, pc - cols, 0, pr - rows))
    m = padded.view(pr // t, t, pc // t, t).amax(dim=(1, 3))
    return m.repeat_interleave(t, 0).repeat_interleave(t, 1)[:rows, :cols]


def tile_ratios(torch, w, t=64):
    """max|W| / std(W) of every full t x t tile of one projection: 3.9 for Gaussian weights, larger when heavy-tailed."""
    rows, cols = w.shape
    r, c = rows // t * t, cols // t * t
    tiles = w[:r, :c].reshape(r // t, t, c // t, t).permute(0, 2, 1, 3).reshape(-1, t * t)
    return (tiles.abs().amax(1) / tiles.std(1)).tolist()


def projections(model):
    """(name, weight) of the seven W0 projections of every layer (LoRA parameters excluded)."""
    out = []
    for name, p in model.named_parameters():
        if ".layers." in name and "lora_" not in name and p.dim() == 2 and name.endswith("proj.weight") or \
                (".layers." in name and name.endswith("base_layer.weight")):
            out.append((name, p))
    return out


def mc_accuracy(torch, model, items, prompt_of, device):
    """Log-likelihood 4-way multiple choice: sum log p(" choice" bytes | prompt), as cimsim accuracy scores."""
    seqs, spans = [], []
    for it in items:
        ctx = list(prompt_of(it).encode("utf-8"))
        for c in it["choices"]:
            cont = list((" " + c).encode("utf-8"))
            seqs.append(ctx + cont)
            spans.append((len(ctx), len(ctx) + len(cont)))
    width = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
    ids = ids.to(device)
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(input_ids=ids).logits.float()
    logp = torch.log_softmax(logits, -1)
    scores = []
    for i, (a, b) in enumerate(spans):
        tgt = ids[i, a:b]
        scores.append(logp[i, a - 1:b - 1].gather(1, tgt[:, None]).sum().item())
    right = 0
    for k, it in enumerate(items):
        s = scores[4 * k:4 * k + 4]
        right += int(max(range(4), key=lambda j: s[j]) == it["answer"])
    return right / len(items)


def noisy_accuracy(torch, model, items, prompt_of, device, sigmas, seeds):
    res = {}
    projs = projections(model)
    clean = [p.detach().clone() for _, p in projs]
    for s in sigmas:
        accs = []
        for seed in (seeds if s > 0 else [0]):
            g = torch.Generator(device=device).manual_seed(1000 + seed)
            with torch.no_grad():
                for (_, p), w in zip(projs, clean):
                    p.copy_(w + s * tile_scale(torch, w.float()).to(w.dtype) *
                            torch.randn(w.shape, generator=g, device=device, dtype=w.dtype))
            accs.append(mc_accuracy(torch, model, items, prompt_of, device))
        with torch.no_grad():
            for (_, p), w in zip(projs, clean):
                p.copy_(w)
        res[str(s)] = {"mean": sum(accs) / len(accs), "all": accs}
    return res


def lora_finetune(torch, model, train, device, steps=200, batch=16, lr=5e-3, warmup=20, seed=1):
    from peft import LoraConfig, get_peft_model
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0,
                     target_modules=["q_proj", "k_proj", "v_proj", "up_proj", "down_proj"])
    pm = get_peft_model(model, cfg)
    params = [p for p in pm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    order = []
    losses = []
    for step in range(steps):
        if len(order) < batch:
            perm = list(range(len(train)))
            rng.shuffle(perm)
            order.extend(perm)
        idx, order = order[:batch], order[batch:]
        seqs, labels = [], []
        for i in idx:
            it = train[i]
            ctx = list(it["question"].encode("utf-8"))
            cont = list((" " + it["choices"][it["answer"]]).encode("utf-8"))
            seqs.append(ctx + cont)
            labels.append([-100] * len(ctx) + cont)
        width = max(len(s) for s in seqs)
        ids = torch.full((batch, width), EOS, dtype=torch.long)
        lab = torch.full((batch, width), -100, dtype=torch.long)
        for i, (s, l) in enumerate(zip(seqs, labels)):
            ids[i, :len(s)] = torch.tensor(s)
            lab[i, :len(l)] = torch.tensor(l)
        ids, lab = ids.to(device), lab.to(device)
        f = (step + 1) / warmup if step < warmup else 0.5 * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup)))
        for gr in opt.param_groups:
            gr["lr"] = lr * f
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = pm(input_ids=ids).logits.float()
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), lab[:, 1:].reshape(-1),
                                                 ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
    return pm, losses


def train_variant(spec, kjv, out, budget_s, max_steps, batch, lr, seed, people_count, quiz_frac, wd):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    name, lr, quiz_frac, dirname = parse_spec(spec, lr, quiz_frac)
    torch.manual_seed(seed)
    device = "cuda"
    torch.backends.cuda.matmul.allow_tf32 = True
    vdir = os.path.join(out, dirname)
    os.makedirs(vdir, exist_ok=True)
    t0 = time.time()
    data, world, repeats = corpus(kjv, 15_000_000, seed, people_count, quiz_frac)
    stream = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(torch.int16).to(torch.long)
    stream[stream == 0] = EOS
    stream = stream.to(device)
    log = open(os.path.join(vdir, "loss.csv"), "w")
    log.write("step,lr,loss,tokens_per_s\n")
    print(f"[{name}] corpus {len(data) / 1e6:.1f} MB (KJV x{repeats}) in {time.time() - t0:.0f} s", flush=True)
    cfg_d = config_dict(name)
    hf_cfg = {k: v for k, v in cfg_d.items() if k not in ("architectures", "torch_dtype")}
    model = LlamaForCausalLM(LlamaConfig(**hf_cfg)).to(device)
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=wd, fused=True)
    g = torch.Generator(device=device).manual_seed(seed)
    warmup = 100
    total = max_steps
    step = 0
    t_start = time.time()
    # Stops after budget_s of training; the cosine decay follows elapsed time (the step count is logged).
    while step < total:
        frac = (time.time() - t_start) / budget_s
        if frac >= 1:
            break
        f = (step + 1) / warmup if step < warmup else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac))
        for gr in opt.param_groups:
            gr["lr"] = lr * f
        starts = torch.randint(0, stream.numel() - SEQ - 1, (batch,), generator=g, device=device)
        idx = starts[:, None] + torch.arange(SEQ + 1, device=device)[None, :]
        chunk = stream[idx]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(input_ids=chunk[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == total - 1:
            el = time.time() - t_start
            log.write(f"{step},{lr * f:.6g},{loss.item():.5f},{(step + 1) * batch * SEQ / max(el, 1e-9):.0f}\n")
            log.flush()
        if step % 1000 == 0:
            print(f"[{name}] {nparams:,} params, {time.time() - t_start:.0f} s", flush=True)
            print(f"[{name}] step {step} loss {loss.item():.4f}", flush=True)
        step += 1
    final_loss = loss.item()
    train_s = time.time() - t_start
    model.eval()
    # Round to bf16 first: every check below sees the weights exactly as committed.
    model = model.to(torch.bfloat16).to(torch.float32)
    # Saved before any check (PEFT wraps the modules in place).
    sd = {k: v.to(torch.bfloat16).contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    from safetensors.torch import save_file
    save_file(sd, os.path.join(vdir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(vdir, "config.json"), "w") as f:
        json.dump(cfg_d, f, indent=2)
    test, train_qa = world["test_mc"], world["train_qa"]
    fact = lambda it: make_data.FACT_PROMPTS[it["kind"]].format(n=it["person"])  # noqa: E731
    quest = lambda it: it["question"]  # noqa: E731
    sigmas = [0.0, 0.01, 0.02, 0.05]
    ratios = sorted(x for _, p in projections(model) for x in tile_ratios(torch, p.detach().float()))
    check = {"variant": spec, "params": nparams, "quiz_frac": quiz_frac, "weight_decay": wd,
             "tile_max_over_std": {"median": ratios[len(ratios) // 2], "p10": ratios[len(ratios) // 10],
                                   "p90": ratios[len(ratios) * 9 // 10], "max": ratios[-1], "tiles": len(ratios)}, "layers": VARIANTS[name][0], "hidden": VARIANTS[name][1],
             "steps": step, "batch": batch, "seq": SEQ, "lr": lr, "train_s": round(train_s),
             "tokens": step * batch * SEQ, "people": len(world["people"]), "final_loss": final_loss, "kjv_repeats": repeats,
             "recall_test_people": noisy_accuracy(torch, model, test, fact, device, sigmas, [1, 2, 3]),
             "base_question_test": mc_accuracy(torch, model, test, quest, device)}
    if os.environ.get("SKIP_LORA_CHECK"):
        with open(os.path.join(vdir, "check.json"), "w") as f:
            json.dump(check, f, indent=1)
        print(f"[{name}] " + json.dumps(check), flush=True)
        return
    pm, losses = lora_finetune(torch, model, train_qa, device)
    pm.eval()
    check["lora_final_loss"] = sum(losses[-20:]) / 20
    check["lora_test"] = noisy_accuracy(torch, pm, test, quest, device, sigmas, [1, 2, 3])
    check["lora_train_people"] = mc_accuracy(torch, pm, world["train_mc"], quest, device)
    with open(os.path.join(vdir, "check.json"), "w") as f:
        json.dump(check, f, indent=1)
    print(f"[{name}] " + json.dumps(check), flush=True)
    log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kjv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", default="A,B,C,D")
    ap.add_argument("--variant")
    ap.add_argument("--budget-s", type=float, default=300)
    ap.add_argument("--max-steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--people", default="", help="people in the world per variant, e.g. A:3000,C:1500")
    ap.add_argument("--quiz", type=float, default=0.0, help="fraction of fact documents that are quizzes")
    ap.add_argument("--wd", type=float, default=0.0, help="AdamW weight decay")
    a = ap.parse_args()
    if a.variant:
        counts = dict(x.split(":") for x in a.people.split(",") if x)
        base = a.variant.split(":")[0]
        train_variant(a.variant, a.kjv, a.out, a.budget_s, a.max_steps, a.batch, a.lr, a.seed,
                      int(counts[base]) if base in counts else None, a.quiz, a.wd)
        return
    specs = a.variants.split(",")
    procs = [subprocess.Popen([sys.executable, __file__, "--variant", v, "--kjv", a.kjv, "--out", a.out,
                               "--budget-s", str(a.budget_s), "--max-steps", str(a.max_steps), "--batch", str(a.batch),
                               "--lr", str(a.lr), "--seed", str(a.seed), "--people", a.people, "--quiz", str(a.quiz),
                               "--wd", str(a.wd)]) for v in specs]
    rcs = [p.wait() for p in procs]
    for v in specs:
        v = parse_spec(v, a.lr, a.quiz)[3]
        vdir = os.path.join(a.out, v)
        if os.path.isdir(vdir):
            with tarfile.open(os.path.join(a.out, v + ".tar"), "w") as t:
                t.add(vdir, arcname=v)
    print("exit codes", rcs)
    sys.exit(max(rcs))


if __name__ == "__main__":
    main()
