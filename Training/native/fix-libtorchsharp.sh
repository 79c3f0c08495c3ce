#!/usr/bin/env bash
# Makes TorchSharp-cpu 0.107.0's native glue load on distributions whose libstdc++ predates GCC 13
# (e.g. Debian 12, GCC 12: newest symbol version GLIBCXX_3.4.30).
#
# Why: libLibTorchSharp.so (built with GCC 13) requires the symbol version GLIBCXX_3.4.32 for exactly one
# symbol, std::ios_base_library_init() (_ZSt21ios_base_library_initv). GCC 13 headers reference it from
# <iostream> only to force the standard streams to be initialised; it does no work of its own.
# What (per copy of libLibTorchSharp.so in the build output directory given as $1, never the NuGet cache):
#   1. set VER_FLG_WEAK on the GLIBCXX_3.4.32 entry of .gnu.version_r, so ld.so no longer refuses to load
#      the library when libstdc++ lacks that version (glibc dl-version.c: a weak requirement only warns);
#   2. build libcimsim_ios_init.so next to it (defines the missing function as a constructor of
#      std::ios_base::Init) and add it as DT_NEEDED with patchelf; the library's RUNPATH has $ORIGIN, and
#      an unversioned definition satisfies the versioned reference.
# Does nothing when the system libstdc++ already provides GLIBCXX_3.4.32, or when the copy is patched.
# Needs: readelf (binutils), g++, patchelf (scripts/install-deps.sh installs them). Idempotent.
# Usage: fix-libtorchsharp.sh OUTPUT_DIR   (run by Training/native/FixLibTorchSharp.targets after build)
set -euo pipefail
out="${1:?usage: fix-libtorchsharp.sh OUTPUT_DIR}"
[ "$(uname -s)" = Linux ] || exit 0
stdcxx="$(g++ -print-file-name=libstdc++.so.6 2>/dev/null || true)"
[ -f "$stdcxx" ] || stdcxx="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')"
if [ -n "$stdcxx" ] && grep -qa 'GLIBCXX_3\.4\.32' "$stdcxx"; then exit 0; fi
for tool in readelf g++ patchelf; do
  command -v "$tool" >/dev/null || { echo "fix-libtorchsharp.sh: '$tool' not found; run scripts/install-deps.sh" >&2; exit 1; }
done
shim=libcimsim_ios_init.so
find "$out" -name libLibTorchSharp.so -type f | while read -r lib; do
  dir="$(dirname "$lib")"
  if readelf -d "$lib" | grep -q "\[$shim\]"; then continue; fi
  if ! readelf -V "$lib" | grep -q 'Name: GLIBCXX_3\.4\.32'; then continue; fi
  if [ ! -f "$dir/$shim" ]; then
    src="$(mktemp --suffix=.cpp)"
    cat > "$src" <<'CPP'
#include <ios>
namespace std { void ios_base_library_init() { static ios_base::Init init; } }
CPP
    g++ -shared -fPIC -O2 -o "$dir/$shim" "$src"
    rm -f "$src"
  fi
  # Work on a private copy so that a hard link into the NuGet cache is never modified.
  tmp="$lib.patching"
  cp "$lib" "$tmp"
  # Section file offset of .gnu.version_r, and the offset of the GLIBCXX_3.4.32 Vernaux entry within it.
  sec_off=$((16#$(readelf -SW "$tmp" | awk '$2 == ".gnu.version_r" {print $5} $3 == ".gnu.version_r" {print $6}' | head -1)))
  aux_off=$(( $(readelf -V "$tmp" | awk '/Name: GLIBCXX_3\.4\.32/ {sub(":", "", $1); print $1; exit}') ))
  # Elf64_Vernaux: vna_hash (4 bytes), vna_flags (2 bytes, little-endian); VER_FLG_WEAK = 0x2.
  printf '\x02\x00' | dd of="$tmp" bs=1 seek=$((sec_off + aux_off + 4)) conv=notrunc status=none
  readelf -V "$tmp" | grep -q 'Name: GLIBCXX_3\.4\.32  Flags: WEAK' \
    || { echo "fix-libtorchsharp.sh: could not mark GLIBCXX_3.4.32 weak in $lib" >&2; rm -f "$tmp"; exit 1; }
  patchelf --add-needed "$shim" "$tmp"
  mv -f "$tmp" "$lib"
  echo "fix-libtorchsharp.sh: patched $lib" >&2
done
