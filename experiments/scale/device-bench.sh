#!/bin/bash
# Device runner of `cimsim bench accuracy --full` (issue 19; docs/accuracy.md, "Memory and speed at LLM scale"), kept
# as it ran. It expects, under .devwork/scale/ of the checkout: dotnet.tar.zst (the .NET 10 runtime), bin.tar.zst (this
# branch's Release Simulator/bin/Release/net10.0), openblas.tar.zst (Debian 12's libopenblas.so.0 0.3.21 pthread build
# with libgfortran.so.5 and libquadmath.so.0, the BLAS the 2-core machine uses) and zstd. Random-weight BF16
# checkpoints are written under /tmp of the device on all cores (not measured), then each shape's bench runs pinned
# to 2 cores (taskset -c 0,1, OPENBLAS_NUM_THREADS=2) and the checkpoint is deleted. SHAPES lists preset[:layers]
# (layers: only the first N decoder layers, CIMSIM_BENCH_LAYERS); output: OUT/bench.log. Stops starting shapes after
# DEADLINE s. PIN=0 runs every phase on all the host's cores instead (OPENBLAS_NUM_THREADS unset): a peak-memory run,
# whose tokens/s are not this machine's.
set -u
T0=$(date +%s); DEADLINE=${DEADLINE:-540}
SHAPES=${SHAPES:-"llama-3.2-1b llama-3.2-3b llama-3.1-8b:4"}
R=$(pwd); S=$R/.devwork/scale; W=/tmp/scale; rm -rf $W; mkdir -p $W/dotnet $W/bin $W/lib
$S/zstd -dc $S/dotnet.tar.zst | tar xf - -C $W/dotnet
$S/zstd -dc $S/bin.tar.zst | tar xf - -C $W/bin
$S/zstd -dc $S/openblas.tar.zst | tar xf - -C $W/lib
export DOTNET_ROOT=$W/dotnet PATH=$W/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 LD_LIBRARY_PATH=$W/lib
log=$OUT/bench.log
{ nproc; lscpu | grep -E "Model name|^CPU\(s\)"; free -g | head -2; df -h /tmp | tail -1; which taskset; echo "setup $(( $(date +%s) - T0 )) s"; } 2>&1 | tee $log
CK=/tmp/scale-ck
for item in $SHAPES; do
  shape=${item%%:*}; layers=""; [ "$item" != "$shape" ] && layers=${item#*:}
  left=$(( DEADLINE - ($(date +%s) - T0) ))
  if [ $left -lt 60 ]; then echo "skipped $item: $left s left" | tee -a $log; continue; fi
  rm -rf $CK; mkdir -p $CK/cimsim-bench-accuracy
  t=$(date +%s)
  CIMSIM_BENCH_LAYERS=$layers CIMSIM_BENCH_PHASE=write CIMSIM_BENCH_SHAPES=$shape CIMSIM_BENCH_PHASE_DIR=$CK/cimsim-bench-accuracy/$shape \
    timeout $left dotnet $W/bin/cimsim.dll bench accuracy --full > /dev/null
  echo "$item: checkpoint written on $(nproc) cores in $(( $(date +%s) - t )) s ($(du -sh $CK | cut -f1))" | tee -a $log
  left=$(( DEADLINE - ($(date +%s) - T0) ))
  if [ "${PIN:-1}" = 0 ]; then pin=(); threads=$(nproc); else pin=(taskset -c 0,1); threads=2; fi
  CIMSIM_BENCH_LAYERS=$layers CIMSIM_BENCH_KEEP=1 CIMSIM_BENCH_SHAPES=$shape CIMSIM_BENCH_DIR=$CK OPENBLAS_NUM_THREADS=$threads \
    timeout $left "${pin[@]}" dotnet $W/bin/cimsim.dll bench accuracy --full 2>&1 | tee -a $log
  echo "$item: exit ${PIPESTATUS[0]}, $(( $(date +%s) - t )) s" | tee -a $log
  rm -rf $CK
done
echo "total $(( $(date +%s) - T0 )) s" | tee -a $log
