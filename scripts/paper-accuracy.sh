#!/usr/bin/env bash
# The HaLoRA paper's accuracy table for one model: `cimsim accuracy` on each of the eight LLM-Adapters commonsense
# test sets found under DATA (DATA/NAME/test.json as in LLM-Adapters' dataset/ folder, or DATA/NAME.json), then
# one table of choice accuracy (mean +- std over chip seeds) per benchmark and noise level.
# Formats and the log-likelihood scoring: docs/workloads.md ("Evaluation and training data").
# Usage: bash scripts/paper-accuracy.sh --model DIR [--adapter DIR] --data DATA --out OUT [--hw FILE] [--seeds 5] [--sigma 0.005,0.01,0.02]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
hw="$root/hw-configs/default.yaml"; seeds=5; sigma=""; model=""; adapter=""; data=""; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --adapter) adapter="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --hw) hw="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --sigma) sigma="$2"; shift 2 ;;
    *) echo "error: unknown argument '$1' (see the usage line at the top of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$model" ] && [ -n "$data" ] && [ -n "$out" ] || { echo "error: --model, --data and --out are required" >&2; exit 2; }
found=0
for name in boolq piqa social_i_qa hellaswag winogrande ARC-Easy ARC-Challenge openbookqa; do
  file="$data/$name/test.json"; [ -f "$file" ] || file="$data/$name.json"
  [ -f "$file" ] || { echo "skip $name: neither $data/$name/test.json nor $data/$name.json" >&2; continue; }
  found=$((found + 1))
  args=(accuracy --hw "$hw" --model "$model" --data "$file" --format llm-adapters --seeds "$seeds" --out "$out/$name")
  [ -n "$adapter" ] && args+=(--adapter "$adapter")
  [ -n "$sigma" ] && args+=(--sigma "$sigma")
  bash "$root/scripts/cimsim" "${args[@]}"
done
[ "$found" -gt 0 ] || { echo "error: no LLM-Adapters test set under $data" >&2; exit 2; }
echo
for name in boolq piqa social_i_qa hellaswag winogrande ARC-Easy ARC-Challenge openbookqa; do
  [ -f "$out/$name/report.md" ] || continue
  echo "## $name"
  # The ideal line and the first table after it (one row per noise level).
  awk '/^Ideal devices:/ { p = 1 } p { if ($0 ~ /^\|/) t = 1; else if (t) exit; print }' "$out/$name/report.md"
  echo
done
