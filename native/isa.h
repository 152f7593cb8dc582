// Instruction sets a CPU kernel may dispatch on, chosen once at load (or
// forced by ASTARPO_ISA / setIsa for testing the slower paths on a fast machine).
#pragma once

namespace astarpo {

enum class Isa : int { Portable = 0, Avx2 = 1, Avx512 = 2 };
Isa isa();

}  // namespace astarpo
