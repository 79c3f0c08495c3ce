#!/usr/bin/env python3
"""The synthetic world of the HaLoRA robustness experiment (standard library only). The finetuning and test files
are committed; the pretraining corpus is drawn on the fly by pretrain.py from the same world (it is ~100 MB).

World: PEOPLE people with made-up names (three consonant-vowel syllables), each with four attributes (home city,
pet, job, favourite colour), 16 values each, drawn uniformly. 1,200 people (19 kbit of facts) is what a 1.5M-
parameter model memorised in a 60 s GPU pretraining; 20,000 (320 kbit) stayed at chance after 270 s.

  pretraining (pretrain.py): biographies, one per document: the four facts of one person in a random order, each in
      one of three templates ("madelo lives in lima.", "the pet of madelo is a cat.", ...), lower case; mixed with
      the King James Bible (real English text, public domain, Debian package bible-kjv-text).
  data/train_qa.jsonl  {"question","choices","answer"} about the first TRAIN_PEOPLE people:
      "where does madelo live? answer:" with four choices. The question forms never occur in the pretraining
      text: LoRA must learn to answer them by retrieving the facts stored in W0.
  data/test_mc.jsonl   the same questions about TEST_PEOPLE other people, never seen in finetuning: the only way
      to answer them is the knowledge in the frozen W0, which RRAM noise corrupts. This is the experiment's
      test set (what `cimsim accuracy` scores).
  data/test_recall.jsonl  the test questions in the pretraining form ("madelo lives in"), for the base model.
  data/train_mc.jsonl  TEST_PEOPLE people of the finetuning set, same questions (in-distribution check).
"""
import json
import os
import random

SEED = 2025
PEOPLE = 1200
TRAIN_PEOPLE = 1000
TEST_PEOPLE = 25
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
VOWELS = ["a", "e", "i", "o", "u"]

ATTRIBUTES = {
    "city": ["oslo", "lima", "rome", "kyiv", "baku", "doha", "riga", "bern",
             "cairo", "dakar", "hanoi", "paris", "quito", "seoul", "tunis", "vaduz"],
    "pet": ["cat", "dog", "owl", "fox", "yak", "eel", "bat", "ant",
            "hen", "pig", "cow", "ram", "elk", "emu", "gnu", "bee"],
    "job": ["baker", "miner", "tailor", "pilot", "nurse", "judge", "smith", "farmer",
            "potter", "sailor", "monk", "poet", "guard", "cook", "hunter", "weaver"],
    "color": ["red", "blue", "green", "black", "white", "pink", "gray", "brown",
              "gold", "teal", "navy", "cyan", "lime", "plum", "rose", "tan"],
}

FACT_TEMPLATES = {
    "city": ["{n} lives in {v}.", "the home of {n} is {v}.", "{n} dwells in {v}."],
    "pet": ["{n} has a {v}.", "the pet of {n} is a {v}.", "{n} keeps a {v}."],
    "job": ["{n} works as a {v}.", "the job of {n} is {v}.", "{n} is a {v} by trade."],
    "color": ["{n} likes {v}.", "the colour {n} loves is {v}.", "the favourite colour of {n} is {v}."],
}

QUESTIONS = {
    "city": "where does {n} live? answer:",
    "pet": "which pet does {n} have? answer:",
    "job": "what does {n} do for a living? answer:",
    "color": "what colour does {n} like? answer:",
}

# The fact-form prompt of each attribute (a pretraining template cut before the value): pretrain.py scores the
# base model's recall with it, before any finetuning.
FACT_PROMPTS = {"city": "{n} lives in", "pet": "the pet of {n} is a", "job": "{n} works as a", "color": "{n} likes"}


def names(rng, count):
    seen = set()
    out = []
    while len(out) < count:
        n = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(3))
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def build(count=None):
    """The world: people, their attributes, and the question items (with 'kind' and 'person' for pretrain.py)."""
    rng = random.Random(SEED)
    people = names(rng, count or PEOPLE)
    facts = {n: {k: rng.choice(vals) for k, vals in ATTRIBUTES.items()} for n in people}

    def questions(group):
        items = []
        for n in group:
            for kind, pool in ATTRIBUTES.items():
                truth = facts[n][kind]
                choices = rng.sample([x for x in pool if x != truth], 3) + [truth]
                rng.shuffle(choices)
                items.append({"question": QUESTIONS[kind].format(n=n), "choices": choices,
                              "answer": choices.index(truth), "kind": kind, "person": n})
        return items

    return {
        "people": people,
        "facts": facts,
        "train_qa": questions(people[:TRAIN_PEOPLE]),
        "test_mc": questions(people[TRAIN_PEOPLE:TRAIN_PEOPLE + TEST_PEOPLE]),
        "train_mc": questions(people[:TEST_PEOPLE]),
    }


def biography(rng, name, facts):
    kinds = list(ATTRIBUTES)
    rng.shuffle(kinds)
    return " ".join(rng.choice(FACT_TEMPLATES[k]).format(n=name, v=facts[k]) for k in kinds)


def main():
    world = build()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(out, exist_ok=True)
    # QUICK=1 of run.sh scores the first 40 test questions only.
    world["test_quick"] = world["test_mc"][:40]
    # The base model's recall of the test people in the pretraining form ("takofa lives in" + " cairo"), same
    # choices: what `cimsim accuracy` scores for the stand-in's own noise sensitivity before any finetuning.
    world["test_recall"] = [dict(it, question=FACT_PROMPTS[it["kind"]].format(n=it["person"])) for it in world["test_mc"]]
    for name in ("train_qa", "test_mc", "train_mc", "test_quick", "test_recall"):
        with open(os.path.join(out, name + ".jsonl"), "w") as f:
            for item in world[name]:
                f.write(json.dumps({k: item[k] for k in ("question", "choices", "answer")}) + "\n")
    print(f"{PEOPLE} people; {len(world['train_qa'])} finetuning questions ({TRAIN_PEOPLE} people), "
          f"{len(world['test_mc'])} test questions ({TEST_PEOPLE} held-out people), "
          f"{len(world['train_mc'])} in-distribution questions")


if __name__ == "__main__":
    main()
