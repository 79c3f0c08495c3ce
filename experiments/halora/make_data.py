#!/usr/bin/env python3
"""Builds the synthetic data of the HaLoRA robustness experiment (standard library only; the outputs are committed,
so rerunning the experiment does not need Python).

World: N people with made-up names, each with a home city and a pet (8 of each).
  data/pretrain.jsonl   {"text"}: documents of shuffled fact sentences ("karo lives in oslo.", "the pet of
                        karo is a cat.", ...) in lower case. The base model memorises the facts here.
  data/train_mc.jsonl   {"question","choices","answer"} for the first TRAIN_PEOPLE people: "where does karo live?
                        answer:" with four city (or pet) names. Questions never occur in the pretraining text;
                        LoRA must learn to answer them by retrieving the fact stored in W0. (A first version
                        wrote the answers in upper case, never seen in pretraining, to force chance before
                        finetuning; LoRA could not learn to emit those untrained tokens: loss stayed at 2.8.)
  data/eval_mc.jsonl    the same questions for the held-out people (facts seen only in pretraining): answering
                        them needs the knowledge stored in the frozen W0, which RRAM noise corrupts.
"""
import json
import os
import random

SEED = 2025
PEOPLE = 96
TRAIN_PEOPLE = 64
DOCS = 3000
CITIES = ["oslo", "lima", "rome", "kyiv", "baku", "doha", "riga", "bern"]
PETS = ["cat", "dog", "owl", "fox", "yak", "eel", "bat", "ant"]
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
VOWELS = ["a", "e", "i", "o", "u"]

FACT_TEMPLATES = [
    "{n} lives in {c}.",
    "the home of {n} is {c}.",
    "{n} has a {p}.",
    "the pet of {n} is a {p}.",
]


def names(rng, count):
    seen = set()
    out = []
    while len(out) < count:
        n = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(2))
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def main():
    rng = random.Random(SEED)
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "data")
    os.makedirs(out, exist_ok=True)
    people = names(rng, PEOPLE)
    city = {n: rng.choice(CITIES) for n in people}
    pet = {n: rng.choice(PETS) for n in people}

    with open(os.path.join(out, "pretrain.jsonl"), "w") as f:
        for _ in range(DOCS):
            sents = []
            for _ in range(rng.randint(3, 5)):
                n = rng.choice(people)
                sents.append(rng.choice(FACT_TEMPLATES).format(n=n, c=city[n], p=pet[n]))
            f.write(json.dumps({"text": " ".join(sents)}) + "\n")

    def questions(group):
        items = []
        for n in group:
            for kind, truth, pool in (("where does {} live?", city[n], CITIES), ("which pet does {} have?", pet[n], PETS)):
                wrong = rng.sample([x for x in pool if x != truth], 3)
                choices = wrong + [truth]
                rng.shuffle(choices)
                items.append({"question": kind.format(n) + " answer:", "choices": choices,
                              "answer": choices.index(truth)})
        return items

    for name, group in (("train_mc.jsonl", people[:TRAIN_PEOPLE]), ("eval_mc.jsonl", people[TRAIN_PEOPLE:])):
        with open(os.path.join(out, name), "w") as f:
            for item in questions(group):
                f.write(json.dumps(item) + "\n")
    print(f"{PEOPLE} people, {DOCS} pretraining documents, {2 * TRAIN_PEOPLE} training and "
          f"{2 * (PEOPLE - TRAIN_PEOPLE)} evaluation questions in {out}")


if __name__ == "__main__":
    main()
