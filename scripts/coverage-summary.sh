#!/usr/bin/env bash
# Prints line and branch coverage per project from coverlet's Cobertura files (one per test project, as written by
# `dotnet test --collect:"XPlat Code Coverage"`), merged line by line across test projects: a line counts as
# covered when any test project ran it, a branch line by its best condition coverage. A figure to watch, not a gate.
# Usage: scripts/coverage-summary.sh FILE.cobertura.xml...
set -euo pipefail
[ $# -gt 0 ] || { echo "coverage: no Cobertura files (was coverlet.collector restored?)"; exit 0; }
awk '
  /<package / { match($0, /name="[^"]*"/); pkg = substr($0, RSTART + 6, RLENGTH - 7) }
  /<class / { match($0, /filename="[^"]*"/); file = substr($0, RSTART + 10, RLENGTH - 11) }
  /<methods>/ { inm = 1 } /<\/methods>/ { inm = 0 }
  /<line / && !inm {
    match($0, /number="[0-9]+"/); n = substr($0, RSTART + 8, RLENGTH - 9)
    match($0, /hits="[0-9]+"/); h = substr($0, RSTART + 6, RLENGTH - 7) + 0
    key = pkg SUBSEP file SUBSEP n
    pk[key] = pkg
    if (h > 0) hit[key] = 1; else if (!(key in hit)) hit[key] = 0
    if (match($0, /\([0-9]+\/[0-9]+\)/)) {
      split(substr($0, RSTART + 1, RLENGTH - 2), bc, "/")
      if (!(key in bcov) || bc[1] > bcov[key]) bcov[key] = bc[1]
      bval[key] = bc[2]
    }
  }
  END {
    for (k in pk) { p = pk[k]; lv[p]++; lc[p] += hit[k]; if (k in bval) { bv[p] += bval[k]; bcv[p] += bcov[k] } }
    printf "%-22s %18s %18s\n", "coverage (project)", "lines", "branches"
    for (p in lv) names[++np] = p
    for (i = 1; i <= np; i++) for (j = i + 1; j <= np; j++) if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
    for (i = 1; i <= np; i++) {
      p = names[i]; tl += lv[p]; tc += lc[p]; tb += bv[p]; tbc += bcv[p]
      printf "%-22s %6.1f%% %5d/%-5d %6.1f%% %5d/%-5d\n", p, 100 * lc[p] / lv[p], lc[p], lv[p], bv[p] ? 100 * bcv[p] / bv[p] : 100, bcv[p], bv[p]
    }
    printf "%-22s %6.1f%% %5d/%-5d %6.1f%% %5d/%-5d\n", "total", 100 * tc / tl, tc, tl, tb ? 100 * tbc / tb : 100, tbc, tb
  }' "$@"
