// The instruction set the CPU kernels use, detected at load; the kernels that
// report it and force a slower one, and the empty call the overhead benchmark
// times.
#include "isa.h"
#include <cstdlib>
#include <cstring>
#include "kernels.h"

namespace astarpo {
namespace {

Isa detectIsa() {
  __builtin_cpu_init();
  Isa best = Isa::Portable;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    best = Isa::Avx512;
  const char* forced = std::getenv("ASTARPO_ISA");
  if (forced) {
    Isa want = best;
    if (!std::strcmp(forced, "portable")) want = Isa::Portable;
    else if (!std::strcmp(forced, "avx2")) want = Isa::Avx2;
    else if (!std::strcmp(forced, "avx512")) want = Isa::Avx512;
    if (static_cast<int>(want) < static_cast<int>(best)) best = want;
  }
  return best;
}

const Isa g_best = detectIsa();
Isa g_isa = g_best;

}  // namespace

Isa isa() { return g_isa; }

std::string kernels::isaName() {
  return g_isa == Isa::Avx512 ? "avx512" : g_isa == Isa::Avx2 ? "avx2" : "portable";
}

void kernels::setIsa(const SetIsaArgs& a) {
  const Isa want = a.isa == "avx512" ? Isa::Avx512 : a.isa == "avx2" ? Isa::Avx2
                 : a.isa == "portable" ? Isa::Portable : static_cast<Isa>(-1);
  if (static_cast<int>(want) < 0) throw KernelError("expected avx512, avx2 or portable");
  if (static_cast<int>(want) > static_cast<int>(g_best)) throw KernelError("this CPU lacks that instruction set");
  g_isa = want;
}

void kernels::noop() {}

}  // namespace astarpo
