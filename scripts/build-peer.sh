#!/usr/bin/env bash
# Build llama.cpp's llama-server, llama-bench and llama-batched-bench ONCE into
# .cache/llama.cpp/ (gitignored), from the llama.cpp source that node-llama-cpp
# ships inside its package (llama/gitRelease.bundle, a git bundle).
#
# Usage: scripts/build-peer.sh [--force]
#   Prints the bin directory on stdout's last line. Skips the build when all
#   three binaries already exist (pass --force to rebuild).
# Env: PAGODA_PEER_JOBS (default 2) sets cmake's -j.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${repo_root}/.cache/llama.cpp"
src_dir="${cache_dir}/src"
build_dir="${cache_dir}/build"
bin_dir="${build_dir}/bin"
bundle="${repo_root}/node_modules/node-llama-cpp/llama/gitRelease.bundle"
jobs="${PAGODA_PEER_JOBS:-2}"
targets=(llama-server llama-bench llama-batched-bench)

have_all() {
  for t in "${targets[@]}"; do [[ -x "${bin_dir}/${t}" ]] || return 1; done
}

if [[ "${1:-}" != "--force" ]] && have_all; then
  echo "build-peer: binaries already built in ${bin_dir}" >&2
  echo "${bin_dir}"
  exit 0
fi

[[ -f "${bundle}" ]] || { echo "build-peer: missing ${bundle} (run npm install)" >&2; exit 1; }
mkdir -p "${cache_dir}"

if [[ ! -f "${src_dir}/CMakeLists.txt" ]]; then
  echo "build-peer: cloning ${bundle} -> ${src_dir}" >&2
  rm -rf "${src_dir}"
  git clone --quiet "${bundle}" "${src_dir}"
fi
echo "build-peer: llama.cpp source at commit $(git -C "${src_dir}" rev-parse --short HEAD)" >&2

# AMX off: on a Xeon VM that reports AMX, llama.cpp built here runs its AMX
# matmuls and crashes on the first one (a -march=native build faults on
# ldtilecfg; the sapphirerapids variant's exact flags die of SIGILL on
# tileloadd), while node-llama-cpp's prebuilt sapphirerapids variant runs AMX
# fine there. A fair comparison on such a host then needs pagoda without AMX
# too (BENCHMARKS.md, 2026-12-03 08:51, says how).
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cmake -S "${src_dir}" -B "${build_dir}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="${no_amx}" -DCMAKE_CXX_FLAGS="${no_amx}" \
  -DGGML_NATIVE=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_OPENSSL=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >&2

start=$(date +%s)
cmake --build "${build_dir}" --config Release -j"${jobs}" --target "${targets[@]}" >&2
echo "build-peer: built in $(( $(date +%s) - start )) s" >&2

have_all || { echo "build-peer: build finished but binaries are missing in ${bin_dir}" >&2; exit 1; }
echo "${bin_dir}"
