// One N-API addon for all native work. Each kernel file registers its exported
// functions with ASTARPO_EXPORT, so adding an op never touches addon.cc.
#pragma once
#include <node_api.h>
#include <cstdint>
#include <cstddef>

namespace astarpo {

using NativeFn = napi_value (*)(napi_env, napi_callback_info);

struct Registration {
  Registration(const char* name, NativeFn fn);
};

// Instruction sets a kernel may dispatch on, chosen once at load (or forced by
// ASTARPO_ISA / setIsa for testing the slower paths on a fast machine).
enum class Isa : int { Portable = 0, Avx2 = 1, Avx512 = 2 };
Isa isa();

// Arguments of a native call. All numeric arguments travel as JS numbers:
// device pointers are addresses below 2^53, so they round-trip exactly.
struct Args {
  static constexpr size_t kMax = 24;
  napi_env env;
  size_t count = kMax;
  napi_value raw[kMax];
  Args(napi_env env, napi_callback_info info);
  double num(size_t i) const;
  int64_t i64(size_t i) const { return static_cast<int64_t>(num(i)); }
  template <typename T> T* ptr(size_t i) const {
    return reinterpret_cast<T*>(static_cast<uintptr_t>(num(i)));
  }
  // A typed array's data pointer and its length in bytes.
  void* typed(size_t i, size_t* bytes) const;
};

napi_value undefined(napi_env env);
napi_value number(napi_env env, double v);
void throwError(napi_env env, const char* message);

}  // namespace astarpo

#define ASTARPO_EXPORT(name)                                                   \
  static napi_value name(napi_env, napi_callback_info);                        \
  static ::astarpo::Registration registration_##name(#name, name);             \
  static napi_value name(napi_env env, napi_callback_info info)
