// The checks where JavaScript meets a kernel. binding.gen.cc (generated from
// the kernel table) reads each argument through one of these readers; every
// failure throws a JavaScript error naming the kernel, the argument and its
// position, and stops the call before the kernel runs. Only this file and the
// generated binding know N-API: the kernels take plain structs.
#pragma once
#include <node_api.h>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include "kernels.h"

namespace astarpo::binding {

constexpr size_t kMaxArgs = 24;
constexpr double kMaxAddress = 9007199254740992.0;  // 2^53: device addresses are JS numbers

class Call {
 public:
  Call(napi_env env, napi_callback_info info, const char* kernel, size_t arity, const char* argNames)
      : env_(env), kernel_(kernel) {
    size_t count = kMaxArgs;
    napi_get_cb_info(env, info, &count, argv_, nullptr, nullptr);
    if (count != arity) {
      fail(napi_throw_type_error, "expected %zu argument%s (%s), got %zu", arity, arity == 1 ? "" : "s", argNames, count);
    }
  }

  bool ok() const { return ok_; }

  template <class T>
  bool ptr(size_t i, const char* name, bool optional, T*& out) {
    double v;
    if (!number(i, name, "an address", &v)) return false;
    if (!(v >= 0 && v < kMaxAddress) || v != std::floor(v)) return range(i, name, "must be an address (a whole number >= 0), got %g", v);
    if (v == 0 && !optional) return range(i, name, "is a null address", 0.0);
    out = reinterpret_cast<T*>(static_cast<uintptr_t>(v));
    return true;
  }

  bool integer(size_t i, const char* name, int64_t min, int64_t& out) {
    double v;
    if (!number(i, name, "an integer", &v)) return false;
    if (!(v >= double(min) && v < kMaxAddress) || v != std::floor(v)) {
      char what[64];
      std::snprintf(what, sizeof what, "must be an integer >= %lld, got %%g", static_cast<long long>(min));
      return range(i, name, what, v);
    }
    out = static_cast<int64_t>(v);
    return true;
  }

  bool f32(size_t i, const char* name, float& out) {
    double v;
    if (!number(i, name, "a number", &v)) return false;
    out = static_cast<float>(v);
    return true;
  }

  bool f64(size_t i, const char* name, double& out) { return number(i, name, "a number", &out); }

  bool flag(size_t i, const char* name, bool& out) {
    double v;
    if (!number(i, name, "0 or 1", &v)) return false;
    if (v != 0 && v != 1) return range(i, name, "must be 0 or 1, got %g", v);
    out = v == 1;
    return true;
  }

  // An enum code in [0, count); `members` lists them for the message.
  template <class E>
  bool enumValue(size_t i, const char* name, const char* type, const char* members, int count, E& out) {
    double v;
    if (!number(i, name, type, &v)) return false;
    if (!(v >= 0 && v < count) || v != std::floor(v)) {
      std::string what = std::string("must be a ") + type + " (" + members + "), got %g";
      return range(i, name, what.c_str(), v);
    }
    out = static_cast<E>(static_cast<int>(v));
    return true;
  }

  // A typed array of the given element type; an optional one may be the number 0 (then data is null).
  template <class T>
  bool array(size_t i, const char* name, napi_typedarray_type want, const char* typeName, bool optional, HostArray<T>& out) {
    bool typed = false;
    napi_is_typedarray(env_, argv_[i], &typed);
    if (typed) {
      napi_typedarray_type type;
      size_t length;
      void* data;
      napi_get_typedarray_info(env_, argv_[i], &type, &length, &data, nullptr, nullptr);
      if (type == want) {
        out = HostArray<T>{static_cast<T*>(data), length};
        return true;
      }
    } else if (optional) {
      double v;
      if (napi_get_value_double(env_, argv_[i], &v) == napi_ok && v == 0) {
        out = HostArray<T>{nullptr, 0};
        return true;
      }
    }
    return wrongType(i, name, optional ? (std::string("an ") + typeName + " or 0").c_str() : (std::string("an ") + typeName).c_str());
  }

  // A host array of `length` entries that must hold at least `need`: the value of argument `needName`.
  bool holds(size_t i, const char* name, size_t length, int64_t need, const char* needName) {
    if (length >= static_cast<uint64_t>(need)) return true;
    const std::string what = std::string("holds %g entries, fewer than ") + needName + " = " + std::to_string(need);
    return range(i, name, what.c_str(), static_cast<double>(length));
  }

  // Any ArrayBufferView (typed array, Buffer or DataView), by its bytes.
  template <class T>
  bool bytes(size_t i, const char* name, HostBytes<T>& out) {
    bool is = false;
    void* data = nullptr;
    size_t length = 0;
    napi_is_typedarray(env_, argv_[i], &is);
    if (is) {
      napi_typedarray_type type;
      napi_get_typedarray_info(env_, argv_[i], &type, &length, &data, nullptr, nullptr);
      length *= elementBytes(type);
    } else {
      napi_is_dataview(env_, argv_[i], &is);
      if (is) napi_get_dataview_info(env_, argv_[i], &length, &data, nullptr, nullptr);
    }
    if (!is) return wrongType(i, name, "a typed array or DataView");
    out = HostBytes<T>{static_cast<T*>(data), length};
    return true;
  }

  bool string(size_t i, const char* name, std::string& out) {
    char buffer[256];
    size_t length = 0;
    if (napi_get_value_string_utf8(env_, argv_[i], buffer, sizeof buffer, &length) != napi_ok) return wrongType(i, name, "a string");
    out.assign(buffer, length);
    return true;
  }

  // Runs the kernel; a KernelError (or any C++ exception) becomes a JavaScript Error prefixed by the kernel's name.
  template <class Fn>
  napi_value run(Fn&& fn) {
    try {
      using R = decltype(fn());
      if constexpr (std::is_void_v<R>) {
        fn();
        return nullptr;
      } else {
        return toJs(fn());
      }
    } catch (const std::bad_alloc&) {
      fail(napi_throw_range_error, "out of memory");
    } catch (const std::exception& error) {
      fail(napi_throw_error, "%s", error.what());
    }
    return nullptr;
  }

 private:
  static size_t elementBytes(napi_typedarray_type type) {
    switch (type) {
      case napi_int16_array: case napi_uint16_array: return 2;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
      default: return 1;
    }
  }

  bool number(size_t i, const char* name, const char* expected, double* out) {
    if (napi_get_value_double(env_, argv_[i], out) == napi_ok) return true;
    return wrongType(i, name, expected);
  }

  bool wrongType(size_t i, const char* name, const char* expected) {
    napi_valuetype type = napi_undefined;
    napi_typeof(env_, argv_[i], &type);
    static const char* const kTypeNames[] = {"undefined", "null", "boolean", "number", "string", "symbol", "object", "function", "external", "bigint"};
    const char* got = type >= 0 && type < 10 ? kTypeNames[type] : "something else";
    bool typed = false;
    napi_is_typedarray(env_, argv_[i], &typed);
    if (typed) got = "another typed array";
    fail(napi_throw_type_error, "argument %s (#%zu) must be %s, got %s", name, i + 1, expected, got);
    return false;
  }

  bool range(size_t i, const char* name, const char* what, double v) {
    std::string format = std::string("argument %s (#%zu) ") + what;
    char message[320];
    std::snprintf(message, sizeof message, format.c_str(), name, i + 1, v);
    fail(napi_throw_range_error, "%s", message);
    return false;
  }

  template <class... A>
  void fail(napi_status (*thrower)(napi_env, const char*, const char*), const char* format, A... args) {
    char detail[400], message[480];
    std::snprintf(detail, sizeof detail, format, args...);
    std::snprintf(message, sizeof message, "%s: %s", kernel_, detail);
    if (ok_) thrower(env_, nullptr, message);
    ok_ = false;
  }

  napi_value toJs(double v) {
    napi_value out;
    napi_create_double(env_, v, &out);
    return out;
  }
  napi_value toJs(int64_t v) { return toJs(static_cast<double>(v)); }
  napi_value toJs(bool v) { return toJs(v ? 1.0 : 0.0); }
  napi_value toJs(void* p) { return toJs(static_cast<double>(reinterpret_cast<uintptr_t>(p))); }
  napi_value toJs(const std::string& s) {
    napi_value out;
    napi_create_string_utf8(env_, s.data(), s.size(), &out);
    return out;
  }

  napi_env env_;
  const char* kernel_;
  napi_value argv_[kMaxArgs];
  bool ok_ = true;
};

}  // namespace astarpo::binding
