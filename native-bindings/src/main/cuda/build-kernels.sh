#!/usr/bin/env bash
# Compiles src/main/cuda/*.cu into one fatbin resource (sm_80, sm_86, sm_89, sm_90 + PTX compute_90 for newer
# GPUs), run by Maven in generate-resources (native-bindings/pom.xml). Without nvcc it says so and skips:
# the jar then has no kernels and the CUDA backend reports that when asked to start.
# Usage: build-kernels.sh <source dir> <output fatbin>
set -euo pipefail
src_dir=$1
out=$2
nvcc=""
for c in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc || true)"; do
  if [[ -n "$c" && -x "$c" ]]; then nvcc=$c; break; fi
done
if [[ -z "$nvcc" ]]; then
  echo "[sequoia] nvcc not found (CUDA_HOME, /usr/local/cuda/bin, PATH): skipping the CUDA kernels; the jar will have no fatbin"
  exit 0
fi
mkdir -p "$(dirname "$out")"
newest=$(ls -t "$src_dir"/*.cu "$0" | head -1)
if [[ -f "$out" && "$out" -nt "$newest" ]]; then
  echo "[sequoia] CUDA kernels up to date: $out"
  exit 0
fi
start=$(date +%s.%N)
"$nvcc" -fatbin -O3 -std=c++17 \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 \
  -gencode arch=compute_89,code=sm_89 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$out.tmp" "$src_dir"/sequoia_kernels.cu
mv "$out.tmp" "$out"
end=$(date +%s.%N)
printf '[sequoia] nvcc %s built %s (%d bytes) in %.1f s\n' "$("$nvcc" --version | tail -1)" "$out" "$(stat -c %s "$out")" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')"
