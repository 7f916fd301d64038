#!/usr/bin/env bash
# Issue 16 (5): the planted 70B-shape target end to end on CUDA, run by gpu-check.sh after the GPU tests (or alone,
# with the same dist). The target is a 70B-shaped model whose function is stories260K (`synthetic --plant`), the
# draft the real stories260K draft; `generate --backend cuda` runs it autoregressively and speculatively under each
# device budget. Prints and saves one JSON line per run to $OUT/planted-*.json.
# Knobs: PLANT_SHAPE (llama2-70b), PLANT_TYPE (F16; Q8_0, Q4_K_M once written), PLANT_DIR (where the file goes,
# default /tmp), PLANT_BUDGETS ("48GiB 24GiB"), PLANT_TREE (auto), PLANT_TOKENS (32), PLANTED_TIMEOUT (s per step).
# A file that does not fit the disk is reported and skipped (exit 3): a 70B F16 file is ~138 GB, Q8_0 ~73 GB,
# Q4_K_M ~42 GB; the H200 machine has 64 GiB of disk.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dist=$root/experiments/device/dist
out=${OUT:-/tmp/gpu-check-out}; mkdir -p "$out"
java=$dist/jdk/bin/java
[[ -x $java ]] || { echo "planted-e2e: $dist/jdk missing: run experiments/device/prepare.sh first" >&2; exit 2; }
models=$dist/models
shape=${PLANT_SHAPE:-llama2-70b}; type=${PLANT_TYPE:-F16}; tree=${PLANT_TREE:-auto}; tokens=${PLANT_TOKENS:-32}
dir=${PLANT_DIR:-/tmp}; file=$dir/planted-$shape-$type.gguf; limit=${PLANTED_TIMEOUT:-240}
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g"
cp="$dist/classes:$dist/lib/*"
sequoia() { timeout "$limit" "$java" $flags -cp "$cp" dev.sequoia.engine.cli.Main "$@"; }

case $type in F16) bpw=16 ;; Q8_0) bpw=8.5 ;; Q4_K_M) bpw=4.85 ;; *) bpw=16 ;; esac
need_gb=$(awk -v b="$bpw" 'BEGIN { printf "%d", 69e9 * b / 8 / 1e9 + 1 }')
free_gb=$(df -BG --output=avail "$dir" | tail -1 | tr -dc 0-9)
echo "planted-e2e: $shape $type needs ~${need_gb} GB in $dir, ${free_gb} GB free"
if (( free_gb < need_gb )); then
  echo "planted-e2e: SKIPPED: the $type file does not fit this machine's disk (set PLANT_TYPE/PLANT_DIR)" | tee "$out/planted-skipped.txt"
  exit 3
fi
[[ -f $file ]] || sequoia synthetic --shape "$shape" --type "$type" --plant "$models/stories260K.bin" --out "$file" \
  || { echo "planted-e2e: synthetic --plant failed" >&2; exit 1; }
rc=0
for budget in ${PLANT_BUDGETS:-48GiB 24GiB}; do
  echo "== planted $shape $type, device budget $budget: autoregressive"
  sequoia generate --model "$file" --tokenizer "$models/tok512.bin" --backend cuda --memory-budget "$budget" \
    -p "Once upon a time" -n "$tokens" --json | tee "$out/planted-ar-$budget.json" || rc=1
  echo "== planted $shape $type, device budget $budget: speculative, --tree $tree"
  sequoia generate --model "$file" --tokenizer "$models/tok512.bin" --draft "$models/draft-stories260K-d32.bin" \
    --tree "$tree" --backend cuda --memory-budget "$budget" -p "Once upon a time" -n "$tokens" --json \
    | tee "$out/planted-spec-$budget.json" || rc=1
done
exit $rc
