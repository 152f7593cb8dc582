#!/usr/bin/env bash
# What a GPU machine runs, from the repository root, with .gpu-carry/ made by
# scripts/gpu-carry.sh beside it: builds the CUDA addon, runs the CUDA tests
# (every op against the CPU), a short training run on each device, and the
# PyTorch peer on the GPU, and writes the
# logs under $OUT (default gpu-results/). Each step's failure is logged and
# the next still runs, so one run gives every answer it can.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
carry=.gpu-carry
mkdir -p "$out"
tools=$(mktemp -d)
tar -C "$tools" -xJf "$carry/node.tar.xz"
export PATH="$tools/bin:$PATH"
[ -d node_modules ] || tar -xJf "$carry/node_modules.tar.xz"
mkdir -p build/Release && cp "$carry/astarpo.node" build/Release/

# cuBLAS comes with PyTorch's nvidia-cublas wheel there.
cublas=$(python3 -c 'import glob, os, nvidia; print(" ".join(sorted({os.path.dirname(p) for d in nvidia.__path__ for p in glob.glob(d + "/**/libcublas.so*", recursive=True)})))' 2>/dev/null)
for dir in $cublas; do export LD_LIBRARY_PATH="$dir:${LD_LIBRARY_PATH:-}"; done

{ date -u; nvidia-smi; node -v; nvcc --version | tail -1; echo "cuBLAS folders: $cublas"; } >"$out/machine.txt" 2>&1
step() {  # step NAME COMMAND...: runs it, logging to $out/NAME.log, and records its status
  local name=$1; shift
  local start=$SECONDS
  "$@" >"$out/$name.log" 2>&1
  echo "$name: exit $? in $((SECONDS - start)) s" | tee -a "$out/summary.txt"
}
step build node scripts/build-cuda.mjs
step device node --import tsx -e 'import("./src/tensor/cuda.ts").then((m) => console.log(JSON.stringify(m.cudaDevice())))'
step cuda-tests node scripts/test.mjs test/tensor/cuda test/tensor/kernel-table
# A short A*-PO run of the shipped model on each device: the metrics side by side say whether the GPU trains as the CPU does.
for device in cuda cpu; do
  step "train-$device" node --import tsx --import ./test/cli/from-sources.mjs bin/astarpo.js train --model builtin:arithmetic --knob digits=1 --knob steps=2 --device "$device" --max-steps 4 --eval-every 2 \
    --output-dir "$out/runs" --name "astar-$device" --plain
done
peer=$(ls -d shared/bench "$carry/shared/bench" ../shared/bench 2>/dev/null | head -1)
if [ -n "$peer" ]; then
  step torch-peer-1.5b python3 "$peer/torch_peer.py" "$peer/configs/qwen2.5-1.5b-shape.json" --device cuda --dtype bfloat16
else
  echo "torch-peer: skipped, no shared/bench carried" | tee -a "$out/summary.txt"
fi
