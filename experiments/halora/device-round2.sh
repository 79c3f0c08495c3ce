#!/bin/bash
# Device runner of round 2 of issue 12 (docs/experiments.md, "What ran"), kept as it ran. It expects, under
# .devwork/halora2/ of the checkout: dotnet.tar.zst (the .NET 10 runtime), binexp.tar.zst (bin/: the round-1 Release
# binaries of cimsim and cimsim-train built at dfac56b; exp/: data/ and pretrained/ of this folder), skia.tar.zst
# (libSkiaSharp.so, so cimsim-train writes loss.png and train_summary.json), zstd, default.yaml (hw-configs/ at
# dfac56b), run.sh, grid.py and grid/ (the 24 round-1 adapters to deploy at 0.01). It uses the host's libtorch and
# 16 cores, finishes sigma 0.01 for those runs and the sigma0.025 arm at 0.01/0.02/0.04, stops at DEADLINE s and
# writes OUT/new.tar, OUT/sigma025.tar and OUT/grid.log.
set -u
T0=$(date +%s); DEADLINE=${DEADLINE:-390}
R=$(pwd); H2=$R/.devwork/halora2; W=/tmp/w; rm -rf $W; mkdir -p $W/dotnet
$H2/zstd -dc $H2/dotnet.tar.zst | tar xf - -C $W/dotnet
$H2/zstd -dc $H2/binexp.tar.zst | tar xf - -C $W
export DOTNET_ROOT=$W/dotnet PATH=$W/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
$H2/zstd -dc $H2/skia.tar.zst | tar xf - -C $W/bin
export LD_LIBRARY_PATH=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
cp $H2/run.sh $H2/grid.py $W/exp/
G=$W/g; mkdir -p $G; cp -r $H2/grid/* $G/
for d in $G/*-s?; do b=$(basename $d); for lv in 0.02 0.04; do mkdir -p $G/acc-$b@$lv; touch $G/acc-$b@$lv/report.json; echo acc-$b@$lv >> $W/placeholders; done; done
nproc; dotnet --list-runtimes; echo "setup $(( $(date +%s) - T0 )) s"
cd $W/exp
python3 grid.py --out $G --train "dotnet $W/bin/cimsim-train.dll" --cimsim "dotnet $W/bin/cimsim.dll" --jobs $(nproc) \
  --deadline-s $(( DEADLINE - ($(date +%s) - T0) )) --hw $H2/default.yaml --recall-models "" --levels "0.01 0.02 0.04" \
  --arms "mu0.001 mu0.1 noise reg resample1 resample400 sigma0.01 sigma0.04 sigma0.025" 2>&1 | tee $OUT/grid.log
for p in $(cat $W/placeholders); do rm -rf $G/$p; done
cd $G && tar cf $OUT/new.tar --exclude='*/adapter_model.safetensors' . && tar cf $OUT/sigma025.tar sigma0.025-s* 2>/dev/null
ls -la $OUT; echo "total $(( $(date +%s) - T0 )) s"
