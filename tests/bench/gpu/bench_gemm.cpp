// The prefill's products under sustained load: for each GEMM shape of one W16 prefill chunk (the lightning q/k/v,
// gate and output products, and the 16 experts' w1/w3 and w2 products at chunk × top-k / experts rows each), the
// product the backend issues (engine/cuda/cuda_gemm.h: cublasGemmEx, cuBLAS's default algorithm) against the first
// cuBLASLt heuristic candidates, each run back to back for ~0.25 s so that the GPU settles at the clock its power
// limit allows (short bursts run at the boost clock and overstate what a 5-second prefill gets). TFLOP/s on random
// bf16 operands (uniform, full mantissas, like the benchmark's random weights).
//
// It answers whether choosing the algorithm per shape would speed the prefill up: on the H200 of session 5 no
// candidate beat the default by more than ~4% at any shape (tests/bench/RESULTS.md).
// Usage: bench_gemm [chunk]   (default 32768, the backend's choice for W16 on an H200)
#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_gemm.h"
#include "engine/cuda/cuda_random.cuh"
#include "engine/model/model_presets.h"

#include <cublasLt.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

using namespace m1;
using namespace m1::cuda;

namespace {

// Sustained TFLOP/s of `batch` (a batch of products worth `flops`): three warm-up batches, one timed to size the run,
// then as many as fill ~0.25 s, timed as a whole.
double sustained_tflops(const std::function<void()>& batch, double flops) {
    for (int i = 0; i < 3; ++i) batch();
    const double one = bench::event_median_s(batch, 0, 1);
    const int reps = std::max(1, int(0.25 / std::max(one, 1e-6)));
    const double total = bench::event_median_s(
        [&] {
            for (int i = 0; i < reps; ++i) batch();
        },
        0, 1);
    return flops * reps / total / 1e12;
}

struct shape {
    std::string name;
    int64_t rows, in, out, count;  // `count` products of rows × in → out, each on its own weights and rows
    bool bf16_out;                 // the backend's bf16 result (q/k/v, expert w1/w3) or fp32
};

// cuBLASLt's first `want` candidates for y (rows, out) = x (rows, in) · w (out, in)ᵀ, each timed like the default.
void lt_candidates(cublasLtHandle_t lt, const shape& sh, const bf16* w, const bf16* x, void* y, void* ws,
                   size_t ws_bytes, double flops, int want) {
    cublasLtMatmulDesc_t desc;
    check(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "matmul descriptor");
    const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    check(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta), "transa");
    check(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb), "transb");
    const cudaDataType_t ytype = sh.bf16_out ? CUDA_R_16BF : CUDA_R_32F;
    cublasLtMatrixLayout_t la, lb, lc;
    check(cublasLtMatrixLayoutCreate(&la, CUDA_R_16BF, uint64_t(sh.in), uint64_t(sh.out), sh.in), "layout w");
    check(cublasLtMatrixLayoutCreate(&lb, CUDA_R_16BF, uint64_t(sh.in), uint64_t(sh.rows), sh.in), "layout x");
    check(cublasLtMatrixLayoutCreate(&lc, ytype, uint64_t(sh.out), uint64_t(sh.rows), sh.out), "layout y");
    cublasLtMatmulPreference_t pref;
    check(cublasLtMatmulPreferenceCreate(&pref), "preference");
    check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                                  sizeof ws_bytes),
             "workspace preference");
    cublasLtMatmulHeuristicResult_t found[16];
    int n = 0;
    check(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, lc, pref, std::min(want, 16), found, &n),
             "heuristic");
    const size_t y_elem = sh.bf16_out ? 2 : 4;
    const float one = 1.0f, zero = 0.0f;
    for (int i = 0; i < n; ++i) {
        const double tf = sustained_tflops(
            [&] {
                for (int64_t e = 0; e < sh.count; ++e)
                    check(cublasLtMatmul(lt, desc, &one, w + e * sh.out * sh.in, la, x + e * sh.rows * sh.in, lb,
                                            &zero, static_cast<char*>(y) + e * sh.rows * sh.out * y_elem, lc,
                                            static_cast<char*>(y) + e * sh.rows * sh.out * y_elem, lc, &found[i].algo,
                                            ws, ws_bytes, nullptr),
                             "cublasLtMatmul");
            },
            flops);
        int tile = 0, stages = 0;
        size_t written = 0;
        cublasLtMatmulAlgoConfigGetAttribute(&found[i].algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof tile,
                                             &written);
        cublasLtMatmulAlgoConfigGetAttribute(&found[i].algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof stages,
                                             &written);
        std::printf("| %s | cuBLASLt candidate %d (tile id %d, stages id %d) | %.0f |\n", sh.name.c_str(), i, tile,
                    stages, tf);
        std::fflush(stdout);
    }
    cublasLtMatmulPreferenceDestroy(pref);
    cublasLtMatrixLayoutDestroy(lc);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatmulDescDestroy(desc);
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t chunk = argc > 1 ? std::atoll(argv[1]) : 32768;
    if (chunk <= 0) {
        std::fprintf(stderr, "usage: bench_gemm [chunk > 0]\n");
        return 2;
    }
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::fprintf(stderr, "bench_gemm: no CUDA device\n");
        return 77;
    }
    try {
        const model_config c = preset_config("w16", 200064);
        const int64_t H = c.hidden_size, D = c.attn_dim(), I = c.intermediate_size, E = c.num_experts;
        const int64_t expert_rows = chunk * c.experts_per_token / E;
        const shape shapes[] = {
            {"lightning q/k/v", chunk, H, 3 * D, 1, true},
            {"output gate", chunk, H, D, 1, false},
            {"output projection", chunk, D, H, 1, false},
            {"experts w1/w3 (x" + std::to_string(E) + ")", expert_rows, H, 2 * I, E, true},
            {"experts w2 (x" + std::to_string(E) + ")", expert_rows, I, H, E, false},
        };
        int64_t w_elems = 0, x_elems = 0, y_bytes = 0;
        for (const shape& sh : shapes) {
            w_elems = std::max(w_elems, sh.count * sh.out * sh.in);
            x_elems = std::max(x_elems, sh.count * sh.rows * sh.in);
            y_bytes = std::max(y_bytes, sh.count * sh.rows * sh.out * 4);
        }
        device_buffer<bf16> w{size_t(w_elems)}, x{size_t(x_elems)};
        device_buffer<char> y{size_t(y_bytes)};
        const size_t ws_bytes = size_t(64) << 20;
        device_buffer<char> ws{ws_bytes};
        fill_uniform(w.data(), w_elems, 1, 0.02);
        fill_uniform(x.data(), x_elems, 2, 1.7);
        check(cudaDeviceSynchronize(), "fill");
        cublas_handle blas(nullptr);
        cublasLtHandle_t lt = nullptr;
        check(cublasLtCreate(&lt), "cublasLtCreate");

        std::printf("W16 products of one %lld-token prefill chunk, sustained ~0.25 s each, TFLOP/s\n\n",
                    (long long)chunk);
        std::printf("| product | algorithm | TFLOP/s |\n|---|---|---|\n");
        for (const shape& sh : shapes) {
            const double flops = 2.0 * double(sh.count) * double(sh.rows) * double(sh.in) * double(sh.out);
            const double tf = sustained_tflops(
                [&] {
                    for (int64_t e = 0; e < sh.count; ++e) {
                        const bf16* we = w.data() + e * sh.out * sh.in;
                        const bf16* xe = x.data() + e * sh.rows * sh.in;
                        char* ye = y.data() + e * sh.rows * sh.out * (sh.bf16_out ? 2 : 4);
                        if (sh.bf16_out)
                            linear_bf16_out(blas.get(), xe, sh.rows, sh.in, we, sh.out, reinterpret_cast<bf16*>(ye));
                        else
                            linear_bf16(blas.get(), xe, sh.rows, sh.in, we, sh.out, reinterpret_cast<float*>(ye));
                    }
                },
                flops);
            std::printf("| %s | the backend's (cublasGemmEx, default) | %.0f |\n", sh.name.c_str(), tf);
            std::fflush(stdout);
            lt_candidates(lt, sh, w.data(), x.data(), y.data(), ws.data(), ws_bytes, flops, 8);
        }
        cublasLtDestroy(lt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_gemm: %s\n", e.what());
        return 1;
    }
    return 0;
}
