#include "registry.h"
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace astarpo {

static std::vector<std::pair<const char*, NativeFn>>& registry() {
  static std::vector<std::pair<const char*, NativeFn>> entries;
  return entries;
}

Registration::Registration(const char* name, NativeFn fn) { registry().emplace_back(name, fn); }

static Isa detectIsa() {
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

static Isa g_best = detectIsa();
static Isa g_isa = g_best;
Isa isa() { return g_isa; }

Args::Args(napi_env e, napi_callback_info info) : env(e) {
  napi_get_cb_info(env, info, &count, raw, nullptr, nullptr);
}

double Args::num(size_t i) const {
  double v = 0;
  if (i < count) napi_get_value_double(env, raw[i], &v);
  return v;
}

void* Args::typed(size_t i, size_t* bytes) const {
  void* data = nullptr;
  *bytes = 0;
  if (i >= count) return nullptr;
  bool isTyped = false;
  napi_is_typedarray(env, raw[i], &isTyped);
  if (isTyped) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value buffer;
    napi_get_typedarray_info(env, raw[i], &type, &length, &data, &buffer, &offset);
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *bytes = length * elem;
    return data;
  }
  napi_get_buffer_info(env, raw[i], &data, bytes);
  return data;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

void throwError(napi_env env, const char* message) { napi_throw_error(env, nullptr, message); }

static const char* isaName(Isa i) {
  return i == Isa::Avx512 ? "avx512" : i == Isa::Avx2 ? "avx2" : "portable";
}

}  // namespace astarpo

using namespace astarpo;

// isa() -> name of the instruction set the kernels use now.
ASTARPO_EXPORT(isaName) {
  napi_value s;
  napi_create_string_utf8(env, astarpo::isaName(g_isa), NAPI_AUTO_LENGTH, &s);
  return s;
}

// setIsa(name): use a slower path (for tests); asking for more than the CPU has is an error.
ASTARPO_EXPORT(setIsa) {
  Args a(env, info);
  char buf[32] = {0};
  size_t len = 0;
  napi_get_value_string_utf8(env, a.raw[0], buf, sizeof buf, &len);
  Isa want = !std::strcmp(buf, "avx512") ? Isa::Avx512 : !std::strcmp(buf, "avx2") ? Isa::Avx2
           : !std::strcmp(buf, "portable") ? Isa::Portable : static_cast<Isa>(-1);
  if (static_cast<int>(want) < 0) { throwError(env, "setIsa: expected avx512, avx2 or portable"); return nullptr; }
  if (static_cast<int>(want) > static_cast<int>(g_best)) { throwError(env, "setIsa: this CPU lacks that instruction set"); return nullptr; }
  g_isa = want;
  return undefined(env);
}

// noop(): the floor of a JS -> native call, for the overhead benchmark.
ASTARPO_EXPORT(noop) {
  Args a(env, info);
  (void)a;
  return undefined(env);
}

static napi_value Init(napi_env env, napi_value exports) {
  for (auto& [name, fn] : registry()) {
    napi_value f;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
    napi_set_named_property(env, exports, name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
