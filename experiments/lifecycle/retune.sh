#!/usr/bin/env bash
# Re-tuning the LoRA against the drifted chip, measured (docs/lifecycle.md, "Re-tuning the LoRA against the drifted
# chip"), on the HaLoRA stand-in (experiments/halora/pretrained: 8 layers, hidden 128, byte tokenizer):
#   1. cimsim-train finetunes the deployed LoRA (vanilla, clean weights) on experiments/halora/data/train_qa.jsonl;
#   2. cimsim lifecycle --emit-profiles writes the noise profile of the drifted chip (the lifecycle's drift model and
#      first chip seed) at every accuracy age: 1 s, 1 h, 1 day, 1 month, 1 year;
#   3. cimsim-train --method halora --noise-profile PROFILE finetunes the LoRA against each age's chip (same data, steps
#      and training seed as the deployed one: the only difference is the noise it trained against);
#   4. cimsim lifecycle --accuracy-adapter DEPLOYED --retuned-adapter AGE=DIR ... scores both on the same chips at each
#      age (KL against the deployed adapter on ideal devices, choice accuracy on the held-out questions).
# Once without and once with global drift compensation (COMP="off on"). Writes OUT/{off,on}/report.{json,md,html},
# the profiles, the adapters and the logs; OUT/summary.md. A few minutes on 2 cores (under nice).
#
# Usage: bash experiments/lifecycle/retune.sh
# Knobs: OUT (experiments/lifecycle/results), STEPS (40), SEEDS (chip seeds per point, 2), DATA (test questions),
#        COMP ("off on"), NO_BUILD=1 (use the Release binaries already built).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${OUT:-experiments/lifecycle/results}"  # relative to the repository root (cd below), so reports record no absolute path
steps="${STEPS:-40}"; seeds="${SEEDS:-2}"; comp_arms="${COMP:-off on}"
data="${DATA:-experiments/halora/data/test_quick.jsonl}"
model="experiments/halora/pretrained"
ages="1s 1h 1day 1month 1year"
cd "$root"
if [ -z "${NO_BUILD:-}" ]; then
  dotnet build Training/Training.csproj -c Release --nologo -v q
  dotnet build Simulator/Simulator.csproj -c Release --nologo -v q
fi
train=(nice -n 10 dotnet "$root/Training/bin/Release/net10.0/cimsim-train.dll")
cimsim=(nice -n 10 dotnet "$root/Simulator/bin/Release/net10.0/cimsim.dll")
# The chip of the lifecycle bench (docs/lifecycle.md, "Measured"): program-and-verify with the ReRamWan2022 pulse spread,
# drift nu 0.05 +- 0.02, no abstract weight noise, ideal ADC (default.yaml).
chip=(-p rram.program_verify.enabled=true -p rram.noise.programming.impl=polynomial -p rram.noise.weight_noise.sigma=0
      -p rram.noise.drift.enabled=true -p rram.noise.drift.nu_sigma=0.02)
life=(lifecycle --model llama-3.2-1b --months 12 --adapters 4 --swap-every 100 --prompt 64 --generate 64
      --accuracy-model "$model" --data "$data")
tflags=(--model "$model" --data experiments/halora/data/train_qa.jsonl --lora-rank 4 --lora-targets q,k,v,up,down
        --steps "$steps" --batch-size 16 --lr 5e-3 --warmup 15 --log-every 10 --seed 1)
mkdir -p "$out"
start=$(date +%s)

deployed="$out/deployed"
if [ ! -f "$deployed/adapter_model.safetensors" ]; then
  "${train[@]}" "${tflags[@]}" --method lora --out "$deployed" > "$out/deployed.log" 2>&1 || { cat "$out/deployed.log"; exit 1; }
fi
for c in $comp_arms; do
  arm="$out/$c"; mkdir -p "$arm"
  hw=("${chip[@]}" -p "rram.noise.drift.compensation=$([ "$c" = on ] && echo true || echo false)")
  if [ ! -f "$arm/profiles/profile-1year.json" ]; then
    "${cimsim[@]}" "${life[@]}" "${hw[@]}" --accuracy-adapter "$deployed" --seeds 1 --emit-profiles "$arm/profiles" \
      --out "${TMPDIR:-/tmp}/cimsim-retune-profiles-$c-$$" > "$arm/profiles.log" 2>&1 || { cat "$arm/profiles.log"; exit 1; }
  fi
  retuned=()
  for a in $ages; do
    dir="$arm/retuned-$a"
    if [ ! -f "$dir/adapter_model.safetensors" ]; then
      "${train[@]}" "${tflags[@]}" --method halora --mu 0.01 --resample-every 10 --noise-profile "$arm/profiles/profile-$a.json" \
        --out "$dir" > "$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
    fi
    retuned+=(--retuned-adapter "$a=$dir")
  done
  if [ ! -f "$arm/report.json" ]; then
    "${cimsim[@]}" "${life[@]}" "${hw[@]}" --seeds "$seeds" --accuracy-adapter "$deployed" "${retuned[@]}" --out "$arm" > "$arm/lifecycle.log" 2>&1 \
      || { cat "$arm/lifecycle.log"; exit 1; }
  fi
done
{
  echo "# Re-tuning the LoRA against the drifted chip (experiments/lifecycle/retune.sh)"
  echo
  echo "Stand-in experiments/halora/pretrained, $steps training steps (seed 1), $seeds chip seeds per point, data $(basename "$data")."
  for c in $comp_arms; do
    echo
    echo "## Drift compensation $c"
    echo
    awk 'f && /^\|/ { print; p = 1; next } p { exit } /^### With and without re-tuning/ { f = 1 }' "$out/$c/report.md"
  done
  echo
  echo "Wall time $(( $(date +%s) - start )) s, load average $(cut -d' ' -f1-3 /proc/loadavg)."
} > "$out/summary.md"
cat "$out/summary.md"
