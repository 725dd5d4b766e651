// The decode path of the CUDA backend (cuda_decode.h) piece by piece and whole:
//   * GEMV (cuda_decode_gemv.cuh) against a float64 product on the same bf16 weights, at M1's widths (9216 × 6144,
//     6144 × 9216, the fp32 LM head 200064 × 6144), 1 to 8 rows, odd shapes (scalar path) and expert tables, the
//     router's split-K kernel, the SiLU / gate / SwiGLU epilogues, with and without programmatic launches;
//   * flash-decoding (launch_attention_decode) against float64 softmax attention at 1 to 300,000 keys, fp32 and
//     bf16 caches, a grid sized for more keys than are live and the position read from device memory;
//   * the decode MoE block (moe_decode: SwiGLU and the experts' weighted sum in the GEMV epilogues) against
//     cpu::moe_layer, M1 widths included: same experts, 2e-5, with and without programmatic launches;
//   * the backend on a random tiny checkpoint: decode steps through the CUDA graph equal the steps without it bit
//     for bit (also across a KV-cache growth, which recaptures, and for a forked state), and equal the prefill
//     machinery and the CPU backend within tolerance (reference precision).
#include "engine/bench/bench_timer.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_decode_gemv.cuh"
#include "engine/model/model_presets.h"
#include "tests/gpu/gpu_check.h"
#include "tests/gpu/gpu_moe_case.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <unistd.h>

using namespace m1;
using namespace m1::cuda;
namespace fs = std::filesystem;

namespace {

std::string dims(std::initializer_list<int64_t> v) {
    std::string s;
    for (int64_t x : v) s += (s.empty() ? "" : "x") + std::to_string(x);
    return s;
}

// Seconds per product of `count` back-to-back launches of p (the median of 3 timed batches after one untimed one).
double launch_seconds(const gemv_params& p, int count) {
    const auto batch = [&] {
        for (int i = 0; i < count; ++i) check(launch_gemv(p, nullptr), "gemv");
    };
    return bench::event_median_s(batch, 1, 3) / count;
}

// y (P, n, N) against float64; w holds the weights as floats (already bf16-rounded when bf16).
void gemv_case(gpu_test::suite& s, gpu_test::rng& r, int64_t N, int64_t K, int n, bool f32, int64_t E = 0,
               int64_t P = 1, int64_t x_group = 1, bool time_it = false) {
    const int64_t mats = std::max<int64_t>(E, 1);
    const float sw = 1.0f / std::sqrt(float(K));
    const std::vector<float> w = r.fill(size_t(mats * N * K), -sw, sw, !f32);
    const int64_t x_rows = (P + x_group - 1) / x_group;
    const std::vector<float> x = r.fill(size_t(x_rows * n * K), -2, 2, false);
    std::vector<int32_t> expert(size_t(P), 0);
    for (auto& e : expert) e = E ? int32_t(r.next() % uint64_t(E)) : 0;
    device_buffer<bf16> w16;
    device_buffer<float> w32, dx, dy(size_t(P * n * N));
    device_buffer<int32_t> dexp;
    if (f32)
        w32.upload(w);
    else {
        w16.reserve(w.size());
        upload_bf16(w16, w.data(), w.size());
    }
    dx.upload(x);
    dexp.upload(expert);
    for (gemv_schedule sched : {gemv_schedule::rows, gemv_schedule::units}) {
    check(cudaMemset(dy.data(), 0xff, dy.bytes()), "poison");
    gemv_params p{};
    p.schedule = sched;
    p.w = f32 ? static_cast<const void*>(w32.data()) : static_cast<const void*>(w16.data());
    p.w_f32 = f32;
    p.N = N;
    p.K = K;
    p.w_stride = N * K;
    p.expert = E ? dexp.data() : nullptr;
    p.problems = P;
    p.x = dx.data();
    p.x_group = x_group;
    p.x_stride = n * K;
    p.ldx = K;
    p.n = n;
    p.y = dy.data();
    p.y_stride = n * N;
    p.ldy = N;
    check(launch_gemv(p, nullptr), "gemv");
    check(cudaDeviceSynchronize(), "gemv");
    const std::vector<float> got = dy.download(size_t(P * n * N));
    std::vector<double> ref(got.size());
    for (int64_t q = 0; q < P; ++q)
        for (int t = 0; t < n; ++t) {
            const float* xr = x.data() + (q / x_group) * n * K + t * K;
            const float* wm = w.data() + expert[size_t(q)] * N * K;
            for (int64_t row = 0; row < N; ++row) {
                double a = 0;
                for (int64_t k = 0; k < K; ++k) a += double(wm[row * K + k]) * double(xr[k]);
                ref[size_t((q * n + t) * N + row)] = a;
            }
        }
    const std::string what = std::string("GEMV ") + (f32 ? "fp32" : "bf16") + " W " + dims({N, K}) + ", " +
                             std::to_string(n) + " rows" + (E ? ", " + std::to_string(P) + " problems over " +
                                                                    std::to_string(E) + " experts" : "");
    s.close(what + (sched == gemv_schedule::units ? ", units" : ", rows") + " vs float64",
            gpu_test::rel_err(got, ref), 1e-5);
    if (!time_it) continue;
    const double sec = launch_seconds(p, 20);
    const double bytes = double(N * K) * (f32 ? 4 : 2);
    std::printf("  info %s, %s: %.1f us, %.2f TB/s of weights (20 back-to-back, median of 3)\n", what.c_str(),
                sched == gemv_schedule::units ? "units" : "rows", 1e6 * sec, bytes / sec / 1e12);
    }
}

// The epilogues of a single-matrix GEMV against float64: SiLU, the gate (aux read from the output buffer itself),
// SwiGLU (rows r and r + N of a (2N, K) matrix), each with and without programmatic dependent launch; and a small
// product (N = 16, the router) through the split-K kernel.
void gemv_epilogue_case(gpu_test::suite& s, gpu_test::rng& r, gemv_epilogue ep, int64_t N, int64_t K, int n, bool pdl,
                        gemv_schedule sched, bool f32 = false) {
    const int64_t rows = ep == gemv_epilogue::swiglu ? 2 * N : N;
    const float sw = 1.0f / std::sqrt(float(K));
    const std::vector<float> w = r.fill(size_t(rows * K), -sw, sw, !f32);
    const std::vector<float> x = r.fill(size_t(n * K), -2, 2, false);
    const std::vector<float> aux = r.fill(size_t(n * N), -3, 3, false);
    device_buffer<bf16> w16;
    device_buffer<float> w32, dx, dy;
    if (f32) {
        w32.upload(w);
    } else {
        w16.reserve(w.size());
        upload_bf16(w16, w.data(), w.size());
    }
    dx.upload(x);
    dy.upload(aux);  // the gate reads its other factor from the output buffer; the rest overwrite it
    gemv_params p{};
    p.w = f32 ? static_cast<const void*>(w32.data()) : static_cast<const void*>(w16.data());
    p.w_f32 = f32;
    p.N = N;
    p.K = K;
    p.x = dx.data();
    p.ldx = K;
    p.n = n;
    p.y = dy.data();
    p.ldy = N;
    p.epilogue = ep;
    p.aux = dy.data();
    p.ldaux = N;
    p.pair = N;
    p.pdl = pdl;
    p.schedule = sched;
    check(launch_gemv(p, nullptr), "gemv");
    check(cudaDeviceSynchronize(), "gemv");
    const std::vector<float> got = dy.download(size_t(n * N));
    std::vector<double> ref(got.size());
    const auto dot = [&](int64_t row, int t) {
        double a = 0;
        for (int64_t k = 0; k < K; ++k) a += double(w[size_t(row * K + k)]) * double(x[size_t(t * K + k)]);
        return a;
    };
    const auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    for (int t = 0; t < n; ++t)
        for (int64_t row = 0; row < N; ++row) {
            const double a = dot(row, t);
            double v = a;
            if (ep == gemv_epilogue::silu) v = a * sig(a);
            if (ep == gemv_epilogue::gate) v = double(aux[size_t(t * N + row)]) * sig(a);
            if (ep == gemv_epilogue::swiglu) v = a * sig(a) * dot(row + N, t);
            ref[size_t(t * N + row)] = v;
        }
    static const char* names[] = {"none", "SiLU", "gate", "SwiGLU", "combine"};
    s.close(std::string("GEMV ") + (f32 ? "fp32" : "bf16") + " " + dims({N, K}) + ", " + std::to_string(n) +
                " rows, epilogue " + names[int(ep)] + (sched == gemv_schedule::units ? ", units" : ", rows") +
                (pdl ? ", programmatic launch" : "") + " vs float64",
            gpu_test::rel_err(got, ref), 1e-5);
}

// The decode step's products at M1's widths (W16's 16 experts), each schedule, ordinary and programmatic launches:
// time per product (64 back-to-back launches, median of 3 batches) and weight bandwidth. Information lines: the
// numbers behind the automatic schedule choice (tests/bench/RESULTS.md).
void gemv_shape_timing() {
    struct shape {
        const char* name;
        int64_t N, K, E, P;
        gemv_epilogue ep;
        bool f32;
    };
    const shape shapes[] = {
        {"lightning qkv + SiLU", 3 * 8192, 6144, 0, 1, gemv_epilogue::silu, false},
        {"output gate", 8192, 6144, 0, 1, gemv_epilogue::gate, false},
        {"out_proj", 6144, 8192, 0, 1, gemv_epilogue::none, false},
        {"experts w1/w3 + SwiGLU (2 of 16)", 9216, 6144, 16, 2, gemv_epilogue::swiglu, false},
        {"experts w2 + weighted sum (2 of 16)", 6144, 9216, 16, 1, gemv_epilogue::combine, false},
        {"router (fp32)", 16, 6144, 0, 1, gemv_epilogue::none, true},
        {"LM head (bf16)", 200064, 6144, 0, 1, gemv_epilogue::none, false},
    };
    for (const shape& sh : shapes) {
        const int64_t mats = std::max<int64_t>(sh.E, 1);
        const int64_t rows = sh.ep == gemv_epilogue::swiglu ? 2 * sh.N : sh.N;
        const size_t elems = size_t(mats * rows * sh.K), esz = sh.f32 ? 4 : 2;
        device_buffer<char> w{elems * esz};
        device_buffer<float> x{size_t(2 * std::max(sh.K, sh.N))}, y{size_t(2 * sh.N)}, rw;
        device_buffer<int32_t> ex;
        check(cudaMemset(w.data(), 0, w.bytes()), "zero");
        check(cudaMemset(x.data(), 0, x.bytes()), "zero");
        check(cudaMemset(y.data(), 0, y.bytes()), "zero");
        ex.upload(std::vector<int32_t>{11, 3});
        rw.upload(std::vector<float>{0.6f, 0.4f});
        for (gemv_schedule sched : {gemv_schedule::rows, gemv_schedule::units})
            for (bool pdl : {false, true}) {
                gemv_params p{};
                p.w = w.data();
                p.w_f32 = sh.f32;
                p.N = sh.N;
                p.K = sh.K;
                p.w_stride = rows * sh.K;
                p.expert = sh.E ? ex.data() : nullptr;
                p.problems = sh.P;
                p.x = x.data();
                p.x_group = sh.ep == gemv_epilogue::swiglu ? 2 : 1;
                p.x_stride = sh.K;
                p.ldx = sh.K;
                p.y = y.data();
                p.y_stride = sh.N;
                p.ldy = sh.N;
                p.epilogue = sh.ep;
                p.aux = y.data();
                p.ldaux = sh.N;
                p.pair = sh.N;
                p.route_weight = rw.data();
                p.k = 2;
                p.pdl = pdl;
                p.schedule = sched;
                const double sec = launch_seconds(p, 64);
                const double bytes = double(std::min<int64_t>(mats, 2) * rows * sh.K) * double(esz);
                std::printf("  info GEMV timing %-36s %-5s %-12s %7.1f us  %.2f TB/s\n", sh.name,
                            sched == gemv_schedule::units ? "units" : "rows", pdl ? "programmatic" : "ordinary",
                            1e6 * sec, bytes / sec / 1e12);
            }
    }
}

void attention_case(gpu_test::suite& s, gpu_test::rng& r, int64_t keys, int64_t n, int64_t nh, int64_t g, bool f32,
                    int64_t extra_capacity) {
    const int64_t d = 128, KV = g * d, pos0 = keys - n, total = keys + extra_capacity;
    const std::vector<float> q = r.fill(size_t(n * nh * d), -1, 1, false);
    const std::vector<float> k = r.fill(size_t(keys * KV), -1, 1, !f32);
    const std::vector<float> v = r.fill(size_t(keys * KV), -1, 1, !f32);
    device_buffer<float> dq, dout(size_t(n * nh * d)), part;
    dq.upload(q);
    device_buffer<char> kc(size_t(total * KV) * (f32 ? 4 : 2)), vc(size_t(total * KV) * (f32 ? 4 : 2));
    if (f32) {
        check(cudaMemcpy(kc.data(), k.data(), k.size() * 4, cudaMemcpyHostToDevice), "upload");
        check(cudaMemcpy(vc.data(), v.data(), v.size() * 4, cudaMemcpyHostToDevice), "upload");
    } else {
        std::vector<uint16_t> kb(k.size()), vb(v.size());
        for (size_t i = 0; i < k.size(); ++i) kb[i] = float_to_bf16_bits(k[i]), vb[i] = float_to_bf16_bits(v[i]);
        check(cudaMemcpy(kc.data(), kb.data(), kb.size() * 2, cudaMemcpyHostToDevice), "upload");
        check(cudaMemcpy(vc.data(), vb.data(), vb.size() * 2, cudaMemcpyHostToDevice), "upload");
    }
    check(cudaMemset(dout.data(), 0xff, dout.bytes()), "poison");
    device_buffer<int64_t> dpos;
    dpos.upload(std::vector<int64_t>{pos0});
    attention_decode_params p{};
    p.a.q = dq.data();
    p.a.ld_q = nh * d;
    p.a.k_cache = kc.data();
    p.a.v_cache = vc.data();
    p.a.kv_f32 = f32;
    p.a.n = n;
    p.a.n_heads = nh;
    p.a.n_kv_heads = g;
    p.a.d = d;
    p.a.pos0 = extra_capacity ? -12345 : pos0;  // must be ignored when the position comes from the device
    p.a.scale = float(1.0 / std::sqrt(double(d)));
    p.a.o = dout.data();
    p.pos_dev = extra_capacity ? dpos.data() : nullptr;
    p.max_keys = total;
    part.reserve(attention_decode_scratch_floats(n, nh, d, total));
    p.part = part.data();
    check(launch_attention_decode(p, nullptr), "attention decode");
    check(cudaDeviceSynchronize(), "attention decode");
    const std::vector<float> got = dout.download(size_t(n * nh * d));
    std::vector<double> ref(got.size());
    const double scale = 1.0 / std::sqrt(double(d));
    std::vector<double> sc(static_cast<size_t>(keys));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t h = 0; h < nh; ++h) {
            const int64_t kvh = h / (nh / g), live = pos0 + t + 1;
            double mx = -INFINITY;
            for (int64_t j = 0; j < live; ++j) {
                double a = 0;
                for (int64_t x = 0; x < d; ++x)
                    a += double(q[size_t(t * nh * d + h * d + x)]) * double(k[size_t(j * KV + kvh * d + x)]);
                sc[size_t(j)] = a * scale;
                mx = std::max(mx, sc[size_t(j)]);
            }
            double sum = 0;
            for (int64_t j = 0; j < live; ++j) sum += (sc[size_t(j)] = std::exp(sc[size_t(j)] - mx));
            for (int64_t x = 0; x < d; ++x) {
                double o = 0;
                for (int64_t j = 0; j < live; ++j) o += sc[size_t(j)] * double(v[size_t(j * KV + kvh * d + x)]);
                ref[size_t(t * nh * d + h * d + x)] = o / sum;
            }
        }
    s.close("flash-decoding " + std::to_string(keys) + " keys, " + std::to_string(n) + " queries, " +
                std::to_string(nh) + "/" + std::to_string(g) + " heads, " + (f32 ? "fp32" : "bf16") + " cache" +
                (extra_capacity ? ", grid for " + std::to_string(total) + " keys, position from the device" : "") +
                " vs float64",
            gpu_test::rel_err(got, ref), 2e-5);
}

void moe_case(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t H, int64_t E, int64_t I, int64_t k) {
    const std::string name = "MoE decode n=" + std::to_string(n) + " H=" + std::to_string(H) + " E=" +
                             std::to_string(E) + " I=" + std::to_string(I) + " top-" + std::to_string(k);
    gpu_test::moe_case mc = gpu_test::make_moe_case(r, n, H, E, I, k);
    cuda_stream stream;
    moe_workspace ws;
    const std::vector<float> ref = mc.reference();
    for (bool pdl : {false, true}) {
        moe_decode(stream.get(), mc.weights(), mc.input.data(), n, mc.out.data(), ws, pdl);
        stream.sync();
        const std::string how = pdl ? " (programmatic launches)" : "";
        using gpu_test::rows_where;
        const std::vector<uint8_t>& sure = mc.decisive;  // tokens without a near-tie (gpu_moe_case.h)
        s.check(rows_where(ws.expert.download(size_t(n * k)), k, sure) == rows_where(mc.ref_route.expert, k, sure),
                name + how + ": routing chooses the CPU reference's experts (" + std::to_string(mc.used.size()) +
                    " used; " + std::to_string(std::count(sure.begin(), sure.end(), uint8_t(0))) +
                    " near-tied tokens left out)");
        s.close(name + how + ": output vs cpu::moe_layer",
                gpu_test::rel_err(rows_where(mc.out.download(ref.size()), H, sure), rows_where(ref, H, sure)), 2e-5);
    }
}

// Logits of `steps` single-token forwards after a prefill of `prefix` tokens; fork_at >= 0 clones the state there
// and continues the clone instead (the original is dropped).
std::vector<float> decode_run(backend& be, const std::vector<int32_t>& ids, size_t prefix, int fork_at = -1) {
    const int64_t V = be.config().vocab_size;
    auto st = be.new_state();
    std::vector<float> out((ids.size() - prefix) * size_t(V));
    std::vector<float> scratch(static_cast<size_t>(V));
    be.forward(*st, std::span<const int32_t>(ids.data(), prefix), logits_rows::last, scratch.data());
    for (size_t i = prefix; i < ids.size(); ++i) {
        if (int(i - prefix) == fork_at) {
            auto other = st->clone();
            const int32_t other_id = int32_t((ids[i] + 1) % V);  // the original goes another way, then is dropped
            be.forward(*st, std::span<const int32_t>(&other_id, 1), logits_rows::last, scratch.data());
            st = std::move(other);
        }
        be.forward(*st, std::span<const int32_t>(&ids[i], 1), logits_rows::last, out.data() + (i - prefix) * V);
    }
    return out;
}

void backend_cases(gpu_test::suite& s, gpu_test::rng& r) {
    const fs::path dir = fs::temp_directory_path() / ("m1_gpu_decode_" + std::to_string(::getpid()));
    make_model_options o;
    o.out_dir = dir.string();
    o.config = preset_config("tiny", 512);
    o.seed = r.next() % 1000;
    o.tokenizer_json = "{}";
    o.tokenizer_config_json = "{}";
    make_random_model(o);
    std::unique_ptr<checkpoint> ck = checkpoint::open(dir.string());
    std::vector<int32_t> ids(1060);
    for (auto& id : ids) id = int32_t(r.next() % 512);
    for (cuda_precision prec : {cuda_precision::reference, cuda_precision::fast}) {
        const std::string mode = prec == cuda_precision::reference ? "reference" : "fast";
        cuda_options graphs, plain_steps, old_path;
        graphs.precision = plain_steps.precision = old_path.precision = prec;
        plain_steps.decode_graphs = false;
        old_path.decode_kernels = false;
        cuda_backend be_graph(*ck, graphs), be_steps(*ck, plain_steps), be_old(*ck, old_path);
        // 1000 cached tokens, then 60 steps: the KV cache grows at 1024 (the graph is captured again).
        const std::vector<float> a = decode_run(be_graph, ids, 1000), b = decode_run(be_steps, ids, 1000);
        s.check(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0,
                mode + ": 60 decode steps through CUDA graphs (across a KV-cache growth) equal the steps without, bit "
                       "for bit");
        const std::vector<float> fa = decode_run(be_graph, ids, 1000, 7), fb = decode_run(be_steps, ids, 1000, 7);
        s.check(std::memcmp(fa.data(), fb.data(), fa.size() * 4) == 0 &&
                    std::memcmp(fa.data(), a.data(), fa.size() * 4) == 0,
                mode + ": a forked state continues exactly (its own graph), bit for bit");
        // The rest compares different arithmetic (fp32 GEMV inputs against the prefill machinery's bf16 or hi + lo
        // inputs); in the fast precision a near-tie of the MoE routing may flip there (spec §11.16), so only the
        // reference precision is held to a tolerance.
        if (prec == cuda_precision::fast) continue;
        s.close(mode + ": decode path vs the prefill machinery one token at a time",
                gpu_test::rel_err(a, decode_run(be_old, ids, 1000)), 1e-4);
        // Steps of 2..8 tokens (no graph) against the prefill machinery.
        std::vector<float> got, want;
        for (auto* be : {&be_graph, &be_old}) {
            auto st = be->new_state();
            std::vector<float>& out = be == &be_graph ? got : want;
            size_t done = 0;
            for (size_t m : {3, 8, 2, 5, 7}) {
                std::vector<float> rows(m * 512);
                be->forward(*st, std::span<const int32_t>(ids.data() + done, m), logits_rows::all, rows.data());
                out.insert(out.end(), rows.begin(), rows.end());
                done += m;
            }
        }
        s.close(mode + ": multi-token decode steps (2..8 tokens, all rows) vs the prefill machinery",
                gpu_test::rel_err(got, want), 1e-4);
        cpu::cpu_backend cpu_be(*ck);
        const std::vector<int32_t> short_ids(ids.begin(), ids.begin() + 100);
        s.close(mode + ": decode steps through CUDA graphs vs the CPU backend",
                gpu_test::rel_err(decode_run(be_graph, short_ids, 60), decode_run(cpu_be, short_ids, 60)), 1e-4);
    }
    fs::remove_all(dir);
}

}  // namespace

int main() {
    return gpu_test::run_suite("tst_gpu_decode", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        gemv_case(s, r, 9216, 6144, 1, false, 0, 1, 1, true);
        gemv_case(s, r, 9216, 6144, 8, false);
        gemv_case(s, r, 6144, 9216, 3, false, 0, 1, 1, true);
        gemv_case(s, r, 200064, 6144, 1, true, 0, 1, 1, true);
        gemv_case(s, r, 37, 50, 5, false);        // scalar path
        gemv_case(s, r, 33, 20, 2, true);         // scalar path, fp32
        gemv_case(s, r, 64, 96, 1, false, 3, 6, 2);  // expert table, two problems per input row
        gemv_case(s, r, 16, 6144, 1, true);          // the router: split-K kernel
        gemv_case(s, r, 16, 6144, 3, true, 0, 1, 1, true);
        for (gemv_schedule sched : {gemv_schedule::rows, gemv_schedule::units})
            for (bool pdl : {false, true}) {
                gemv_epilogue_case(s, r, gemv_epilogue::silu, 3 * 8192, 6144, 1, pdl, sched);  // lightning q/k/v
                gemv_epilogue_case(s, r, gemv_epilogue::gate, 8192, 6144, 2, pdl, sched);      // output gate
                gemv_epilogue_case(s, r, gemv_epilogue::swiglu, 9216, 6144, 1, pdl, sched);    // an expert's w1/w3
                gemv_epilogue_case(s, r, gemv_epilogue::none, 6144, 8192, 4, pdl, sched);
                gemv_epilogue_case(s, r, gemv_epilogue::silu, 37, 50, 3, pdl, sched);  // scalar path
                gemv_epilogue_case(s, r, gemv_epilogue::none, 16, 6144, 8, pdl, sched, true);  // fp32, few rows
            }
        gemv_shape_timing();
        for (bool f32 : {true, false}) {
            for (int64_t keys : {1, 2, 1000, 1024, 1025, 5000}) attention_case(s, r, keys, 1, 8, 2, f32, 0);
            attention_case(s, r, 4099, 3, 8, 2, f32, 0);
            attention_case(s, r, 3000, 1, 8, 2, f32, 5000);
        }
        attention_case(s, r, 300000, 1, 16, 2, false, 0);
        attention_case(s, r, 300000, 2, 16, 2, true, 1000);
        moe_case(s, r, 1, 6144, 32, 9216, 2);
        moe_case(s, r, 8, 256, 8, 128, 2);
        moe_case(s, r, 5, 64, 4, 32, 3);
        backend_cases(s, r);
    });
}
