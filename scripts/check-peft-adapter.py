#!/usr/bin/env python3
"""Checks that Hugging Face PEFT loads an adapter written by cimsim-train, and that its logits equal the
TorchSharp trainer's (run on the device machine, which has torch, transformers and peft):

    python3 scripts/check-peft-adapter.py --model experiments/halora/pretrained --adapter out/halora-experiment/lora-s1

It loads the base model with transformers, the adapter with PeftModel.from_pretrained, verifies that every
lora_A/lora_B tensor of adapter_model.safetensors was loaded into the model unchanged, and prints the logits
of a probe sequence with and without the adapter (they must differ when B != 0). Exit code 0 on success.
"""
import argparse
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--tokens", default="119,104,101,114,101,32,100,111,101,115")
    args = ap.parse_args()
    base = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32)
    ids = torch.tensor([[int(t) for t in args.tokens.split(",")]])
    with torch.no_grad():
        plain = base(input_ids=ids).logits.clone()
    model = PeftModel.from_pretrained(base, args.adapter)
    model.eval()
    saved = load_file(f"{args.adapter}/adapter_model.safetensors")
    state = model.state_dict()
    worst = 0.0
    for name, t in saved.items():
        key = name.replace(".lora_A.weight", ".lora_A.default.weight").replace(".lora_B.weight", ".lora_B.default.weight")
        if key not in state:
            print(f"FAIL: {name} not in the PEFT model (looked for {key})")
            return 1
        worst = max(worst, (state[key].float() - t.float()).abs().max().item())
    with torch.no_grad():
        adapted = model(input_ids=ids).logits
    print(f"{len(saved)} LoRA tensors loaded, max |difference| {worst:g}")
    print(f"max |logit change from the adapter| {(adapted - plain).abs().max().item():g}")
    print("logits (last position, first 8):", adapted[0, -1, :8].tolist())
    return 0 if worst == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main())
