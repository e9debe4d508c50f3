// Shared helpers of the CUDA backend: error mapping to hp_status, RAII device buffers, launch geometry.
#pragma once

#include "highperf.h"
#include "status.hpp"
#include "validate.hpp"

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace hp {
namespace cuda {

inline hp_status cuda_fail(cudaError_t e, const char * what) {
    return fail(HP_ERR_CUDA, std::string(what) + ": " + cudaGetErrorString(e));
}

#define HP_CUDA(call)                                             \
    do {                                                          \
        const cudaError_t hp_cuda_e_ = (call);                    \
        if (hp_cuda_e_ != cudaSuccess) return ::hp::cuda::cuda_fail(hp_cuda_e_, #call); \
    } while (0)

// A device allocation freed on scope exit (also on early error returns).
template <typename T> struct DeviceBuffer {
    T * ptr = nullptr;
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer & operator=(const DeviceBuffer &) = delete;
    ~DeviceBuffer() {
        if (ptr != nullptr) cudaFree(ptr);
    }
    // Allocates n elements and, when src is given, copies them from the host. n == 0 or a null src with copy
    // requested leaves ptr null (kernels never read optional null arrays).
    cudaError_t upload(const T * src, int64_t n) {
        if (src == nullptr || n <= 0) return cudaSuccess;
        cudaError_t e = cudaMalloc(&ptr, static_cast<size_t>(n) * sizeof(T));
        if (e != cudaSuccess) return e;
        return cudaMemcpy(ptr, src, static_cast<size_t>(n) * sizeof(T), cudaMemcpyHostToDevice);
    }
    cudaError_t alloc(int64_t n) {
        if (n <= 0) return cudaSuccess;
        return cudaMalloc(&ptr, static_cast<size_t>(n) * sizeof(T));
    }
    cudaError_t download(T * dst, int64_t n) const {
        if (dst == nullptr || n <= 0) return cudaSuccess;
        return cudaMemcpy(dst, ptr, static_cast<size_t>(n) * sizeof(T), cudaMemcpyDeviceToHost);
    }
};

// hp_cuda_* entry points first check that a device is there, so a CPU-only machine gets UNSUPPORTED, not a crash.
inline hp_status require_device() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0)
        return fail(HP_ERR_UNSUPPORTED, "no usable CUDA device (hp_cuda_available() == 0)");
    return HP_OK;
}

inline unsigned blocks_for(int64_t n, int threads) {
    const int64_t b = (n + threads - 1) / threads;
    return static_cast<unsigned>(b < 65535 * 32 ? (b > 0 ? b : 1) : 65535 * 32);
}

}  // namespace cuda
}  // namespace hp
