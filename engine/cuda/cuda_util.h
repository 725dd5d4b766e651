// Small RAII owners and error checks for the CUDA backend: device buffers, a stream, a cuBLAS handle, and the
// host-side bf16 conversions. Plain C++ (no kernels), so .cpp files and .cu files both include it.
//
// Errors: check() turns a failed CUDA or cuBLAS call into m1::cuda::cuda_error whose message names the call and the
// runtime's explanation. Kernel wrappers (the .cuh files) never throw: they return the launch's cudaError_t, and the
// caller checks it.
// Ownership: each owner frees its resource in its destructor; owners are move-only.
// Thread-safety: an owner is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace m1::cuda {

using bf16 = __nv_bfloat16;

struct cuda_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear a non-sticky error so later calls start clean
        throw cuda_error(std::string("CUDA: ") + what + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) +
                         ")");
    }
}

inline void check(cublasStatus_t s, const char* what) {
    if (s != CUBLAS_STATUS_SUCCESS)
        throw cuda_error(std::string("cuBLAS: ") + what + ": " + cublasGetStatusName(s) + " (" +
                         cublasGetStatusString(s) + ")");
}

// Round-to-nearest-even fp32 -> bf16 bits (NaN stays NaN), and back. Host side, bit-exact with __float2bfloat16.
inline uint16_t float_to_bf16_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

inline float bf16_bits_to_float(uint16_t b) {
    const uint32_t u = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float round_to_bf16(float f) {
    return bf16_bits_to_float(float_to_bf16_bits(f));
}

// Blocks of `threads` for an elementwise kernel over `count` items with a grid-stride loop: enough to cover them,
// capped so that a huge count does not make a huge grid (the loop covers the rest).
inline unsigned grid_stride_blocks(int64_t count, int threads) {
    const int64_t b = (count + threads - 1) / threads;
    return unsigned(b < 65535 * 16 ? b : 65535 * 16);
}

// Whether ptr is a multiple of `bytes` (a power of two): the vector loads of 8 or 16 bytes need it.
inline bool aligned(const void* ptr, uintptr_t bytes) {
    return (reinterpret_cast<uintptr_t>(ptr) & (bytes - 1)) == 0;
}

// A device allocation of `count` elements of T (uninitialised). reserve() grows without keeping the contents.
template <class T>
class device_buffer {
public:
    device_buffer() = default;
    explicit device_buffer(size_t count) { reserve(count); }
    ~device_buffer() { release(); }
    device_buffer(device_buffer&& o) noexcept
        : m_ptr(std::exchange(o.m_ptr, nullptr)), m_count(std::exchange(o.m_count, 0)) {}
    device_buffer& operator=(device_buffer&& o) noexcept {
        if (this != &o) {
            release();
            m_ptr = std::exchange(o.m_ptr, nullptr);
            m_count = std::exchange(o.m_count, 0);
        }
        return *this;
    }
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;

    // Makes room for at least `count` elements; the old contents are lost when it reallocates.
    void reserve(size_t count) {
        if (count <= m_count) return;
        release();
        void* p = nullptr;
        check(cudaMalloc(&p, count * sizeof(T)), "cudaMalloc");
        m_ptr = static_cast<T*>(p);
        m_count = count;
    }
    void release() {
        if (m_ptr) cudaFree(m_ptr);
        m_ptr = nullptr;
        m_count = 0;
    }
    T* data() const { return m_ptr; }
    size_t size() const { return m_count; }
    size_t bytes() const { return m_count * sizeof(T); }

    // Returns once the bytes are in device memory. From pageable memory cudaMemcpy alone may return while its DMA
    // is still in flight, ordered only before later work of the legacy default stream: a kernel launched right after
    // on one of our non-blocking streams could read the old bytes (tst_gpu_moe's grouping check read stale expert
    // ids once, session 7). Waiting for the default stream closes that.
    void upload(const T* host, size_t count, size_t offset = 0) {
        check(cudaMemcpy(m_ptr + offset, host, count * sizeof(T), cudaMemcpyHostToDevice), "upload");
        check(cudaStreamSynchronize(nullptr), "upload (waiting for the copy)");
    }
    void upload(const std::vector<T>& host) {
        reserve(host.size());
        upload(host.data(), host.size());
    }
    std::vector<T> download(size_t count) const {
        std::vector<T> host(count);
        check(cudaMemcpy(host.data(), m_ptr, count * sizeof(T), cudaMemcpyDeviceToHost), "download");
        return host;
    }

private:
    T* m_ptr = nullptr;
    size_t m_count = 0;
};

// Page-locked host memory of `count` elements of T, for asynchronous copies that must not be staged (uninitialised).
// reserve() grows without keeping the contents.
template <class T>
class pinned_buffer {
public:
    pinned_buffer() = default;
    ~pinned_buffer() { release(); }
    pinned_buffer(const pinned_buffer&) = delete;
    pinned_buffer& operator=(const pinned_buffer&) = delete;

    void reserve(size_t count) {
        if (count <= m_count) return;
        release();
        void* p = nullptr;
        check(cudaMallocHost(&p, count * sizeof(T)), "cudaMallocHost");
        m_ptr = static_cast<T*>(p);
        m_count = count;
    }
    void release() {
        if (m_ptr) cudaFreeHost(m_ptr);
        m_ptr = nullptr;
        m_count = 0;
    }
    T* data() const { return m_ptr; }
    T& operator[](size_t i) const { return m_ptr[i]; }

private:
    T* m_ptr = nullptr;
    size_t m_count = 0;
};

class cuda_stream {
public:
    cuda_stream() { check(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking), "cudaStreamCreate"); }
    ~cuda_stream() {
        if (m_stream) cudaStreamDestroy(m_stream);
    }
    cuda_stream(const cuda_stream&) = delete;
    cuda_stream& operator=(const cuda_stream&) = delete;
    cudaStream_t get() const { return m_stream; }
    void sync() const { check(cudaStreamSynchronize(m_stream), "cudaStreamSynchronize"); }

private:
    cudaStream_t m_stream = nullptr;
};

class cublas_handle {
public:
    explicit cublas_handle(cudaStream_t stream) {
        check(cublasCreate(&m_handle), "cublasCreate");
        check(cublasSetStream(m_handle, stream), "cublasSetStream");
        // Plain fp32 for the sgemm products (router, LM head): never let TF32 in.
        check(cublasSetMathMode(m_handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    }
    ~cublas_handle() {
        if (m_handle) cublasDestroy(m_handle);
    }
    cublas_handle(const cublas_handle&) = delete;
    cublas_handle& operator=(const cublas_handle&) = delete;
    cublasHandle_t get() const { return m_handle; }

private:
    cublasHandle_t m_handle = nullptr;
};

// Uploads host floats as bf16 (round to nearest even), through device_buffer::upload.
inline void upload_bf16(device_buffer<bf16>& dst, const float* host, size_t count, size_t offset = 0) {
    std::vector<uint16_t> bits(count);
    for (size_t i = 0; i < count; ++i) bits[i] = float_to_bf16_bits(host[i]);
    dst.upload(reinterpret_cast<const bf16*>(bits.data()), count, offset);
}

inline std::vector<float> download_bf16(const bf16* src, size_t count) {
    std::vector<uint16_t> bits(count);
    check(cudaMemcpy(bits.data(), src, count * 2, cudaMemcpyDeviceToHost), "download bf16");
    std::vector<float> out(count);
    for (size_t i = 0; i < count; ++i) out[i] = bf16_bits_to_float(bits[i]);
    return out;
}

}  // namespace m1::cuda
