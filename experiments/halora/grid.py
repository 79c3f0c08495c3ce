#!/usr/bin/env python3
"""Runs run.sh's grid on a machine with many cores (standard library only): the same `cimsim-train` and
`cimsim accuracy` commands, one process per finetune and per (run, noise level), highest priority first, stopping
cleanly at a deadline. What finished is kept; `bash run.sh` (or this again) resumes the rest.

    python3 grid.py --out OUT --train "dotnet bin/cimsim-train.dll" --cimsim "dotnet bin/cimsim.dll" \
        [--jobs 16] [--deadline-s 520] [--arms "lora both ..."] [--seeds "1 2 3"] [--levels "0.02 0.04 0.01"]
    (run from experiments/halora; flags of each arm come from `PRINT_FLAGS=arm bash run.sh`)

Writes OUT/<arm>-s<seed>/ (adapter, loss.csv, train_summary.json), OUT/acc-<arm>-s<seed>@<level>/ (report of
one noise level with CHIPS chip instances, plus ideal devices) that `cimsim-train summarize-experiment OUT` merges,
and OUT/recall-<model>@<level>/ (the base model's recall in the pretraining form, data/test_recall.jsonl).
"""
import argparse
import os
import shlex
import subprocess
import time

CORE = ["lora", "both", "noise", "reg"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", required=True, help="command that runs cimsim-train")
    ap.add_argument("--cimsim", required=True, help="command that runs cimsim")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--deadline-s", type=float, default=1e9)
    ap.add_argument("--arms", default="lora both noise reg mu0.001 mu0.1 sigma0.01 sigma0.025 sigma0.04 resample1 resample400")
    ap.add_argument("--seeds", default="1 2 3")
    ap.add_argument("--levels", default="0.02 0.04 0.01", help="deployment sigmas, most important first")
    ap.add_argument("--chips", type=int, default=5)
    ap.add_argument("--model", default="pretrained")
    ap.add_argument("--recall-models", default="pretrained pretrained-plain")
    ap.add_argument("--data", default="data/test_mc.jsonl")
    ap.add_argument("--hw", default="../../hw-configs/default.yaml")
    a = ap.parse_args()
    t0 = time.time()
    out = a.out
    os.makedirs(out, exist_ok=True)
    arms, seeds, levels = a.arms.split(), a.seeds.split(), a.levels.split()
    train, cimsim = shlex.split(a.train), shlex.split(a.cimsim)
    flags = {arm: subprocess.run(["bash", "run.sh"], env=dict(os.environ, PRINT_FLAGS=arm), check=True,
                                 capture_output=True, text=True).stdout.split() for arm in arms}

    def adapter(arm, s):
        return os.path.join(out, f"{arm}-s{s}", "adapter_model.safetensors")

    # (priority, name, command, ready, done-marker); lower priority runs first.
    tasks = []
    for arm in arms:
        for s in seeds:
            run = os.path.join(out, f"{arm}-s{s}")
            tasks.append(((0 if arm in CORE else 1, int(s)), run, train + ["--model", a.model] + flags[arm] +
                          ["--seed", s, "--out", run], lambda: True, adapter(arm, s)))
            for i, lv in enumerate(levels):
                acc = os.path.join(out, f"acc-{arm}-s{s}@{lv}")
                pri = (2 + 2 * i + (0 if arm in CORE else 1), int(s))
                tasks.append((pri, acc, cimsim + ["accuracy", "--hw", a.hw, "--model", a.model, "--adapter", run,
                                                  "--data", a.data, "--seeds", str(a.chips), "--sigma", lv, "--out", acc],
                              (lambda arm=arm, s=s: os.path.exists(adapter(arm, s))), os.path.join(acc, "report.json")))
    for i, lv in enumerate(levels):
        for m in a.recall_models.split():
            rec = os.path.join(out, f"recall-{os.path.basename(m)}@{lv}")
            tasks.append(((1 if i == 0 else 2 + 2 * i, 0), rec, cimsim + [
                "accuracy", "--hw", a.hw, "--model", m, "--data", "data/test_recall.jsonl", "--seeds", str(a.chips),
                "--sigma", lv, "--out", rec], lambda: True, os.path.join(rec, "report.json")))
    tasks.sort(key=lambda t: t[0])
    pending = [t for t in tasks if not os.path.exists(t[4])]
    running = {}
    while (pending or running) and time.time() - t0 < a.deadline_s:
        for name, (p, task, log) in list(running.items()):
            if p.poll() is not None:
                log.close()
                print(f"{time.time() - t0:6.0f} s  rc {p.returncode}  {name}", flush=True)
                del running[name]
        for task in list(pending):
            if len(running) >= a.jobs:
                break
            if task[3]():
                pending.remove(task)
                log = open(task[1] + ".log", "w")
                running[task[1]] = (subprocess.Popen(task[2], stdout=log, stderr=subprocess.STDOUT), task, log)
        # a task whose finetune failed can never become ready: drop it once nothing else runs
        if not running and pending and not any(t[3]() for t in pending):
            break
        time.sleep(1)
    for name, (p, task, log) in running.items():
        p.kill()
        print(f"{time.time() - t0:6.0f} s  stopped at the deadline: {name}", flush=True)
    print(f"{time.time() - t0:.0f} s; not started: {len(pending)}; stopped: {len(running)}", flush=True)


if __name__ == "__main__":
    main()
