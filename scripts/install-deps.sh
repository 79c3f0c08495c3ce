#!/usr/bin/env bash
# Installs the system packages CimSim needs, only when missing (Debian/Ubuntu; needs root or sudo):
#   libopenblas0       OpenBLAS for the functional GEMMs (a managed fallback runs without it, slower)
#   fonts-dejavu-core  the font ScottPlot draws plot text with (without it, text silently disappears)
#   patchelf, g++      used by Training/native/fix-libtorchsharp.sh on distributions with an old libstdc++
#   slurm-wlm, munge   a single-node Slurm for the sweep job-array integration test (scripts/slurm/local-cluster.sh);
#                      only the binaries are used, no system service is configured or started
#   chromium           headless load check of the HTML reports (Tests/Simulator/Reports/ReportHtmlTests; skipped without it)
# then restores the .NET packages.
set -euo pipefail
need=()
for p in libopenblas0 fonts-dejavu-core patchelf g++ slurm-wlm munge chromium; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing: ${need[*]}" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
  else
    echo "warning: cannot install ${need[*]} (no apt-get); install them with your package manager" >&2
  fi
fi
cd "$(dirname "$0")/.."
dotnet restore CimSim.sln >&2
