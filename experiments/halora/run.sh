#!/usr/bin/env bash
# The HaLoRA ablation experiment (docs/experiments.md), as a user runs it: `cimsim-train` finetunes the committed
# stand-in (experiments/halora/pretrained/, pretrained on a GPU by pretrain.py) once per arm and training seed,
# `cimsim accuracy` deploys every adapter on hw-configs/default.yaml (W0 on noisy RRAM, A and B exact) and scores
# the held-out test questions (data/test_mc.jsonl) on ideal devices and at each weight-noise sigma over CHIPS chip
# instances; `cimsim-train summarize-experiment` writes OUT/results.md (mean and 95 % interval over training
# seeds, and each arm minus vanilla LoRA, paired by seed) and OUT/accuracy-vs-sigma.png.
#
# Usage: bash experiments/halora/run.sh              full grid (every arm of issue 12; hours on the shared 2-core machine)
#        QUICK=1 bash experiments/halora/run.sh      LoRA and HaLoRA, 1 seed, 40 questions, 2 chips at sigma 0.02
# Knobs: OUT, ARMS (names below), SEEDS (training seeds, "1 2 3"), CHIPS (5), LEVELS (0.01,0.02,0.04), STEPS (100),
#        PAR (runs trained and scored at once, 4), DATA (test set), MODEL (pretrained), PHASE (all | train | eval:
#        finetune only, or deploy the adapters already in OUT, e.g. on a machine with more cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${OUT:-$root/out/halora-experiment}"
if [ "${QUICK:-0}" = 1 ]; then
  arms="${ARMS:-lora both}"; seeds="${SEEDS:-1}"; chips="${CHIPS:-2}"; levels="${LEVELS:-0.02}"; steps="${STEPS:-40}"
  data="${DATA:-data/test_quick.jsonl}"
else
  arms="${ARMS:-lora noise reg both mu0.001 mu0.1 sigma0.01 sigma0.025 sigma0.04 resample1 resample400}"
  seeds="${SEEDS:-1 2 3}"; chips="${CHIPS:-5}"; levels="${LEVELS:-0.01,0.02,0.04}"; steps="${STEPS:-100}"
  data="${DATA:-data/test_mc.jsonl}"
fi
par="${PAR:-4}"
phase="${PHASE:-all}"
model="${MODEL:-pretrained}"
# Training sigma of the noise arms: 0.02, the level at which the paper compares LoRA and HaLoRA and where vanilla
# LoRA on this stand-in loses more than 10 points (docs/experiments.md). `both` is also the mu 0.01, sigma 0.02 and
# resample-every-50 arm of issue 12; vanilla LoRA loses half its gain above chance at about 0.025 (measured after the
# grid ran: 72.6 % at 0.02, 30.3 % at 0.04), the sigma0.025 arm; sigma0.04 is where it has lost all of it.
sigma=0.02

# name -> trainer flags (issue 12's ablations: noise only, L_reg only, both; mu; training sigma; resampling period).
flags() {
  local h="--method halora --sigma-scope tile --tile-size 64"
  case "$1" in
    lora)        echo "--method lora" ;;
    noise)       echo "$h --mu 0 --sigma $sigma --resample-every 50" ;;
    reg)         echo "$h --mu 0.01 --noise off" ;;
    both)        echo "$h --mu 0.01 --sigma $sigma --resample-every 50" ;;
    mu0.001)     echo "$h --mu 0.001 --sigma $sigma --resample-every 50" ;;
    mu0.1)       echo "$h --mu 0.1 --sigma $sigma --resample-every 50" ;;
    sigma0.01)   echo "$h --mu 0.01 --sigma 0.01 --resample-every 50" ;;
    sigma0.025)  echo "$h --mu 0.01 --sigma 0.025 --resample-every 50" ;;
    sigma0.04)   echo "$h --mu 0.01 --sigma 0.04 --resample-every 50" ;;
    resample1)   echo "$h --mu 0.01 --sigma $sigma --resample-every 1" ;;
    resample400) echo "$h --mu 0.01 --sigma $sigma --resample-every 400" ;;
    *) echo "unknown arm '$1'" >&2; return 2 ;;
  esac
}

# Every finetuning flag of one arm (grid.py, the parallel driver, asks with PRINT_FLAGS=arm).
train_flags() {
  echo "--data data/train_qa.jsonl $(flags "$1") --lora-rank 4 --lora-targets q,k,v,up,down --steps $steps --batch-size 16 --lr 5e-3 --warmup 15 --log-every 50"
}
if [ -n "${PRINT_FLAGS:-}" ]; then train_flags "$PRINT_FLAGS"; exit 0; fi

mkdir -p "$out"
cd "$root"
bin_train="$out/bin-train" bin_sim="$out/bin-sim"
if [ -n "${NO_BUILD:-}" ]; then  # use the binaries of an earlier `dotnet build -c Release` (or BIN_TRAIN, BIN_SIM)
  bin_train="${BIN_TRAIN:-$root/Training/bin/Release/net10.0}" bin_sim="${BIN_SIM:-$root/Simulator/bin/Release/net10.0}"
else
  bash scripts/install-deps.sh
  dotnet build Training/Training.csproj -c Release --nologo -v q -o "$bin_train"
  dotnet build Simulator/Simulator.csproj -c Release --nologo -v q -o "$bin_sim"
fi
train=(nice -n 10 dotnet "$bin_train/cimsim-train.dll")
cimsim=(nice -n 10 dotnet "$bin_sim/cimsim.dll")
cd "$here"
for a in $arms; do flags "$a" > /dev/null; done

# One run: finetune arm $1 with training seed $2, then deploy it. Skips what is already there (re-running resumes).
job() {
  local a="$1" s="$2"
  local run="$out/$a-s$s" acc="$out/acc-$a-s$s"
  if [ "$phase" != eval ] && [ ! -f "$run/adapter_model.safetensors" ]; then
    # shellcheck disable=SC2046
    "${train[@]}" --model "$model" $(train_flags "$a") --seed "$s" --out "$run" > "$run.log" 2>&1 || { cat "$run.log"; return 1; }
  fi
  if [ "$phase" != train ] && [ ! -f "$acc/report.json" ]; then
    "${cimsim[@]}" accuracy --hw "$root/hw-configs/default.yaml" --model "$model" --adapter "$run" \
      --data "$data" --seeds "$chips" --sigma "$levels" --out "$acc" > "$acc.log" 2>&1 || { cat "$acc.log"; return 1; }
  fi
}

start=$(date +%s)
if [ "$phase" != train ] && [ ! -f "$out/acc-base/report.json" ]; then
  "${cimsim[@]}" accuracy --hw "$root/hw-configs/default.yaml" --model "$model" --data "$data" --seeds 1 \
    --sigma 0 --out "$out/acc-base" > "$out/acc-base.log" 2>&1
fi
running=0
for s in $seeds; do
  for a in $arms; do
    job "$a" "$s" &
    running=$((running + 1))
    if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
  done
done
wait
[ "$phase" = train ] && { echo "trained in $(( $(date +%s) - start )) s"; exit 0; }
"${train[@]}" summarize-experiment "$out"
echo "wrote $out/results.md and $out/accuracy-vs-sigma.png in $(( $(date +%s) - start )) s"
