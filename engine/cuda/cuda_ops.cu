#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_mma.cuh"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace m1::cuda {

namespace {

constexpr int k_threads = 256;

__global__ void embed_kernel(embed_params p) {
    const int64_t t = blockIdx.x;
    const int64_t id = p.ids[t];
    const bf16* src = p.table + id * p.H;
    float* dst = p.out + t * p.H;
    for (int64_t i = threadIdx.x; i < p.H; i += blockDim.x) dst[i] = __bfloat162float(src[i]);
}

// Sum of v over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v, float* scratch) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = 0;
    for (int w = 0; w < warps; ++w) total += scratch[w];
    return total;
}

// α·res + β·branch with its roundings spelled out, so that every kernel (and every instantiation) adds the residual
// the same way and the fused paths stay bit for bit the unfused ones.
__device__ __forceinline__ float residual(const rmsnorm_params& p, float res, float branch) {
    return fmaf(p.alpha, res, __fmul_rn(p.beta, branch));
}

// One element of the MoE combine: acc + y · weight, as launch_combine and the norm's folded combine both add it.
__device__ __forceinline__ float combine_add(float acc, float y, float weight) {
    return fmaf(y, weight, acc);
}

__device__ float sigmoidf_(float x) {
    return 1.0f / (1.0f + expf(-x));
}

// Four floats rounded to bf16, as one 8-byte store.
__device__ __forceinline__ uint2 bf16x4_of(float4 f) {
    union {
        uint2 raw;
        __nv_bfloat162 pair[2];
    } v;
    v.pair[0] = __floats2bfloat162_rn(f.x, f.y);
    v.pair[1] = __floats2bfloat162_rn(f.z, f.w);
    return v.raw;
}

// sigmoid(x) with the fast exponential and a correctly rounded reciprocal, for the passes whose results are rounded
// to bf16 (relative error ~1e-6 against sigmoidf_(x), far below bf16's 2^-9). With the precise sigmoid's ~35
// instructions an element, the bf16 SiLU, SwiGLU and gate passes were bound by issue, not memory. A very negative x
// gives e^(−x) = inf and 0 (x · 0 = −0 in SiLU), as sigmoidf_ does.
__device__ __forceinline__ float sigmoid_fast(float x) {
    return __frcp_rn(1.0f + __expf(-x));
}
__device__ __forceinline__ float silu_fast(float x) {
    return x * sigmoid_fast(x);
}
// The norm's output gate: the fast sigmoid when the result is only written in bf16 (as launch_gate_bf16 computes
// it), the precise one when an fp32 result is asked for (as launch_gate).
template <bool FAST>
__device__ __forceinline__ float gate_sigmoid(float g) {
    return FAST ? sigmoid_fast(g) : sigmoidf_(g);
}
__device__ __forceinline__ float gate_sigmoid(const rmsnorm_params& p, float g) {
    return p.y ? gate_sigmoid<false>(g) : gate_sigmoid<true>(g);
}

// Rows of up to k_norm_regs · blockDim.x elements (every M1 norm: 6144 or 8192 with 1024 threads) are read once into
// registers, with all of a thread's loads (values and weights) issued before any is used: one round trip instead of
// one per element, which is what a decode step's single row is bound by. Longer rows take the two-pass loop. Both
// add each thread's squares in the same order, so the results are the same.
constexpr int k_norm_regs = 8;

// FAST_GATE: the gate's sigmoid is sigmoid_fast (y_bf16 alone, see gate_sigmoid). Keep it at 32 registers (two
// 1,024-thread CTAs an SM): rmsnorm_params must stay small, the combine of the streamed kernel took it to 48.
template <bool FAST_GATE>
__global__ void rmsnorm_kernel(rmsnorm_params p) {
    __shared__ float scratch[32];
    const int64_t r = blockIdx.x;
    const float* res = p.res + r * p.dim;
    const float* br = p.branch ? p.branch + r * p.dim : nullptr;
    float* sum_out = p.sum_out ? p.sum_out + r * p.dim : nullptr;
    if (p.dim <= int64_t(k_norm_regs) * blockDim.x) {
        float v[k_norm_regs], w[k_norm_regs];
#pragma unroll
        for (int j = 0; j < k_norm_regs; ++j) {
            const int64_t i = threadIdx.x + int64_t(j) * blockDim.x;
            v[j] = 0.0f;
            w[j] = 0.0f;
            if (i < p.dim) {
                v[j] = br ? residual(p, res[i], br[i]) : res[i];
                w[j] = p.w[i];
            }
        }
        float ss = 0;
#pragma unroll
        for (int j = 0; j < k_norm_regs; ++j) ss += v[j] * v[j];
        ss = block_sum(ss, scratch);  // its barriers also order every read above before the writes below
        const float scale = rsqrtf(ss / float(p.dim) + p.eps);
        // v becomes y and w, no longer needed, takes the gate: all of a thread's gate loads issue together, after
        // its sum_out stores (which the gate must not alias) and before any y store, instead of one round trip each
#pragma unroll
        for (int j = 0; j < k_norm_regs; ++j) {
            const int64_t i = threadIdx.x + int64_t(j) * blockDim.x;
            if (i >= p.dim) break;
            if (sum_out) sum_out[i] = v[j];
            v[j] = w[j] * (v[j] * scale);
        }
        if (p.gate) {
#pragma unroll
            for (int j = 0; j < k_norm_regs; ++j) {
                const int64_t i = threadIdx.x + int64_t(j) * blockDim.x;
                if (i < p.dim) w[j] = p.gate[r * p.dim + i];
            }
        }
#pragma unroll
        for (int j = 0; j < k_norm_regs; ++j) {
            const int64_t i = threadIdx.x + int64_t(j) * blockDim.x;
            if (i >= p.dim) break;
            const float y = p.gate ? v[j] * gate_sigmoid<FAST_GATE>(w[j]) : v[j];
            if (p.y) p.y[r * p.dim + i] = y;
            if (p.y_bf16) p.y_bf16[r * p.dim + i] = __float2bfloat16(y);
        }
        return;
    }
    float ss = 0;
    for (int64_t i = threadIdx.x; i < p.dim; i += blockDim.x) {
        const float v = br ? residual(p, res[i], br[i]) : res[i];
        if (sum_out) sum_out[i] = v;
        ss += v * v;
    }
    ss = block_sum(ss, scratch);
    const float scale = rsqrtf(ss / float(p.dim) + p.eps);
    for (int64_t i = threadIdx.x; i < p.dim; i += blockDim.x) {
        // The same thread wrote sum_out[i] above, so reading it back is safe even when it aliases res or branch.
        const float v = sum_out ? sum_out[i] : (br ? residual(p, res[i], br[i]) : res[i]);
        float y = p.w[i] * (v * scale);
        if (p.gate) y = y * gate_sigmoid<FAST_GATE>(p.gate[r * p.dim + i]);
        if (p.y) p.y[r * p.dim + i] = y;
        if (p.y_bf16) p.y_bf16[r * p.dim + i] = __float2bfloat16(y);
    }
}

// ---- norms over many rows (prefill): rows streamed through shared memory ----
// The kernel above holds two rows per SM (1,024 threads each) and runs each in phases, all loads, then the
// reduction's barriers, then the stores, so an SM's memory pipe idles between rows: 55-60% of copy bandwidth at
// 128K tokens. Here persistent CTAs walk the rows grid-stride with two stages of shared memory: the next row's res,
// branch and gate are in flight (cp.async) while this one is reduced and written. Same arithmetic per element as
// the register kernel (α·res + β·branch, w · (v · scale), then · sigmoid(gate)); the sum of squares is added in
// another order. With c.y set, the branch is the MoE combine of c's k <= 2 expert rows per token, staged in place of
// a branch row and summed as launch_combine sums them. Needs dim % 4 == 0 and 16-byte aligned rows (8-byte for
// y_bf16).
// Threads: 512 for rows up to 6144 (M1's residual norms: two CTAs an SM), 1,024 for longer ones (the lightning
// output's 8192 with its gate: one CTA an SM, whose sigmoids need the warps; 256 threads measured 81 ms at 128K
// against the register kernel's 62). The count follows dim alone: it sets the order of the sum of squares.
constexpr int64_t k_stream_min_rows = 256;  // fewer rows: the register kernel, one CTA a row
constexpr int64_t k_stream_max_dim = 8192;  // longer rows: the register kernel (two stages of three rows fit)

__global__ void __launch_bounds__(1024) rmsnorm_stream_kernel(rmsnorm_params p, combine_params c) {
    // 2 stages × [res | branch, or the combine's k expert rows | gate] rows (those given)
    extern __shared__ __align__(16) float stage[];
    __shared__ float scratch[32];
    const int64_t dim = p.dim, quads = dim / 4;
    const int parts = c.y ? int(c.k) : p.branch ? 1 : 0;  // rows of the branch
    const int inputs = 1 + parts + (p.gate ? 1 : 0), gate_slot = inputs - 1;
    const int64_t stage_floats = inputs * dim;
    const auto source = [&](int64_t row, int i) -> const float* {  // slot i of row
        if (i == 0) return p.res + row * dim;
        if (i > parts) return p.gate + row * dim;
        if (!c.y) return p.branch + row * dim;
        return c.y + int64_t(c.row[row * c.k + i - 1]) * dim;
    };
    const auto issue = [&](int64_t row, int st) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            if (i >= inputs) break;
            float* dst = stage + st * stage_floats + i * dim;
            const float* from = source(row, i);
            for (int64_t q = threadIdx.x; q < quads; q += blockDim.x) mma::cp_async16(dst + 4 * q, from + 4 * q, true);
        }
    };
    int64_t row = blockIdx.x;
    if (row >= p.n) return;
    issue(row, 0);
    mma::cp_async_commit();
    for (int k = 0; row < p.n; ++k, row += gridDim.x) {
        const int st = k & 1;
        if (row + gridDim.x < p.n) issue(row + gridDim.x, st ^ 1);  // that stage's readers passed the barrier below
        mma::cp_async_commit();
        asm volatile("cp.async.wait_group 1;\n" ::);  // this row's copies (all but the newest group) have landed
        __syncthreads();
        float4* v4 = reinterpret_cast<float4*>(stage + st * stage_floats);
        const float4* g4 = v4 + gate_slot * quads;
        float cw0 = 0.0f, cw1 = 0.0f;  // the combine's weights of this row (k <= 2)
        if (c.y) {
            cw0 = c.weight[row * c.k];
            if (parts > 1) cw1 = c.weight[row * c.k + 1];
        }
        float ss = 0;
        for (int64_t q = threadIdx.x; q < quads; q += blockDim.x) {
            float4 v = v4[q];
            if (parts > 0) {
                float4 b = v4[quads + q];
                if (c.y) {  // Σ_j weight_j · y_j, from 0 as launch_combine adds it
                    b = make_float4(combine_add(0.0f, b.x, cw0), combine_add(0.0f, b.y, cw0),
                                    combine_add(0.0f, b.z, cw0), combine_add(0.0f, b.w, cw0));
                    if (parts > 1) {
                        const float4 y1 = v4[2 * quads + q];
                        b = make_float4(combine_add(b.x, y1.x, cw1), combine_add(b.y, y1.y, cw1),
                                        combine_add(b.z, y1.z, cw1), combine_add(b.w, y1.w, cw1));
                    }
                }
                v = make_float4(residual(p, v.x, b.x), residual(p, v.y, b.y), residual(p, v.z, b.z),
                                residual(p, v.w, b.w));
                v4[q] = v;  // read back below by this same thread
            }
            ss += v.x * v.x;
            ss += v.y * v.y;
            ss += v.z * v.z;
            ss += v.w * v.w;
        }
        ss = block_sum(ss, scratch);
        const float scale = rsqrtf(ss / float(dim) + p.eps);
        const int64_t base = row * dim;
        for (int64_t q = threadIdx.x; q < quads; q += blockDim.x) {
            const float4 v = v4[q];
            if (p.sum_out) reinterpret_cast<float4*>(p.sum_out + base)[q] = v;
            const float4 w = reinterpret_cast<const float4*>(p.w)[q];
            float4 y = make_float4(w.x * (v.x * scale), w.y * (v.y * scale), w.z * (v.z * scale), w.w * (v.w * scale));
            if (p.gate) {
                const float4 g = g4[q];
                y = make_float4(y.x * gate_sigmoid(p, g.x), y.y * gate_sigmoid(p, g.y), y.z * gate_sigmoid(p, g.z),
                                y.w * gate_sigmoid(p, g.w));
            }
            if (p.y) reinterpret_cast<float4*>(p.y + base)[q] = y;
            if (p.y_bf16) reinterpret_cast<uint2*>(p.y_bf16 + base)[q] = bf16x4_of(y);
        }
        __syncthreads();  // stage st is refilled by the next iteration's prefetch
    }
}

__global__ void to_bf16_kernel(const float* x, bf16* out, int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = __float2bfloat16(x[i]);
}

__global__ void silu_kernel(float* x, int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x)
        x[i] = x[i] * sigmoidf_(x[i]);
}

// Eight bf16 (16 bytes) as one load or store: the bandwidth-bound passes over bf16 activations move whole vectors.
union bf16x8 {
    uint4 raw;
    __nv_bfloat162 pair[4];
};

// bf16 in place: x = bf16(SiLU(x)) computed in fp32, eight at a time (x 16-byte aligned), then the count % 8 tail.
__global__ void silu_bf16_kernel(bf16* x, int64_t count) {
    const int64_t vectors = count / 8, stride = int64_t(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    uint4* xv = reinterpret_cast<uint4*>(x);
    for (int64_t i = first; i < vectors; i += stride) {
        bf16x8 v;
        v.raw = xv[i];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const float2 f = __bfloat1622float2(v.pair[j]);
            v.pair[j] = __floats2bfloat162_rn(silu_fast(f.x), silu_fast(f.y));
        }
        xv[i] = v.raw;
    }
    for (int64_t i = vectors * 8 + first; i < count; i += stride) {
        const float f = __bfloat162float(x[i]);
        x[i] = __float2bfloat16(silu_fast(f));
    }
}

__global__ void gate_kernel(const float* o, const float* gate, float* out, int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = o[i] * sigmoidf_(gate[i]);
}

__global__ void gate_bf16_kernel(const float* o, const float* gate, bf16* out, int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = __float2bfloat16(o[i] * sigmoid_fast(gate[i]));
}

__global__ void split_kernel(const float* x, bf16* hi, bf16* lo, int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
        const bf16 h = __float2bfloat16(x[i]);
        hi[i] = h;
        if (lo) lo[i] = __float2bfloat16(x[i] - __bfloat162float(h));
    }
}

__global__ void swiglu_kernel(const float* in, float* out, int64_t rows, int64_t I) {
    const int64_t count = rows * I;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t r = i / I, c = i % I;
        const float g = in[r * 2 * I + c], u = in[r * 2 * I + I + c];
        out[i] = g * sigmoidf_(g) * u;
    }
}

__global__ void gather_rows_kernel(const float* x, const int32_t* index, int64_t dim, float* out) {
    const int64_t r = blockIdx.x;
    const float* src = x + int64_t(index[r]) * dim;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) out[r * dim + i] = src[i];
}

__global__ void gather_rows_bf16_kernel(const float* x, const int32_t* index, int64_t dim, bf16* out) {
    const int64_t r = blockIdx.x;
    const float* src = x + int64_t(index[r]) * dim;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) out[r * dim + i] = __float2bfloat16(src[i]);
}

// The same four columns at a time: dim % 4 == 0, x 16-byte and out 8-byte aligned.
__global__ void gather_rows_bf16_vec_kernel(const float* x, const int32_t* index, int64_t dim, bf16* out) {
    const int64_t r = blockIdx.x, quads = dim / 4;
    const float4* src = reinterpret_cast<const float4*>(x + int64_t(index[r]) * dim);
    uint2* dst = reinterpret_cast<uint2*>(out + r * dim);
    for (int64_t i = threadIdx.x; i < quads; i += blockDim.x) dst[i] = bf16x4_of(src[i]);
}

__global__ void swiglu_bf16_kernel(const bf16* in, bf16* out, int64_t rows, int64_t I) {
    const int64_t count = rows * I;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t r = i / I, c = i % I;
        const float g = __bfloat162float(in[r * 2 * I + c]), u = __bfloat162float(in[r * 2 * I + I + c]);
        out[i] = __float2bfloat16(silu_fast(g) * u);
    }
}

// The same eight outputs at a time: I % 8 == 0, in and out 16-byte aligned.
__global__ void swiglu_bf16_vec_kernel(const bf16* in, bf16* out, int64_t rows, int64_t I) {
    const int64_t per_row = I / 8, vectors = rows * per_row;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < vectors; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t r = i / per_row, c = (i % per_row) * 8;
        bf16x8 g, u, y;
        g.raw = *reinterpret_cast<const uint4*>(in + r * 2 * I + c);
        u.raw = *reinterpret_cast<const uint4*>(in + r * 2 * I + I + c);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const float2 gf = __bfloat1622float2(g.pair[j]), uf = __bfloat1622float2(u.pair[j]);
            y.pair[j] = __floats2bfloat162_rn(silu_fast(gf.x) * uf.x, silu_fast(gf.y) * uf.y);
        }
        *reinterpret_cast<uint4*>(out + r * I + c) = y.raw;
    }
}

__global__ void combine_kernel(combine_params p) {
    const int64_t t = blockIdx.x;
    for (int64_t i = threadIdx.x; i < p.H; i += blockDim.x) {
        float acc = 0;
        for (int64_t j = 0; j < p.k; ++j)
            acc = combine_add(acc, p.y[int64_t(p.row[t * p.k + j]) * p.H + i], p.weight[t * p.k + j]);
        p.out[t * p.H + i] = acc;
    }
}

// The same four columns at a time: H % 4 == 0, y and out 16-byte aligned.
__global__ void combine_vec_kernel(combine_params p) {
    const int64_t t = blockIdx.x, quads = p.H / 4;
    float4* out = reinterpret_cast<float4*>(p.out + t * p.H);
    for (int64_t i = threadIdx.x; i < quads; i += blockDim.x) {
        float4 acc = make_float4(0, 0, 0, 0);
        for (int64_t j = 0; j < p.k; ++j) {
            const float w = p.weight[t * p.k + j];
            const float4 y = reinterpret_cast<const float4*>(p.y + int64_t(p.row[t * p.k + j]) * p.H)[i];
            acc = make_float4(combine_add(acc.x, y.x, w), combine_add(acc.y, y.y, w), combine_add(acc.z, y.z, w),
                              combine_add(acc.w, y.w, w));
        }
        out[i] = acc;
    }
}

}  // namespace

cudaError_t launch_embed(const embed_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    embed_kernel<<<unsigned(p.n), k_threads, 0, s>>>(p);
    return cudaGetLastError();
}

namespace {

// Shared memory of the streaming kernel for p with c (c.y null: no combine; 0 where the kernel does not serve them).
// The choice does not depend on the gate, so a norm with its gate is bit for bit the norm followed by launch_gate.
size_t stream_smem(const rmsnorm_params& p, const combine_params& c) {
    const bool combine = c.y != nullptr;
    const int64_t parts = combine ? c.k : p.branch ? 1 : 0;
    const bool ok = p.n >= k_stream_min_rows && p.dim % 4 == 0 && p.dim <= k_stream_max_dim && aligned(p.res, 16) &&
                    aligned(p.branch, 16) && aligned(p.gate, 16) && aligned(p.w, 16) && aligned(p.sum_out, 16) &&
                    aligned(p.y, 16) && aligned(p.y_bf16, 8) &&
                    (!combine ||
                     (parts >= 1 && parts <= 2 && !p.branch && !p.gate && c.row && c.weight && aligned(c.y, 16)));
    return ok ? 2 * size_t(1 + parts + (p.gate ? 1 : 0)) * size_t(p.dim) * sizeof(float) : 0;
}

// M1_NORM_STREAM=0 keeps every norm on the register kernel and folds no MoE combine (A/B timings on one GPU)
bool stream_enabled() {
    static const bool on = [] {
        const char* v = std::getenv("M1_NORM_STREAM");
        return !v || std::string(v) != "0";
    }();
    return on;
}

cudaError_t launch_stream(const rmsnorm_params& p, const combine_params& c, size_t smem, cudaStream_t s) {
    const int threads = p.dim > 6144 ? 1024 : 512;
    cudaError_t e = cudaFuncSetAttribute(rmsnorm_stream_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem));
    int per_sm = 0, dev = 0, sms = 0;
    if (e == cudaSuccess) e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, rmsnorm_stream_kernel, threads, smem);
    if (e == cudaSuccess) e = cudaGetDevice(&dev);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
    if (e != cudaSuccess) return e;
    const int64_t grid = std::min<int64_t>(p.n, int64_t(std::max(1, per_sm)) * sms);
    rmsnorm_stream_kernel<<<unsigned(grid), threads, smem, s>>>(p, c);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launch_rmsnorm(const rmsnorm_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (const size_t smem = stream_enabled() ? stream_smem(p, {}) : 0) return launch_stream(p, {}, smem, s);
    const int threads = p.dim >= 4096 ? 1024 : p.dim >= 1024 ? 512 : 128;
    if (p.gate && !p.y)
        rmsnorm_kernel<true><<<unsigned(p.n), threads, 0, s>>>(p);
    else
        rmsnorm_kernel<false><<<unsigned(p.n), threads, 0, s>>>(p);
    return cudaGetLastError();
}

bool rmsnorm_combine_supported(const rmsnorm_params& p, const combine_params& c) {
    return c.y && stream_enabled() && stream_smem(p, c) != 0;
}

cudaError_t launch_rmsnorm_combine(const rmsnorm_params& p, const combine_params& c, cudaStream_t s) {
    if (!rmsnorm_combine_supported(p, c)) return cudaErrorInvalidValue;
    return launch_stream(p, c, stream_smem(p, c), s);
}

cudaError_t launch_to_bf16(const float* x, bf16* out, int64_t count, cudaStream_t s) {
    if (count == 0) return cudaSuccess;
    to_bf16_kernel<<<grid_stride_blocks(count, k_threads), k_threads, 0, s>>>(x, out, count);
    return cudaGetLastError();
}

cudaError_t launch_silu(float* x, int64_t count, cudaStream_t s) {
    if (count == 0) return cudaSuccess;
    silu_kernel<<<grid_stride_blocks(count, k_threads), k_threads, 0, s>>>(x, count);
    return cudaGetLastError();
}

cudaError_t launch_silu_bf16(bf16* x, int64_t count, cudaStream_t s) {
    if (count == 0) return cudaSuccess;
    if (!aligned(x, 16)) return cudaErrorInvalidValue;
    silu_bf16_kernel<<<grid_stride_blocks(std::max<int64_t>(1, count / 8), k_threads), k_threads, 0, s>>>(x, count);
    return cudaGetLastError();
}

cudaError_t launch_split_bf16(const float* x, bf16* hi, bf16* lo, int64_t count, cudaStream_t s) {
    if (count == 0) return cudaSuccess;
    split_kernel<<<grid_stride_blocks(count, k_threads), k_threads, 0, s>>>(x, hi, lo, count);
    return cudaGetLastError();
}

cudaError_t launch_gate(const float* o, const float* gate, float* out, int64_t count, cudaStream_t s) {
    if (count == 0) return cudaSuccess;
    gate_kernel<<<grid_stride_blocks(count, k_threads), k_threads, 0, s>>>(o, gate, out, count);
    return cudaGetLastError();
}

cudaError_t launch_gate_bf16(const float* o, const float* gate, bf16* out, int64_t count, cudaStream_t s) {
    if (count == 0) return cudaSuccess;
    gate_bf16_kernel<<<grid_stride_blocks(count, k_threads), k_threads, 0, s>>>(o, gate, out, count);
    return cudaGetLastError();
}

cudaError_t launch_swiglu(const float* in, float* out, int64_t rows, int64_t I, cudaStream_t s) {
    if (rows * I == 0) return cudaSuccess;
    swiglu_kernel<<<grid_stride_blocks(rows * I, k_threads), k_threads, 0, s>>>(in, out, rows, I);
    return cudaGetLastError();
}

cudaError_t launch_gather_rows(const float* x, const int32_t* index, int64_t rows, int64_t dim, float* out,
                               cudaStream_t s) {
    if (rows == 0) return cudaSuccess;
    gather_rows_kernel<<<unsigned(rows), k_threads, 0, s>>>(x, index, dim, out);
    return cudaGetLastError();
}

cudaError_t launch_gather_rows_bf16(const float* x, const int32_t* index, int64_t rows, int64_t dim, bf16* out,
                                    cudaStream_t s) {
    if (rows == 0) return cudaSuccess;
    if (dim % 4 == 0 && aligned(x, 16) && aligned(out, 8))
        gather_rows_bf16_vec_kernel<<<unsigned(rows), k_threads, 0, s>>>(x, index, dim, out);
    else
        gather_rows_bf16_kernel<<<unsigned(rows), k_threads, 0, s>>>(x, index, dim, out);
    return cudaGetLastError();
}

cudaError_t launch_swiglu_bf16(const bf16* in, bf16* out, int64_t rows, int64_t I, cudaStream_t s) {
    if (rows * I == 0) return cudaSuccess;
    if (I % 8 == 0 && aligned(in, 16) && aligned(out, 16))
        swiglu_bf16_vec_kernel<<<grid_stride_blocks(rows * I / 8, k_threads), k_threads, 0, s>>>(in, out, rows, I);
    else
        swiglu_bf16_kernel<<<grid_stride_blocks(rows * I, k_threads), k_threads, 0, s>>>(in, out, rows, I);
    return cudaGetLastError();
}

cudaError_t launch_combine(const combine_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (p.H % 4 == 0 && aligned(p.y, 16) && aligned(p.out, 16))
        combine_vec_kernel<<<unsigned(p.n), k_threads, 0, s>>>(p);
    else
        combine_kernel<<<unsigned(p.n), k_threads, 0, s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
