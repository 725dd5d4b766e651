// The MoE block on the GPU against the CPU reference (engine/cpu/cpu_moe.h) fed the same bf16-rounded weights and
// inputs: routing (softmax, top-2, renormalise) must choose the same experts with the same weights, and the block's
// output must be within 1e-2 relative. Shapes: M1's real widths (hidden 6144, 32 experts × 9216; only the experts
// the tokens choose get values on the CPU side, the others are NaN on the GPU so that using one would show), a
// mid-size shape and a small one with many tokens per expert. The grouping kernel is checked against its CPU
// counterpart first.
#include "tests/gpu/gpu_moe_case.h"

using namespace m1;
using namespace m1::cuda;

namespace {

void run_shape(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t H, int64_t E, int64_t I, int64_t k,
               bool split) {
    const std::string name = std::string(split ? "hi+lo inputs " : "bf16 inputs ") + "n=" + std::to_string(n) +
                             " H=" + std::to_string(H) + " E=" + std::to_string(E) + " I=" + std::to_string(I) +
                             " top-" + std::to_string(k);
    gpu_test::moe_case mc = gpu_test::make_moe_case(r, n, H, E, I, k);

    cuda_stream stream;
    cublas_handle blas(stream.get());
    moe_workspace ws;
    moe_forward(blas.get(), stream.get(), mc.weights(), mc.input.data(), n, mc.out.data(), ws, split);
    stream.sync();

    // routing: the same experts in the same order, weights to fp32 rounding (tokens without a near-tie)
    using gpu_test::rows_where;
    const std::vector<uint8_t>& sure = mc.decisive;
    const int64_t ties = int64_t(std::count(sure.begin(), sure.end(), uint8_t(0)));
    const std::vector<int32_t> got_expert = ws.expert.download(size_t(n * k));
    const std::vector<float> got_weight = ws.weight.download(size_t(n * k));
    s.check(rows_where(got_expert, k, sure) == rows_where(mc.ref_route.expert, k, sure),
            name + ": routing chooses the CPU reference's experts, in order (" + std::to_string(mc.used.size()) +
                " experts used; " + std::to_string(ties) + " near-tied tokens left out)");
    s.close(name + ": routing weights",
            gpu_test::rel_err(rows_where(got_weight, k, sure), rows_where(mc.ref_route.weight, k, sure)), 1e-5);

    const std::vector<float> ref = mc.reference();
    s.close(name + ": MoE output (bf16 experts, fp32 accumulation)",
            gpu_test::rel_err(rows_where(mc.out.download(ref.size()), H, sure), rows_where(ref, H, sure)),
            split ? 1e-4 : 1e-2);
}

// The device grouping (launch_group) against its CPU counterpart (group_by_expert) on random routings: distinct
// experts per token, drawn from a skewed distribution (expert 0 takes about half the choices, so one expert
// spans many tiles and warps while others get few or no rows). Counts, gather and combine indices and combine
// weights must be identical. A routing with an expert out of range or repeated within a token is reported in
// count[E] with nothing else written.
void run_grouping(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t E, int64_t k) {
    const std::string name = "grouping n=" + std::to_string(n) + " E=" + std::to_string(E) + " top-" + std::to_string(k);
    std::vector<int32_t> expert(size_t(n * k));
    const std::vector<float> weight = r.fill(size_t(n * k), 0.0f, 1.0f, false);
    for (int64_t t = 0; t < n; ++t)
        for (int64_t j = 0; j < k; ++j) {
            int32_t e = 0;
            for (bool again = true; again;) {
                e = (r.next() & 1) ? 0 : int32_t(r.next() % uint64_t(E));
                again = false;
                for (int64_t i = 0; i < j; ++i) again = again || expert[size_t(t * k + i)] == e;
            }
            expert[size_t(t * k + j)] = e;
        }
    const moe_grouping ref = group_by_expert(expert, weight, n, E, k);
    device_buffer<int32_t> d_expert(expert.size()), count(size_t(E + 1)), index(size_t(2 * n * k)),
        tiles(size_t(group_scratch_ints(n, E)));
    device_buffer<float> d_weight(weight.size()), cweight(size_t(n * k));
    d_expert.upload(expert);
    d_weight.upload(weight);
    cuda_stream stream;
    const auto run = [&] {
        check(launch_group({d_expert.data(), d_weight.data(), n, E, k, count.data(), index.data(), cweight.data(),
                            tiles.data()},
                           stream.get()),
              "launch_group");
        stream.sync();
    };
    run();
    std::vector<int32_t> got_count = count.download(size_t(E + 1));
    s.check(got_count.back() == 0, name + ": no invalid choices reported");
    got_count.pop_back();
    s.check(got_count == ref.count, name + ": rows per expert as the CPU counts them");
    s.check(index.download(size_t(2 * n * k)) == ref.index, name + ": gather and combine indices as the CPU's");
    s.check(cweight.download(size_t(n * k)) == ref.cweight, name + ": combine weights as the CPU's");

    if (k > 1) {  // token n / 2 chooses its first expert twice
        std::vector<int32_t> bad = expert;
        bad[size_t((n / 2) * k + 1)] = bad[size_t((n / 2) * k)];
        d_expert.upload(bad);
        run();
        s.check(count.download(size_t(E + 1)).back() == 1, name + ": a repeated expert is counted as invalid");
    }
    std::vector<int32_t> out_of_range = expert;
    out_of_range[size_t(n * k - 1)] = int32_t(E);
    d_expert.upload(out_of_range);
    run();
    s.check(count.download(size_t(E + 1)).back() == 1, name + ": an expert id of E is counted as invalid");
    bool thrown = false;
    try {
        group_by_expert(out_of_range, weight, n, E, k);
    } catch (const cuda_error&) {
        thrown = true;
    }
    s.check(thrown, name + ": the CPU grouping refuses the same routing");
}

}  // namespace

int main() {
    return gpu_test::run_suite("tst_gpu_moe", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        run_grouping(s, r, 1, 4, 2);
        run_grouping(s, r, 300, 8, 2);
        run_grouping(s, r, 1025, 32, 2);   // a second tile of one token
        run_grouping(s, r, 8192, 16, 2);
        run_grouping(s, r, 32768, 16, 2);  // W16's chunk: 32 tiles
        run_grouping(s, r, 5000, 256, 8);  // the most experts the grouping takes, more choices a token
        run_grouping(s, r, 777, 3, 1);
        for (bool split : {false, true}) {
            run_shape(s, r, 300, 64, 8, 32, 2, split);
            run_shape(s, r, 1, 48, 4, 32, 2, split);  // decode
            run_shape(s, r, 64, 512, 16, 1024, 2, split);
        }
        run_shape(s, r, 50, 30, 4, 24, 2, false);  // hidden not a multiple of 4: scalar gather and combine
        run_shape(s, r, 4, 6144, 32, 9216, 2, false);  // M1 widths
        run_shape(s, r, 3, 6144, 32, 9216, 2, true);
    });
}
