// Loops that the compiler vectorises well get one clone per instruction set,
// picked by the loader on the running CPU (gemm has hand-written tiles instead).
#pragma once
#define ASTARPO_VECTORIZE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// Elementwise work below this many elements stays on the calling thread:
// waking the other core costs more than it saves.
constexpr long kParallelElements = 1 << 15;
