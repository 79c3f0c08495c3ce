#!/usr/bin/env bash
# Coverage-guided fuzzing of one input reader with afl++ and SharpFuzz for a fixed budget (not run in CI).
# Usage: fuzz/run.sh TARGET [SECONDS]   TARGET: yaml | safetensors | peft-config | noise-profile (default budget 300 s)
# Needs: apt-get install afl++ ; the SharpFuzz instrumenter (installed here as a dotnet tool, version pinned).
# Results replace the previous run's in fuzz/out/TARGET/. Crashes land in fuzz/out/TARGET/default/crashes/; replay them
# with an uninstrumented build (the instrumented one in fuzz/bin only runs under afl-fuzz):
#   dotnet build fuzz/CimSim.Fuzz -c Release -o /tmp/cimsim-replay && dotnet /tmp/cimsim-replay/CimSim.Fuzz.dll TARGET FILE...
# and turn each cause into a regression test (Tests/Hardening/FuzzCrashTests, inputs in Tests/Fixtures/fuzz-crashes).
set -euo pipefail
target=${1:?usage: fuzz/run.sh yaml|safetensors|peft-config|noise-profile [SECONDS]}
seconds=${2:-300}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/fuzz/bin
out=$root/fuzz/out/$target
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }
export PATH=$PATH:$HOME/.dotnet/tools
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
# A fresh build every time: sharpfuzz instruments the assemblies in place.
rm -rf "$bin"
dotnet build "$root/fuzz/CimSim.Fuzz/CimSim.Fuzz.csproj" -c Release -o "$bin" --nologo -v q
for dll in CimSim.Common.dll CimSim.Devices.dll CimSim.Workloads.dll YamlDotNet.dll; do sharpfuzz "$bin/$dll"; done
rm -rf "$out"
mkdir -p "$out"
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
nice -n 10 afl-fuzz -i "$root/fuzz/corpus/$target" -o "$out" -t 10000 -m none -V "$seconds" -- dotnet "$bin/CimSim.Fuzz.dll" "$target"
grep -E "execs_done|run_time|saved_crashes|saved_hangs|corpus_count" "$out/default/fuzzer_stats"
