#!/usr/bin/env bash
# The GPU run of issue 7, in one device call (< 8 minutes): prints driver and GPU, runs the GPU tests with
# SEQUOIA_REQUIRE_CUDA=1 (a skip or a missing test fails), then GpuCheck (exits non-zero on any thrown section or
# failed comparison): pinned vs pageable H2D bandwidth, CUDA-vs-CPU logits
# on the golden model (resident and streamed), both tree-attention kernels side by side, one pass for several sessions
# vs each alone (issue 18: logits, greedy tokens, aggregate tokens/s for 1/2/4/8 sessions, a streamed 7B-shape
# shared pass vs passes alone), and streamed 70B-shaped
# synthetic models (one larger than free GPU memory, one on a 48 GiB card beside a 7B draft): achieved PCIe GB/s
# vs pinned peak, event-timed stalls, t(n), AR s/token, the optimizer's predicted speedup. JSON to $OUT.
# Results so far: experiments/device/RESULTS.md.
# Needs experiments/device/dist.tar.xz (or dist/) from prepare.sh, carried with the call. GPU_CHECK_SECTIONS=a,b limits GpuCheck to some
# sections (golden_logits, attention_kernels, shared_pass, stream_bench) for a rerun; GPU_TESTS_TIMEOUT / GPU_CHECK_TIMEOUT bound each part.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dist=$root/experiments/device/dist
out=${OUT:-/tmp/gpu-check-out}; mkdir -p "$out"
java=$dist/jdk/bin/java
# prepare.sh leaves dist/ packed as dist.tar.xz (the form a device call carries)
[[ -x $java || ! -f $dist.tar.xz ]] || xz -dc "$dist.tar.xz" | tar -C "$root/experiments/device" -xf -
[[ -x $java ]] || { echo "gpu-check: $dist/jdk missing: run experiments/device/prepare.sh first and carry experiments/device/dist" >&2; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.free,pcie.link.gen.current,pcie.link.width.current --format=csv | tee "$out/nvidia-smi.csv"
# cuBLAS: system library, or the nvidia-cublas wheel of the image's Python.
if [[ -z "${SEQUOIA_LIBCUBLAS:-}" ]]; then
  lib=$(ls /usr/local/cuda/lib64/libcublas.so.* /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu13/lib/libcublas.so.* \
        /opt/torch/.venv/lib/python3*/site-packages/nvidia/cublas/lib/libcublas.so.* 2>/dev/null | head -1)
  [[ -z "$lib" ]] && lib=$(find / -name 'libcublas.so.1[23]*' -not -path '/proc/*' 2>/dev/null | head -1)
  export SEQUOIA_LIBCUBLAS=$lib
  export LD_LIBRARY_PATH=$(dirname "$lib"):${LD_LIBRARY_PATH:-}
fi
echo "cuBLAS: ${SEQUOIA_LIBCUBLAS:-none found}"
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g"
cp="$dist/classes:$dist/lib/*:$root/engine/src/test/resources" # test fixtures travel with the tree
export SEQUOIA_REQUIRE_CUDA=1
echo "== GPU tests"
# package=count: how many tests each package must pass (BindingShapeTest excluded): a lost class fails the run
timeout ${GPU_TESTS_TIMEOUT:-150} "$java" $flags -cp "$cp" GpuTestRunner dev.sequoia.cuda=20 dev.sequoia.engine.backend.cuda=87 2>&1 | tee "$out/gpu-tests.txt"
tests_rc=${PIPESTATUS[0]}
echo "== GpuCheck"
timeout ${GPU_CHECK_TIMEOUT:-300} "$java" $flags -cp "$cp" dev.sequoia.engine.bench.device.GpuCheck "$out/gpu-check.json" "$dist/models" 2>&1 \
  | tee "$out/gpu-check.log" | tail -80
check_rc=${PIPESTATUS[0]}
echo "== planted 70B end to end (issue 16)"
bash "$root/experiments/device/planted-e2e.sh" 2>&1 | tee "$out/planted-e2e.log" | tail -40
planted_rc=${PIPESTATUS[0]}
echo "gpu-check: tests rc=$tests_rc, check rc=$check_rc, planted rc=$planted_rc (3: skipped, no disk), report $out/gpu-check.json"
exit $(( tests_rc != 0 || check_rc != 0 || (planted_rc != 0 && planted_rc != 3) ))
