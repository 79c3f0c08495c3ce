#!/bin/bash
# Device runner of round 3 of issue 12 (docs/experiments.md, "What ran"), kept as it ran: re-deploys the 33 committed
# adapters (results/grid/<arm>-s<seed>/) with the current `cimsim accuracy` on the GPU host's 16 CPU cores, ideal
# devices + sigma 0.02 / 0.04 / 0.01 x 5 chips, the base model's recall (pretrained, pretrained-plain) at those
# levels and the base model on the test questions (acc-base). Nothing is trained (every adapter exists, so grid.py's
# finetune tasks are done before they start; --train is never called).
# It runs from the repository root of a checkout of the branch the binaries were built from and expects, under
# .devwork/halora3/: dotnet.tar.zst (the .NET 10.0.12 runtime, pruned to fit the 64 MiB carry: the debugger/tracing/
# alternative-GC native libraries and System.Private.Xml(.Linq), System.Data.Common, System.Private.DataContractSerialization,
# Microsoft.VisualBasic.Core removed, with their Microsoft.NETCore.App.deps.json entries), zstd, bin.tar.zst (bin/:
# `dotnet publish -c Release` of Simulator/ at the commit in bin/BUILT_FROM, without runtimes/ (SkiaSharp's natives:
# a one-level report draws no plot); bin/native/: Debian's libopenblas.so.0
# (0.3.21, pthread) with libgfortran and libquadmath, so the host runs the same BLAS a user of scripts/install-deps.sh
# gets). One BLAS thread and one .NET processor per process: 16 processes share the 16 cores. Stops at DEADLINE s
# and writes OUT/reports.tar (every report.json) and OUT/grid.log.
set -u
T0=$(date +%s); DEADLINE=${DEADLINE:-370}
R=$(pwd); H3=$R/.devwork/halora3; W=/tmp/w3; rm -rf $W; mkdir -p $W/dotnet
$H3/zstd -dc $H3/dotnet.tar.zst | tar xf - -C $W/dotnet
$H3/zstd -dc $H3/bin.tar.zst | tar xf - -C $W
export DOTNET_ROOT=$W/dotnet PATH=$W/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export LD_LIBRARY_PATH=$W/bin/native OPENBLAS_NUM_THREADS=1 DOTNET_PROCESSOR_COUNT=1
G=$W/g; mkdir -p $G
cp -r $R/experiments/halora/results/grid/*-s? $G/   # the committed adapters only, no earlier report
nproc; lscpu | grep -m1 'Model name'; dotnet --list-runtimes; cat $W/bin/BUILT_FROM; sha256sum $R/hw-configs/default.yaml
python3 -c "import ctypes; ctypes.CDLL('libopenblas.so.0').cblas_sgemm; print('openblas loads')"
echo "setup $(( $(date +%s) - T0 )) s"
cd $R/experiments/halora
cimsim="dotnet $W/bin/cimsim.dll"
$cimsim accuracy --hw ../../hw-configs/default.yaml --model pretrained --data data/test_mc.jsonl --seeds 1 --sigma 0 \
  --out $G/acc-base > $G/acc-base.log 2>&1 &
python3 grid.py --out $G --train false --cimsim "$cimsim" --jobs $(nproc) --hw ../../hw-configs/default.yaml \
  --deadline-s $(( DEADLINE - ($(date +%s) - T0) )) --recall-models "pretrained pretrained-plain" --levels "0.02 0.04 0.01" \
  2>&1 | tee $OUT/grid.log
wait
times
cd $G && find . -name report.json | tar cf $OUT/reports.tar -T - && tar tf $OUT/reports.tar | wc -l
echo "total $(( $(date +%s) - T0 )) s"
