#!/usr/bin/env python3
"""How much a re-deployment changed the HaLoRA grid (standard library only), and the mechanism numbers of
docs/experiments.md: the same adapters' `cimsim accuracy` reports from two simulator versions, side by side.

    python3 compare_rounds.py NEW [OLD]
    (NEW, OLD: folders with acc-<arm>-s<seed>@<level>/report.json and recall-<model>@<level>/report.json, as grid.py
     writes them; OLD e.g. from `git archive 853d257 experiments/halora/results/grid | tar x -C /tmp/old`)

Prints, per arm and level, the mean over training seeds of each seed's chip-mean accuracy (%) in NEW, and NEW - OLD
when OLD is given (the change of each cell: same adapters, same chip seeds, different simulator); the base model's
recall (test_recall.jsonl, no adapter) per level; and the mean relative output error of the W0 products over the
56 modules at each level (min-max over runs): the error the adapters cannot change.
"""
import glob
import json
import os
import re
import statistics as st
import sys

RUN = re.compile(r"^acc-(?P<arm>.+)-s(?P<seed>\d+)@(?P<level>[0-9.]+)$")


def load(folder):
    """(arm, seed) -> {sigma: accuracy, 0: ideal}, level -> [mean module error per run], recall name -> {sigma: acc}."""
    acc, err, recall = {}, {}, {}
    for rep in sorted(glob.glob(os.path.join(folder, "*", "report.json"))):
        name = os.path.basename(os.path.dirname(rep))
        with open(rep) as f:
            r = json.load(f)
        m = RUN.match(name)
        if m:
            cell = acc.setdefault((m["arm"], int(m["seed"])), {})
            cell[0.0] = r["ideal"]["choice_accuracy"]
            for lv in r["levels"]:
                cell[lv["sigma"]] = lv["choice_accuracy"]["mean"]
                mods = [x["relative_error"] for x in lv["modules"]]
                err.setdefault(lv["sigma"], []).append(sum(mods) / len(mods))
        elif name.startswith("recall-"):
            model = name[len("recall-"):].split("@")[0]
            cell = recall.setdefault(model, {})
            cell[0.0] = r["ideal"]["choice_accuracy"]
            for lv in r["levels"]:
                cell[lv["sigma"]] = lv["choice_accuracy"]["mean"]
    return acc, err, recall


def main():
    new = load(sys.argv[1])
    old = load(sys.argv[2]) if len(sys.argv) > 2 else None
    arms = sorted({a for a, _ in new[0]}, key=lambda a: (a != "lora", a))
    sigmas = sorted({s for c in new[0].values() for s in c})
    head = " | ".join("ideal" if s == 0 else f"sigma {s:g}" for s in sigmas)
    print(f"Accuracy (%), mean over training seeds{', new (new - old)' if old else ''}\n\n| arm | {head} |")
    print("|---|" + "---|" * len(sigmas))
    changes = []
    for a in arms:
        cells = []
        for s in sigmas:
            seeds = [k for (arm, k), c in new[0].items() if arm == a and s in c]
            v = st.mean(100 * new[0][(a, k)][s] for k in seeds)
            text = f"{v:.1f}"
            if old:
                paired = [k for k in seeds if s in old[0].get((a, k), {})]
                if paired:
                    d = st.mean(100 * (new[0][(a, k)][s] - old[0][(a, k)][s]) for k in paired)
                    changes.append((abs(d), a, s, d))
                    text += f" ({d:+.1f})"
            cells.append(text)
        print(f"| {a} | " + " | ".join(cells) + " |")
    if changes:
        ds = [d for _, _, _, d in changes]
        print(f"\nCell changes new - old (points): mean {st.mean(ds):+.2f}, mean |change| {st.mean(abs(d) for d in ds):.2f}, "
              f"largest {max(changes)[3]:+.1f} ({max(changes)[1]} at sigma {max(changes)[2]:g}); {len(ds)} cells")
    for label, data in (("new", new), ("old", old)):
        if not data:
            continue
        print(f"\nBase model recall (test_recall.jsonl, %), {label}: " + "; ".join(
            f"{m}: " + ", ".join(f"{'ideal' if s == 0 else s} {100 * v:.1f}" for s, v in sorted(c.items()))
            for m, c in sorted(data[2].items())))
        print(f"Mean relative output error of the W0 products over the modules, {label}: " + "; ".join(
            f"sigma {s:g} {st.mean(v):.4f} ({min(v):.4f}-{max(v):.4f}, {len(v)} runs)" for s, v in sorted(data[1].items())))


if __name__ == "__main__":
    main()
