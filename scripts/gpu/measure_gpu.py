#!/usr/bin/env python3
"""Measure LLM decode and prefill on the local NVIDIA GPU for CimSim's GPU baseline (issue 16).

Random weights of the real shapes (Llama-3.2-1B, Llama-3.2-3B, Llama-3.1-8B), built from transformers config
objects on the GPU: nothing is downloaded. BF16. For each shape:
  - decode time and board energy per step at batch 1/8/32, eager and CUDA-graph replay of the same step
    (a plain-PyTorch Llama step on the transformers model's weights with a static KV cache: forward + greedy
    argmax + cache position += 1, captured once with torch.cuda.CUDAGraph), and transformers' own eager loop
    (DynamicCache) at the smallest and largest batch;
  - kernels per decode step / prefill and their summed GPU time (torch.profiler on uncaptured calls);
  - prefill (batch 1, 128/512/2048 tokens, logits of the last position only), eager.
Board energy comes from NVML's total-energy counter (power sampled in a background thread as a cross-check);
idle power is measured before any model is loaded and again at the end, and reported separately. Ceilings
(bf16 GEMM rate, device copy bandwidth) are measured with their board power.

Every step is guarded by a wall-clock budget (--budget-s): what does not fit is recorded as skipped, never run
half. Output: one JSON file (--out). Usage: python3 measure_gpu.py --out results.json [--budget-s 330]
"""
import argparse
import inspect
import json
import os
import platform
import subprocess
import sys
import threading
import time
import traceback

T0 = time.time()


def elapsed():
    return time.time() - T0


# ---------------------------------------------------------------- power
class Power:
    """NVML board power: energy counter (mJ) when the board has one, plus a sampling thread."""

    def __init__(self):
        self.nvml = None
        self.handle = None
        self.has_energy = False
        self.source = "none"
        try:
            import pynvml
            pynvml.nvmlInit()
            self.nvml = pynvml
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            self.source = "pynvml"
            try:
                pynvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
                self.has_energy = True
            except Exception:
                self.has_energy = False
        except Exception as e:  # fall back to nvidia-smi polling
            self.error = repr(e)
            self.source = "nvidia-smi"

    def power_w(self):
        if self.nvml is not None:
            return self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1000.0
        out = subprocess.run(["nvidia-smi", "--query-gpu=power.draw", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5).stdout
        return float(out.strip().splitlines()[0])

    def energy_mj(self):
        if self.has_energy:
            return self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
        return None

    def sm_clock_mhz(self):
        if self.nvml is not None:
            try:
                return self.nvml.nvmlDeviceGetClockInfo(self.handle, self.nvml.NVML_CLOCK_SM)
            except Exception:
                return None
        return None

    def info(self):
        d = {"power_source": self.source, "energy_counter": self.has_energy}
        if self.nvml is None:
            try:
                q = "name,driver_version,power.limit,clocks.max.sm,clocks.max.mem,memory.total"
                d["nvidia_smi"] = subprocess.run(["nvidia-smi", f"--query-gpu={q}", "--format=csv"],
                                                 capture_output=True, text=True, timeout=10).stdout
            except Exception as e:
                d["nvidia_smi_error"] = repr(e)
            return d
        n, h = self.nvml, self.handle
        for key, fn in [
            ("driver", lambda: n.nvmlSystemGetDriverVersion()),
            ("nvml_gpu_name", lambda: n.nvmlDeviceGetName(h)),
            ("power_limit_w", lambda: n.nvmlDeviceGetPowerManagementLimit(h) / 1000.0),
            ("power_default_limit_w", lambda: n.nvmlDeviceGetPowerManagementDefaultLimit(h) / 1000.0),
            ("max_sm_clock_mhz", lambda: n.nvmlDeviceGetMaxClockInfo(h, n.NVML_CLOCK_SM)),
            ("max_mem_clock_mhz", lambda: n.nvmlDeviceGetMaxClockInfo(h, n.NVML_CLOCK_MEM)),
            ("cuda_driver_version", lambda: n.nvmlSystemGetCudaDriverVersion()),
            ("vbios", lambda: n.nvmlDeviceGetVbiosVersion(h)),
        ]:
            try:
                v = fn()
                d[key] = v.decode() if isinstance(v, bytes) else v
            except Exception as e:
                d[key + "_error"] = repr(e)
        return d


class Window:
    """Board energy and mean sampled power over a timed window."""

    def __init__(self, power, period_s=0.02):
        self.p, self.period, self.samples, self.clocks = power, period_s, [], []
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append(self.p.power_w())
                c = self.p.sm_clock_mhz()
                if c is not None:
                    self.clocks.append(c)
            except Exception:
                pass
            self._stop.wait(self.period)

    def __enter__(self):
        self.e0 = self.p.energy_mj()
        self.t0 = time.perf_counter()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()
        return self

    def __exit__(self, *a):
        self.t1 = time.perf_counter()
        self.e1 = self.p.energy_mj()
        self._stop.set()
        self.th.join()

    def result(self):
        dt = self.t1 - self.t0
        r = {"window_s": dt, "power_samples": len(self.samples)}
        if self.samples:
            r["sampled_mean_power_w"] = sum(self.samples) / len(self.samples)
            r["sampled_max_power_w"] = max(self.samples)
        if self.clocks:
            r["sm_clock_mean_mhz"] = sum(self.clocks) / len(self.clocks)
        if self.e0 is not None and self.e1 is not None and dt > 0:
            r["energy_j"] = (self.e1 - self.e0) / 1000.0
            r["mean_power_w"] = r["energy_j"] / dt
            r["power_method"] = "nvml_energy_counter"
        elif self.samples:
            r["mean_power_w"] = r["sampled_mean_power_w"]
            r["energy_j"] = r["mean_power_w"] * dt
            r["power_method"] = "sampled_power"
        return r


def idle(power, seconds):
    time.sleep(0.5)
    with Window(power, 0.05) as w:
        time.sleep(seconds)
    return w.result()


# ---------------------------------------------------------------- shapes
SHAPES = {
    # Llama-3.2-1B / 3B and Llama-3.1-8B config.json values (hidden, intermediate, layers, heads, kv heads, head dim,
    # vocab, tied embeddings).
    "llama-3.2-1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                         num_key_value_heads=8, head_dim=64, vocab_size=128256, tie_word_embeddings=True),
    "llama-3.2-3b": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
                         num_key_value_heads=8, head_dim=128, vocab_size=128256, tie_word_embeddings=True),
    "llama-3.1-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, head_dim=128, vocab_size=128256, tie_word_embeddings=False),
}


def call_filtered(fn, **kw):
    """Call fn with the keyword arguments its signature accepts (transformers' cache APIs moved between versions)."""
    try:
        params = inspect.signature(fn).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            kw = {k: v for k, v in kw.items() if k in params}
    except (TypeError, ValueError):
        pass
    return fn(**kw)


def build_model(torch, name):
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(max_position_embeddings=8192, rms_norm_eps=1e-5, **SHAPES[name])
    try:
        cfg._attn_implementation = "sdpa"
    except Exception:
        pass
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = LlamaForCausalLM(cfg)
    finally:
        torch.set_default_dtype(old)
    model = model.to(device="cuda", dtype=torch.bfloat16).eval()
    params = sum(p.numel() for p in model.parameters())
    return cfg, model, params


def make_static_cache(torch, cfg, batch, max_len):
    from transformers import StaticCache
    return call_filtered(StaticCache, config=cfg, max_batch_size=batch, batch_size=batch, max_cache_len=max_len,
                         device="cuda", dtype=torch.bfloat16)


def forward_kwargs(model):
    params = inspect.signature(model.forward).parameters
    kw = {}
    if "logits_to_keep" in params:
        kw["logits_to_keep"] = 1
    elif "num_logits_to_keep" in params:
        kw["num_logits_to_keep"] = 1
    elif any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kw["logits_to_keep"] = 1  # transformers >= 4.50 name, behind a decorator that hides the signature
    return kw


# ---------------------------------------------------------------- decode
class TorchStep:
    """One greedy Llama decode step in plain PyTorch on the transformers model's weights, with a static KV cache
    indexed by a device tensor, so that the same step runs eagerly or replays as a CUDA graph (same kernels).
    transformers 5's own forward tracks cache positions itself, so its StaticCache cannot be rewound under replay."""

    def __init__(self, torch, cfg, model, batch, prompt, steps):
        import torch.nn.functional as F
        self.torch, self.F = torch, F
        self.prompt, self.steps, self.max_len = prompt, steps, prompt + steps
        m = model.model
        self.layers = m.layers
        self.embed, self.norm, self.head = m.embed_tokens.weight, m.norm.weight, model.lm_head.weight
        self.nh, self.nkv = cfg.num_attention_heads, cfg.num_key_value_heads
        self.hd = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        L = cfg.num_hidden_layers
        self.k = torch.zeros(L, batch, self.nkv, self.max_len, self.hd, device="cuda", dtype=torch.bfloat16)
        self.v = torch.zeros_like(self.k)
        inv = 1.0 / (500000.0 ** (torch.arange(0, self.hd, 2, device="cuda", dtype=torch.float32) / self.hd))
        t = torch.arange(self.max_len, device="cuda", dtype=torch.float32)
        f = torch.outer(t, inv)
        self.cos, self.sin = torch.cos(f).to(torch.bfloat16), torch.sin(f).to(torch.bfloat16)
        self.mask = torch.arange(self.max_len, device="cuda")
        self.ids = torch.randint(0, cfg.vocab_size, (batch, 1), device="cuda")
        self.pos = torch.full((1,), prompt, dtype=torch.long, device="cuda")
        self.eps = cfg.rms_norm_eps

    def _rms(self, x, w):
        xf = x.float()
        return (xf * self.torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * w

    def _rope(self, x, cos, sin):
        h = x.shape[-1] // 2
        x1, x2 = x[..., :h], x[..., h:]
        c, s = cos[..., :h], sin[..., :h]
        return self.torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)

    def __call__(self):
        torch, F = self.torch, self.F
        b = self.ids.shape[0]
        x = F.embedding(self.ids, self.embed)  # [b,1,h]
        cos, sin = self.cos.index_select(0, self.pos), self.sin.index_select(0, self.pos)
        attn_mask = (self.mask <= self.pos).view(1, 1, 1, -1)
        for i, layer in enumerate(self.layers):
            a = layer.self_attn
            h = self._rms(x, layer.input_layernorm.weight)
            q = F.linear(h, a.q_proj.weight).view(b, 1, self.nh, self.hd).transpose(1, 2)
            k = F.linear(h, a.k_proj.weight).view(b, 1, self.nkv, self.hd).transpose(1, 2)
            v = F.linear(h, a.v_proj.weight).view(b, 1, self.nkv, self.hd).transpose(1, 2)
            q, k = self._rope(q, cos, sin), self._rope(k, cos, sin)
            self.k[i].index_copy_(2, self.pos, k)
            self.v[i].index_copy_(2, self.pos, v)
            o = F.scaled_dot_product_attention(q, self.k[i], self.v[i], attn_mask=attn_mask, enable_gqa=True)
            x = x + F.linear(o.transpose(1, 2).reshape(b, 1, -1), a.o_proj.weight)
            mlp = layer.mlp
            h = self._rms(x, layer.post_attention_layernorm.weight)
            x = x + F.linear(F.silu(F.linear(h, mlp.gate_proj.weight)) * F.linear(h, mlp.up_proj.weight),
                             mlp.down_proj.weight)
        logits = F.linear(self._rms(x, self.norm), self.head)
        self.ids.copy_(logits[:, -1, :].argmax(-1, keepdim=True))
        self.pos.add_(1)

    def rewind(self):
        self.pos.fill_(self.prompt)


def capture(torch, step):
    """Warm up on a side stream, then capture one step into a CUDA graph (PyTorch's documented recipe)."""
    step.rewind()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    step.rewind()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        step()
    torch.cuda.synchronize()
    step.rewind()
    return g


def timed_decode(torch, power, run_one, step, target_s, min_steps):
    """Run chunks of step.steps decode steps (rewinding the cache position between chunks) for >= target_s."""
    for _ in range(3):  # settle clocks
        run_one()
    step.rewind()
    torch.cuda.synchronize()
    n = 0
    with Window(power) as w:
        t0 = time.perf_counter()
        while True:
            for _ in range(step.steps):
                run_one()
            n += step.steps
            step.rewind()
            torch.cuda.synchronize()
            if time.perf_counter() - t0 >= target_s and n >= min_steps:
                break
    r = w.result()
    r["steps"] = n
    return r


def profile_step(torch, step, reps=3):
    """Kernels per step and their summed GPU time, from torch.profiler over `reps` uncaptured steps."""
    step.rewind()
    step()
    r = profile_calls(torch, step, reps)
    step.rewind()
    return r


def profile_calls(torch, fn, reps):
    """Kernels per call of fn and their summed GPU time (torch.profiler; memcpy/memset counted apart)."""
    from torch.profiler import profile, ProfilerActivity
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
    cuda_type = torch.autograd.DeviceType.CUDA
    kernels = memops = 0
    kernel_us = 0.0
    names = {}
    for e in prof.events():
        if getattr(e, "device_type", None) != cuda_type:
            continue
        nm = e.name.lower()
        dur = e.time_range.elapsed_us()
        if "memcpy" in nm or "memset" in nm:
            memops += 1
            continue
        kernels += 1
        kernel_us += dur
        names[e.name[:60]] = names.get(e.name[:60], 0) + 1
    top = sorted(names.items(), key=lambda kv: -kv[1])[:12]
    return {"kernels_per_step": kernels / reps, "memops_per_step": memops / reps,
            "kernel_time_per_step_ms": kernel_us / reps / 1000.0, "profiled_steps": reps,
            "top_kernels": [{"name": k, "per_step": v / reps} for k, v in top]}


def decode_config(torch, power, cfg, model, batch, args):
    prompt, steps = args.decode_prompt, args.decode_chunk
    out = {"batch": batch, "implementation": "plain-pytorch step on transformers weights", "prompt_tokens": prompt,
           "static_cache_len": prompt + steps, "kv_positions_mean": prompt + (steps + 1) / 2.0}
    step = TorchStep(torch, cfg, model, batch, prompt, steps)
    with torch.inference_mode():
        g = capture(torch, step)
        out["graphs"] = summarise(timed_decode(torch, power, g.replay, step, args.target_s, 32), batch)
        out["eager"] = summarise(timed_decode(torch, power, step, step, args.target_s, 16), batch)
        if args.profile:
            try:
                out["profile"] = profile_step(torch, step)
            except Exception as e:
                out["profile_error"] = repr(e)[:400]
    del g, step
    return out


def hf_eager_decode(torch, power, cfg, model, batch, args):
    """transformers' own forward with its default (dynamic) cache, eager: what a plain HF generate loop costs.
    Each chunk: prefill (untimed), then args.decode_chunk greedy steps timed with their board energy."""
    prompt, steps = args.decode_prompt, args.decode_chunk
    t_total = e_total = 0.0
    n = 0

    def chunk(k):
        ids = torch.randint(0, cfg.vocab_size, (batch, prompt), device="cuda")
        out = model(input_ids=ids, use_cache=True)
        cache, nxt = out.past_key_values, out.logits[:, -1, :].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        e0, t0 = power.energy_mj(), time.perf_counter()
        for _ in range(k):
            out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
            cache, nxt = out.past_key_values, out.logits[:, -1, :].argmax(-1, keepdim=True)
        torch.cuda.synchronize()
        t1, e1 = time.perf_counter(), power.energy_mj()
        return t1 - t0, ((e1 - e0) / 1000.0 if e0 is not None else 0.0)

    prof = None
    with torch.inference_mode():
        chunk(5)  # warm-up
        while t_total < args.target_s:
            dt, de = chunk(steps)
            t_total, e_total, n = t_total + dt, e_total + de, n + steps
        if args.profile:
            try:
                ids = torch.randint(0, cfg.vocab_size, (batch, prompt), device="cuda")
                out = model(input_ids=ids, use_cache=True)
                cache, nxt = out.past_key_values, out.logits[:, -1, :].argmax(-1, keepdim=True)
                prof = profile_calls(torch, lambda: model(input_ids=nxt, past_key_values=cache, use_cache=True), 1)
            except Exception as e:
                prof = {"profile_error": repr(e)[:400]}
    r = {"batch": batch, "implementation": "transformers forward, DynamicCache, eager", "prompt_tokens": prompt,
         "kv_positions_mean": prompt + (steps + 1) / 2.0, "window_s": t_total, "steps": n}
    if power.has_energy:
        r["energy_j"] = e_total
        r["mean_power_w"] = e_total / t_total
    if prof is not None:
        r["profile"] = prof
    return summarise(r, batch)


def summarise(r, batch):
    steps = r["steps"]
    r["ms_per_step"] = r["window_s"] / steps * 1000.0
    r["tokens_per_s"] = batch * steps / r["window_s"]
    if "energy_j" in r:
        r["j_per_step"] = r["energy_j"] / steps
        r["j_per_token"] = r["energy_j"] / (steps * batch)
    return r


# ---------------------------------------------------------------- prefill
def prefill_config(torch, power, cfg, model, tokens, args):
    kw = forward_kwargs(model)
    ids = torch.randint(0, cfg.vocab_size, (1, tokens), device="cuda")
    with torch.inference_mode():
        def one():
            model(input_ids=ids, use_cache=False, **kw)
        for _ in range(3):
            one()
        torch.cuda.synchronize()
        n = 0
        with Window(power) as w:
            t0 = time.perf_counter()
            while True:
                one()
                n += 1
                if n % 4 == 0:
                    torch.cuda.synchronize()
                    if time.perf_counter() - t0 >= args.prefill_target_s and n >= 4:
                        break
            torch.cuda.synchronize()
        if args.profile:
            try:
                prof = profile_calls(torch, one, 1)
            except Exception as e:
                prof = {"profile_error": repr(e)[:400]}
    r = w.result()
    if args.profile:
        r["profile"] = prof
    r.update({"batch": 1, "tokens": tokens, "reps": n, "forward_kwargs": sorted(kw), "ms": r["window_s"] / n * 1000.0,
              "j": r.get("energy_j", 0.0) / n})
    return r


# ---------------------------------------------------------------- ceilings
def _repeat(torch, power, fn, seconds):
    """Runs fn in batches of 10 for >= seconds after 3 warm-ups; returns the power window and the call count."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    n = 0
    with Window(power) as w:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for _ in range(10):
                fn()
            n += 10
            torch.cuda.synchronize()
    return w.result(), n


def ceilings(torch, power, args):
    out = {}
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    r, n = _repeat(torch, power, lambda: a @ b, args.ceiling_s)
    r["tflops"] = 2 * 8192 ** 3 * n / r["window_s"] / 1e12
    out["gemm_bf16_8192"] = r
    del a, b
    x = torch.empty(2 * 1024 ** 3, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    r, n = _repeat(torch, power, lambda: y.copy_(x), args.ceiling_s)
    r["gb_s_read_plus_write"] = 2 * x.numel() * n / r["window_s"] / 1e9
    out["copy_2gib"] = r
    del x, y
    torch.cuda.empty_cache()
    return out


# ---------------------------------------------------------------- main
def versions(torch):
    v = {"python": sys.version.split()[0], "platform": platform.platform(), "torch": torch.__version__,
         "torch_cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    try:
        import transformers
        v["transformers"] = transformers.__version__
    except Exception as e:
        v["transformers_error"] = repr(e)
    try:
        p = torch.cuda.get_device_properties(0)
        v.update({"gpu": p.name, "sm_count": p.multi_processor_count, "gpu_memory_gib": p.total_memory / 2 ** 30,
                  "compute_capability": f"{p.major}.{p.minor}"})
    except Exception as e:
        v["gpu_error"] = repr(e)
    try:
        with open("/proc/cpuinfo") as f:
            v["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
        v["cpu_count"] = os.cpu_count()
    except Exception:
        pass
    for mod in ("torchao", "bitsandbytes"):
        try:
            __import__(mod)
            v[mod] = "present"
        except Exception:
            v[mod] = "absent"
    return v


def child_main(args):
    """One CUDA process: 'setup' (versions, idle with a context, ceilings) or one model shape. A device-side fault
    in one shape cannot take the others down; results are written after every job, so a killed child keeps them."""
    res = {"skipped": [], "errors": []}
    deadline = args.deadline

    def left():
        return deadline - time.time()

    def save():
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
        os.replace(tmp, args.out)

    power = Power()
    import torch
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.zeros(1, device="cuda")
    torch.cuda.synchronize()
    if args.child == "setup":
        res["versions"] = versions(torch)
        res["idle_with_context"] = idle(power, args.idle_s)
        save()
        try:
            res["ceilings"] = ceilings(torch, power, args)
        except Exception:
            res["errors"].append({"what": "ceilings", "error": traceback.format_exc()[-1500:]})
        save()
        return
    name = args.child
    m = res["model"] = {"name": name, "shape": SHAPES[name], "decode": [], "prefill": [], "transformers_eager": []}
    t = time.time()
    cfg, model, params = build_model(torch, name)
    m["parameters"], m["build_s"] = params, time.time() - t
    save()
    batches = [int(x) for x in args.batches.split(",") if x]
    prefills = [int(x) for x in args.prefill.split(",") if x]
    # Most valuable first: batch-1 decode, prefill 512, the other batches and lengths, then transformers' own loop.
    jobs = [("decode", batches[0])] if batches else []
    jobs += [("prefill", p) for p in prefills if p == 512]
    jobs += [("decode", b) for b in batches[1:]]
    jobs += [("prefill", p) for p in prefills if p != 512]
    jobs += [("transformers_eager", b) for b in (batches[0], batches[-1])] if batches else []
    for kind, n in jobs:
        need = {"decode": 10, "prefill": 3, "transformers_eager": 6}[kind]
        if left() < need:
            res["skipped"].append({"what": f"{name} {kind} {n}", "why": f"budget: {left():.0f} s left"})
            continue
        try:
            if kind == "decode":
                m["decode"].append(decode_config(torch, power, cfg, model, n, args))
            elif kind == "prefill":
                m["prefill"].append(prefill_config(torch, power, cfg, model, n, args))
            else:
                m["transformers_eager"].append(hf_eager_decode(torch, power, cfg, model, n, args))
        except Exception:
            res["errors"].append({"what": f"{name} {kind} {n}", "error": traceback.format_exc()[-1500:]})
        print(f"[{elapsed():6.1f} s] {name} {kind} {n} done", flush=True)
        save()
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=300.0)
    ap.add_argument("--models", default="llama-3.2-1b,llama-3.2-3b,llama-3.1-8b")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--prefill", default="128,512,2048")
    ap.add_argument("--decode-prompt", type=int, default=128)
    ap.add_argument("--decode-chunk", type=int, default=128)
    ap.add_argument("--target-s", type=float, default=2.0)
    ap.add_argument("--prefill-target-s", type=float, default=1.0)
    ap.add_argument("--ceiling-s", type=float, default=2.0)
    ap.add_argument("--idle-s", type=float, default=4.0)
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--deadline", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(args)
        return

    res = {"schema": "cimsim-gpu-measurement/1", "script": "scripts/gpu/measure_gpu.py",
           "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "args": vars(args),
           "skipped": [], "errors": [], "models": {}}

    def save():
        res["wall_s"] = elapsed()
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
        os.replace(tmp, args.out)

    power = Power()
    res["power"] = power.info()
    res["idle_no_context"] = idle(power, args.idle_s)  # before any CUDA context exists
    print(f"[{elapsed():6.1f} s] idle {res['idle_no_context'].get('mean_power_w')} W", flush=True)
    save()
    end = T0 + args.budget_s
    base = [sys.executable, os.path.abspath(__file__)]
    for a in ("batches", "prefill", "decode_prompt", "decode_chunk", "target_s", "prefill_target_s", "ceiling_s",
              "idle_s"):
        base += ["--" + a.replace("_", "-"), str(getattr(args, a))]
    if not args.profile:
        base.append("--no-profile")
    models = [m for m in args.models.split(",") if m]
    for i, child in enumerate(["setup"] + models):
        # Share what is left between the children still to run; 'setup' needs ~20 s.
        remaining = end - time.time() - 10
        if remaining < 25:
            res["skipped"].append({"what": child, "why": f"budget: {remaining:.0f} s left"})
            continue
        share = 30 if child == "setup" else remaining / (len(models) - (i - 1))
        deadline = time.time() + share
        out = f"{args.out}.{child}.json"
        try:
            p = subprocess.run(base + ["--child", child, "--deadline", str(deadline), "--out", out],
                               timeout=share + 60, capture_output=True, text=True)
            if p.returncode != 0:
                res["errors"].append({"what": child, "rc": p.returncode, "stderr": p.stderr[-2000:]})
            print(p.stdout[-1500:], flush=True)
        except subprocess.TimeoutExpired:
            res["errors"].append({"what": child, "error": "killed at its time limit; partial results kept"})
        try:
            with open(out) as f:
                part = json.load(f)
            os.remove(out)
        except Exception as e:
            res["errors"].append({"what": child, "error": f"no result file: {e!r}"})
            continue
        res["skipped"] += part.pop("skipped", [])
        res["errors"] += part.pop("errors", [])
        if child == "setup":
            res.update(part)
        else:
            res["models"][child] = part.get("model")
        save()
    time.sleep(2.0)
    res["idle_after"] = idle(power, args.idle_s)  # every CUDA context closed again
    v = res.get("versions", {})
    res["int8"] = ("not measured: no int8 inference path for transformers Llama without torchao or bitsandbytes"
                   if v.get("torchao") == "absent" and v.get("bitsandbytes") == "absent"
                   else "not measured: an int8 package exists on the machine but is not wired in this script")
    res["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save()
    print(json.dumps({"wall_s": res["wall_s"], "errors": len(res["errors"]), "skipped": res["skipped"]}))


if __name__ == "__main__":
    main()
