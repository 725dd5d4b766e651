// Elementwise kernels, the fused residual + RMSNorm, and the cuBLAS products against the CPU reference
// (engine/cpu/cpu_ops.h) fed the same bf16-rounded inputs, at small and real M1 widths.
#include "engine/cpu/cpu_ops.h"
#include "engine/cuda/cuda_gemm.h"
#include "engine/cuda/cuda_ops.cuh"
#include "tests/gpu/gpu_check.h"

using namespace m1;
using namespace m1::cuda;
using m1::gpu_test::rel_err;

namespace {

constexpr double k_tol_bf16 = 1e-2;  // bf16 outputs
constexpr double k_tol_f32 = 1e-4;   // fp32 outputs of fp32 arithmetic

std::string shape(const char* what, int64_t a, int64_t b) {
    return std::string(what) + " (" + std::to_string(a) + " x " + std::to_string(b) + ")";
}

void embedding(gpu_test::suite& s, gpu_test::rng& r, int64_t V, int64_t H, int64_t n) {
    const std::vector<float> table = r.fill(size_t(V * H), -1, 1);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (auto& id : ids) id = int32_t(r.next() % uint64_t(V));
    ids.back() = int32_t(V - 1);  // the last row of the table too
    device_buffer<bf16> d_table(table.size());
    upload_bf16(d_table, table.data(), table.size());
    device_buffer<int32_t> d_ids;
    d_ids.upload(ids);
    device_buffer<float> out(static_cast<size_t>(n * H));
    check(cudaMemset(out.data(), 0xff, out.bytes()), "poison");
    check(launch_embed({d_ids.data(), d_table.data(), n, H, out.data()}, nullptr), "embed");
    std::vector<float> ref(static_cast<size_t>(n * H));
    for (int64_t t = 0; t < n; ++t) std::copy_n(table.begin() + ids[size_t(t)] * H, H, ref.begin() + t * H);
    s.close(shape("embedding gather", n, H), rel_err(out.download(ref.size()), ref), 0.0);
}

// sum = α·res + β·branch, y = RMSNorm(sum) (cpu::scale_add then cpu::rmsnorm).
void rmsnorm_fused(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t dim, bool with_branch) {
    const std::vector<float> res = r.fill(size_t(n * dim), -2, 2), br = r.fill(size_t(n * dim), -2, 2);
    const std::vector<float> w = r.fill(size_t(dim), 0.8f, 1.2f, false);
    const float alpha = 3.5565588f, beta = 0.9f, eps = 1e-5f;
    device_buffer<float> d_res, d_br, d_w, sum(size_t(n * dim)), y(size_t(n * dim));
    d_res.upload(res);
    d_br.upload(br);
    d_w.upload(w);
    device_buffer<bf16> y16(static_cast<size_t>(n * dim));
    for (auto* b : {&sum, &y}) check(cudaMemset(b->data(), 0xff, b->bytes()), "poison");
    rmsnorm_params p{};
    p.res = d_res.data();
    p.branch = with_branch ? d_br.data() : nullptr;
    p.alpha = alpha;
    p.beta = beta;
    p.w = d_w.data();
    p.n = n;
    p.dim = dim;
    p.eps = eps;
    p.sum_out = sum.data();
    p.y = y.data();
    p.y_bf16 = y16.data();
    check(launch_rmsnorm(p, nullptr), "rmsnorm");
    std::vector<float> ref_sum = br, ref_y(size_t(n * dim));
    if (with_branch)
        cpu::scale_add(alpha, res.data(), beta, ref_sum.data(), n * dim);
    else
        ref_sum = res;
    cpu::rmsnorm(ref_sum.data(), w.data(), n, dim, eps, ref_y.data());
    const std::string what = std::string(with_branch ? "residual + RMSNorm" : "RMSNorm");
    s.close(shape((what + " sum").c_str(), n, dim), rel_err(sum.download(ref_sum.size()), ref_sum), k_tol_f32);
    s.close(shape((what + " fp32").c_str(), n, dim), rel_err(y.download(ref_y.size()), ref_y), k_tol_f32);
    s.close(shape((what + " bf16").c_str(), n, dim), rel_err(download_bf16(y16.data(), ref_y.size()), ref_y),
            k_tol_bf16);
}

// The lightning output's norm with its gate (rmsnorm_params::gate): bit for bit the norm followed by the gate, into
// fp32 and into bf16, and in place, on each of the paths (rows in registers, longer rows, many rows streamed through
// shared memory); and against cpu::rmsnorm and cpu::sigmoid.
void rmsnorm_gated(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t dim) {
    const std::vector<float> o = r.fill(size_t(n * dim), -2, 2, false), g = r.fill(size_t(n * dim), -4, 4, false);
    const std::vector<float> w = r.fill(size_t(dim), 0.8f, 1.2f, false);
    device_buffer<float> d_o, d_g, d_w, normed(size_t(n * dim)), y(size_t(n * dim)), two_step(size_t(n * dim));
    d_o.upload(o);
    d_g.upload(g);
    d_w.upload(w);
    device_buffer<bf16> y16(size_t(n * dim)), two_step16(size_t(n * dim));
    rmsnorm_params p{};
    p.res = d_o.data();
    p.w = d_w.data();
    p.n = n;
    p.dim = dim;
    p.eps = 1e-6f;
    p.y = normed.data();
    check(launch_rmsnorm(p, nullptr), "rmsnorm");
    check(launch_gate(normed.data(), d_g.data(), two_step.data(), n * dim, nullptr), "gate");
    check(launch_gate_bf16(normed.data(), d_g.data(), two_step16.data(), n * dim, nullptr), "gate bf16");
    p.gate = d_g.data();
    p.y = y.data();
    check(launch_rmsnorm(p, nullptr), "rmsnorm with gate");
    p.y = nullptr;  // bf16 alone: the fast sigmoid, as launch_gate_bf16
    p.y_bf16 = y16.data();
    check(launch_rmsnorm(p, nullptr), "rmsnorm with gate into bf16");
    const std::string what = shape("RMSNorm with gate", n, dim);
    s.check(y.download(size_t(n * dim)) == two_step.download(size_t(n * dim)),
            what + ": fp32 bit for bit the norm, then the gate");
    s.check(download_bf16(y16.data(), size_t(n * dim)) == download_bf16(two_step16.data(), size_t(n * dim)),
            what + ": bf16 bit for bit the norm, then the gate into bf16");
    // in place (the lightning output's norm writes over its input): the same bits as into another buffer
    p.y = d_o.data();
    p.y_bf16 = nullptr;
    check(launch_rmsnorm(p, nullptr), "rmsnorm with gate in place");
    s.check(d_o.download(size_t(n * dim)) == y.download(size_t(n * dim)), what + ": in place, the same bits");
    std::vector<float> ref(size_t(n * dim));
    cpu::rmsnorm(o.data(), w.data(), n, dim, 1e-6f, ref.data());
    for (size_t i = 0; i < ref.size(); ++i) ref[i] *= cpu::sigmoid(g[i]);
    s.close(what + " against the CPU", rel_err(y.download(ref.size()), ref), k_tol_f32);
}

// The MoE combine folded into the next residual norm (launch_rmsnorm_combine): bit for bit launch_combine into m,
// then the norm of α·res + β·m, for the sum, fp32 and bf16 outputs; against the CPU; and refused (by
// rmsnorm_combine_supported and by the launch) where the streamed kernel does not serve it.
void rmsnorm_combine(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t dim, int64_t k) {
    const int64_t rows = n * k + 7;  // expert rows, a few of them read by no token
    const std::vector<float> res = r.fill(size_t(n * dim), -2, 2, false), y = r.fill(size_t(rows * dim), -1, 1, false);
    const std::vector<float> w = r.fill(size_t(dim), 0.8f, 1.2f, false);
    std::vector<int32_t> row(size_t(n * k));
    for (size_t i = 0; i < row.size(); ++i) row[i] = int32_t(i);
    for (size_t i = row.size(); i > 1; --i) std::swap(row[i - 1], row[size_t(r.next() % i)]);  // shuffled
    const std::vector<float> weight = r.fill(size_t(n * k), 0.05f, 0.9f, false);
    device_buffer<float> d_res, d_y, d_w, d_weight, m(size_t(n * dim));
    device_buffer<int32_t> d_row;
    d_res.upload(res);
    d_y.upload(y);
    d_w.upload(w);
    d_weight.upload(weight);
    d_row.upload(row);
    device_buffer<float> sum_a(size_t(n * dim)), sum_b(size_t(n * dim)), y_a(size_t(n * dim)), y_b(size_t(n * dim));
    device_buffer<bf16> y16_a(size_t(n * dim)), y16_b(size_t(n * dim));
    const combine_params cp{d_y.data(), d_row.data(), d_weight.data(), n, k, dim, m.data()};
    check(launch_combine(cp, nullptr), "combine");
    rmsnorm_params p{};
    p.res = d_res.data();
    p.branch = m.data();
    p.alpha = 3.5565588f;
    p.beta = 0.9f;
    p.w = d_w.data();
    p.n = n;
    p.dim = dim;
    p.eps = 1e-5f;
    p.sum_out = sum_a.data();
    p.y = y_a.data();
    p.y_bf16 = y16_a.data();
    check(launch_rmsnorm(p, nullptr), "rmsnorm after the combine");
    p.branch = nullptr;
    combine_params folded = cp;
    folded.out = nullptr;
    p.sum_out = sum_b.data();
    p.y = y_b.data();
    p.y_bf16 = y16_b.data();
    const std::string what = shape("RMSNorm with the MoE combine folded in", n, dim) + ", k " + std::to_string(k);
    const bool served = n >= 256 && k <= 2;
    s.check(rmsnorm_combine_supported(p, folded) == served, what + (served ? ": served" : ": refused"));
    if (!served) {
        s.check(launch_rmsnorm_combine(p, folded, nullptr) == cudaErrorInvalidValue, what + ": the launch refuses it");
        return;
    }
    check(launch_rmsnorm_combine(p, folded, nullptr), "rmsnorm with the combine");
    s.check(sum_b.download(size_t(n * dim)) == sum_a.download(size_t(n * dim)),
            what + ": the residual bit for bit the combine's, then the norm's");
    s.check(y_b.download(size_t(n * dim)) == y_a.download(size_t(n * dim)), what + ": fp32 output bit for bit");
    s.check(download_bf16(y16_b.data(), size_t(n * dim)) == download_bf16(y16_a.data(), size_t(n * dim)),
            what + ": bf16 output bit for bit");
    std::vector<float> ref_sum(size_t(n * dim), 0.0f), ref_y(size_t(n * dim));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t i = 0; i < dim; ++i) {
            double b = 0;
            for (int64_t j = 0; j < k; ++j)
                b += double(weight[size_t(t * k + j)]) * double(y[size_t(row[size_t(t * k + j)] * dim + i)]);
            ref_sum[size_t(t * dim + i)] = float(double(p.alpha) * res[size_t(t * dim + i)] + double(p.beta) * b);
        }
    cpu::rmsnorm(ref_sum.data(), w.data(), n, dim, p.eps, ref_y.data());
    s.close(what + ": sum against the CPU", rel_err(sum_b.download(ref_sum.size()), ref_sum), k_tol_f32);
    s.close(what + ": output against the CPU", rel_err(y_b.download(ref_y.size()), ref_y), k_tol_f32);
}

void elementwise(gpu_test::suite& s, gpu_test::rng& r, int64_t rows, int64_t I) {
    const std::vector<float> x = r.fill(size_t(rows * 2 * I), -4, 4, false), g = r.fill(size_t(rows * I), -4, 4, false);
    device_buffer<float> d_x, d_g;
    d_x.upload(x);
    d_g.upload(g);
    device_buffer<float> out(static_cast<size_t>(rows * I));
    // SwiGLU of stacked [gate | up] rows
    check(launch_swiglu(d_x.data(), out.data(), rows, I, nullptr), "swiglu");
    std::vector<float> ref(static_cast<size_t>(rows * I));
    for (int64_t t = 0; t < rows; ++t)
        for (int64_t i = 0; i < I; ++i)
            ref[size_t(t * I + i)] = cpu::silu(x[size_t(t * 2 * I + i)]) * x[size_t(t * 2 * I + I + i)];
    s.close(shape("SwiGLU", rows, I), rel_err(out.download(ref.size()), ref), k_tol_f32);
    // SwiGLU of bf16 rows into bf16 (the fast MoE prefill): cpu::silu(gate) · up of the bf16 inputs, rounded
    {
        device_buffer<bf16> x16(x.size()), a16(size_t(rows * I));
        upload_bf16(x16, x.data(), x.size());
        check(launch_swiglu_bf16(x16.data(), a16.data(), rows, I, nullptr), "swiglu bf16");
        std::vector<float> ref16(size_t(rows * I));
        for (int64_t t = 0; t < rows; ++t)
            for (int64_t i = 0; i < I; ++i)
                ref16[size_t(t * I + i)] = round_to_bf16(cpu::silu(round_to_bf16(x[size_t(t * 2 * I + i)])) *
                                                         round_to_bf16(x[size_t(t * 2 * I + I + i)]));
        s.close(shape("SwiGLU bf16", rows, I), rel_err(download_bf16(a16.data(), ref16.size()), ref16), k_tol_bf16);
    }
    // rows gathered by index and rounded to bf16 (the fast MoE prefill's expert inputs): exact
    {
        std::vector<int32_t> index(size_t(2 * rows));
        for (size_t i = 0; i < index.size(); ++i) index[i] = int32_t((i * 7 + 3) % size_t(rows));
        device_buffer<int32_t> d_index;
        d_index.upload(index);
        device_buffer<bf16> xg(size_t(2 * rows * 2 * I));
        check(launch_gather_rows_bf16(d_x.data(), d_index.data(), 2 * rows, 2 * I, xg.data(), nullptr), "gather");
        std::vector<float> refg(size_t(2 * rows * 2 * I));
        for (int64_t r = 0; r < 2 * rows; ++r)
            for (int64_t i = 0; i < 2 * I; ++i)
                refg[size_t(r * 2 * I + i)] = round_to_bf16(x[size_t(index[size_t(r)] * 2 * I + i)]);
        s.close(shape("row gather into bf16", 2 * rows, 2 * I), rel_err(download_bf16(xg.data(), refg.size()), refg),
                0.0);
    }
    // sigmoid gate
    check(launch_gate(d_x.data(), d_g.data(), out.data(), rows * I, nullptr), "gate");
    for (int64_t i = 0; i < rows * I; ++i) ref[size_t(i)] = x[size_t(i)] * cpu::sigmoid(g[size_t(i)]);
    s.close(shape("sigmoid gate", rows, I), rel_err(out.download(ref.size()), ref), k_tol_f32);
    {  // the same rounded to bf16 (the fast prefill's out_proj input)
        device_buffer<bf16> o16(size_t(rows * I));
        check(launch_gate_bf16(d_x.data(), d_g.data(), o16.data(), rows * I, nullptr), "gate bf16");
        std::vector<float> ref16(ref.size());
        for (size_t i = 0; i < ref.size(); ++i) ref16[i] = round_to_bf16(ref[i]);
        s.close(shape("sigmoid gate into bf16", rows, I), rel_err(download_bf16(o16.data(), ref16.size()), ref16),
                k_tol_bf16);
    }
    // SiLU in place
    check(launch_silu(d_g.data(), rows * I, nullptr), "silu");
    for (int64_t i = 0; i < rows * I; ++i) ref[size_t(i)] = cpu::silu(g[size_t(i)]);
    s.close(shape("SiLU", rows, I), rel_err(d_g.download(ref.size()), ref), k_tol_f32);
    // SiLU of bf16 values in place (the fast prefill's lightning q, k, v): cpu::silu of the bf16 input, rounded to
    // bf16 (an fp32 difference of an ulp can move a rounding by one bf16 step: the bf16 tolerance)
    device_buffer<bf16> g16(g.size());
    upload_bf16(g16, g.data(), g.size());
    check(launch_silu_bf16(g16.data(), rows * I, nullptr), "silu bf16");
    for (int64_t i = 0; i < rows * I; ++i) ref[size_t(i)] = round_to_bf16(cpu::silu(round_to_bf16(g[size_t(i)])));
    s.close(shape("SiLU bf16", rows, I), rel_err(download_bf16(g16.data(), ref.size()), ref), k_tol_bf16);
}

// y = x Wᵀ: bf16 operands (fp32 accumulation) and the fp32 path (router, LM head), against cpu::linear.
void products(gpu_test::suite& s, gpu_test::rng& r, cublasHandle_t h, int64_t n, int64_t in, int64_t out, bool f32) {
    const float sc = 1.0f / std::sqrt(float(in));
    const std::vector<float> x = r.fill(size_t(n * in), -1, 1), w = r.fill(size_t(out * in), -sc, sc, !f32);
    std::vector<float> ref(static_cast<size_t>(n * out));
    cpu::linear(x.data(), n, in, w.data(), out, ref.data());
    device_buffer<float> y(static_cast<size_t>(n * out));
    check(cudaMemset(y.data(), 0xff, y.bytes()), "poison");
    if (f32) {
        device_buffer<float> dx, dw;
        dx.upload(x);
        dw.upload(w);
        linear_f32(h, dx.data(), n, in, dw.data(), out, y.data());
    } else {
        device_buffer<bf16> dx(x.size()), dw(w.size());
        upload_bf16(dx, x.data(), x.size());
        upload_bf16(dw, w.data(), w.size());
        linear_bf16(h, dx.data(), n, in, dw.data(), out, y.data());
        device_buffer<bf16> y16(ref.size());  // the same product with a bf16 result: one rounding of the fp32 sum
        linear_bf16_out(h, dx.data(), n, in, dw.data(), out, y16.data());
        check(cudaDeviceSynchronize(), "gemm");
        s.close("bf16 linear, bf16 result n=" + std::to_string(n) + " " + std::to_string(in) + "->" +
                    std::to_string(out),
                rel_err(download_bf16(y16.data(), ref.size()), ref), k_tol_bf16);
    }
    check(cudaDeviceSynchronize(), "gemm");
    const std::string what = std::string(f32 ? "fp32 linear" : "bf16 linear") + " n=" + std::to_string(n) + " " +
                             std::to_string(in) + "->" + std::to_string(out);
    s.close(what, rel_err(y.download(ref.size()), ref), f32 ? k_tol_f32 : 1e-3);
}

// The backend's activation products: fp32 x that is NOT bf16-representable, bf16 weights. Fast mode (x rounded to
// bf16) within the bf16 tolerance; reference mode (x as hi + lo) within 1e-4 of the fp32 CPU product.
void activation_products(gpu_test::suite& s, gpu_test::rng& r, cublasHandle_t h, int64_t n, int64_t in, int64_t out) {
    const float sc = 1.0f / std::sqrt(float(in));
    const std::vector<float> x = r.fill(size_t(n * in), -1, 1, false), w = r.fill(size_t(out * in), -sc, sc);
    std::vector<float> ref(size_t(n * out));
    cpu::linear(x.data(), n, in, w.data(), out, ref.data());
    device_buffer<float> dx, y(size_t(n * out));
    dx.upload(x);
    device_buffer<bf16> dw(w.size()), scratch(size_t(2 * n * in));
    upload_bf16(dw, w.data(), w.size());
    for (bool split : {false, true}) {
        check(cudaMemset(y.data(), 0xff, y.bytes()), "poison");
        linear_act(h, nullptr, dx.data(), n, in, dw.data(), out, y.data(), scratch.data(), split);
        check(cudaDeviceSynchronize(), "gemm");
        const std::string what =
            std::string(split ? "fp32 activations as bf16 hi+lo" : "fp32 activations rounded to bf16") +
            " n=" + std::to_string(n) + " " + std::to_string(in) + "->" + std::to_string(out);
        s.close(what, rel_err(y.download(ref.size()), ref), split ? 1e-4 : k_tol_bf16);
    }
}

}  // namespace

int main() {
    return gpu_test::run_suite("tst_gpu_ops", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        embedding(s, r, 512, 64, 33);
        embedding(s, r, 20000, 6144, 17);
        for (bool br : {false, true}) {
            rmsnorm_fused(s, r, 5, 48, br);
            rmsnorm_fused(s, r, 200, 6144, br);  // rows in registers, one CTA a row
            rmsnorm_fused(s, r, 7, 8192, br);
            rmsnorm_fused(s, r, 700, 6144, br);  // >= 256 rows: streamed through shared memory
            rmsnorm_fused(s, r, 300, 8192, br);
            rmsnorm_fused(s, r, 260, 44, br);
        }
        rmsnorm_gated(s, r, 3, 48);
        rmsnorm_gated(s, r, 33, 8192);    // the lightning output of M1: rows in registers
        rmsnorm_gated(s, r, 5, 3 * 8192);  // longer than the registers hold: the two-pass loop
        rmsnorm_gated(s, r, 600, 8192);    // a prefill's rows: streamed
        rmsnorm_gated(s, r, 300, 3 * 8192);  // too long for two stages in shared memory: the two-pass loop
        rmsnorm_combine(s, r, 600, 6144, 2);  // M1's top-2 after its MoE
        rmsnorm_combine(s, r, 300, 44, 1);
        rmsnorm_combine(s, r, 100, 6144, 2);  // a short prefill: refused (launch_combine, then the norm)
        rmsnorm_combine(s, r, 300, 64, 3);    // more than two choices: refused
        elementwise(s, r, 3, 40);
        elementwise(s, r, 37, 9216);
        elementwise(s, r, 5, 37);  // no 8-wide vectors in a row: the scalar kernels, and SiLU's tail past the vectors
        cublas_handle h(nullptr);
        products(s, r, h.get(), 1, 6144, 8192, false);       // decode, attention width
        products(s, r, h.get(), 77, 6144, 3 * 8192, false);  // lightning qkv
        products(s, r, h.get(), 300, 8192, 6144, false);     // out_proj
        products(s, r, h.get(), 9, 64, 48, false);
        products(s, r, h.get(), 300, 6144, 32, true);   // router
        products(s, r, h.get(), 3, 6144, 50000, true);  // LM head (fp32)
        products(s, r, h.get(), 1, 48, 512, true);
        activation_products(s, r, h.get(), 1, 6144, 8192);
        activation_products(s, r, h.get(), 300, 6144, 3 * 8192);
        activation_products(s, r, h.get(), 33, 48, 64);
    });
}
