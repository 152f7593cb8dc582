// What a kernel implementation sees: plain argument structs (generated from
// the kernel table into kernels.gen.h), host arrays with their lengths, and
// KernelError for bad input. No N-API here: the CPU kernels (native/*.cc) and
// the CUDA ones (native/cuda/) include this and nothing of Node.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace astarpo {

// A host typed array passed by JavaScript (valid for the call only).
template <class T>
struct HostArray {
  T* data;
  size_t length;
};

// Any host ArrayBufferView, by its bytes.
template <class T>
struct HostBytes {
  T* data;
  size_t bytes;
};

// Thrown by a kernel for input it refuses; the binding prefixes the kernel's name.
struct KernelError : std::runtime_error {
  explicit KernelError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace astarpo

#include "kernels.gen.h"
