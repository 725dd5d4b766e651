// The CUDA memory planner. Pure arithmetic checks run everywhere (no GPU needed): the full MiniMax-M1 (456 B
// parameters, so ~912 GB in bf16 by the model card's count) is refused for one 141 GB GPU with a message that names
// the numbers and the options; the W16 benchmark configuration (real widths, 16 layers, ~99 GB of bf16 weights by
// the count) fits one H200 with a 1,048,576-token KV cache and takes the longest automatic prefill chunk
// there (shorter ones on less memory). With a GPU, the backend itself refuses the full model before allocating
// anything.
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_memory_plan.h"
#include "engine/model/model_presets.h"
#include "tests/gpu/gpu_check.h"

using namespace m1;

namespace {

model_config full_m1() {
    model_config c = preset_config("w16", 200064);
    c.num_layers = 80;
    c.num_experts = 32;
    c.layers.assign(80, layer_kind::lightning);
    for (size_t l = 7; l < 80; l += 8) c.layers[l] = layer_kind::softmax;  // attn_type_list: softmax every 8th
    c.validate("full M1 (test)");
    return c;
}

}  // namespace

int main() {
    gpu_test::suite s("tst_gpu_memory_plan");
    try {
        const size_t h200 = size_t(141) * 1000 * 1000 * 1000;
        const model_config m1c = full_m1();
        const cuda::memory_plan full = cuda::plan_memory(m1c, 131072, 4096);
        std::printf("  full M1: %s\n", full.describe().c_str());
        s.check(full.weights > size_t(900e9) && full.weights < size_t(930e9),
                "full M1 weights are ~912 GB (456 B parameters in bf16, bf16 LM head): " + full.describe());
        bool refused = false;
        try {
            cuda::check_plan_fits(full, h200, "full-m1");
        } catch (const cuda::memory_plan_error& e) {
            const std::string msg = e.what();
            std::printf("  message: %s\n", msg.c_str());
            refused = msg.find("full-m1") != std::string::npos && msg.find("does not fit") != std::string::npos &&
                      msg.find("several GPUs") != std::string::npos && msg.find("141.0 GB") != std::string::npos;
        }
        s.check(refused, "full M1 is refused on one 141 GB GPU, naming the origin, the free memory and the options");

        const model_config w16 = preset_config("w16", 200064);
        const cuda::memory_plan big = cuda::plan_memory(w16, 1048576, 4096);
        std::printf("  W16 at 1M: %s\n", big.describe().c_str());
        s.check(big.weights > size_t(95e9) && big.weights < size_t(105e9), "W16 weights are ~99 GB");
        s.check(big.kv_cache == size_t(2) * 1048576 * 2 * 1024 * 2,
                "W16 KV cache: 2 softmax layers x 1M x (k, v) x 1024 x bf16");
        s.check(big.total() < h200 - size_t(4e9), "W16 with a 1M-token context fits one H200 with room to spare");
        bool short_refused = false;
        try {
            cuda::check_plan_fits(big, size_t(100e9), "w16");
        } catch (const cuda::memory_plan_error& e) {
            short_refused = std::string(e.what()).find("shorter context") != std::string::npos ||
                            std::string(e.what()).find("smaller checkpoint") != std::string::npos;
        }
        s.check(short_refused, "W16 is refused on a 100 GB budget with the options named");

        // The chunk a backend takes by itself: the longest that leaves the reserve free, halved until one does
        const int64_t ctx = 1048576;
        const auto fits = [&](int64_t chunk, size_t bytes) {
            return cuda::plan_memory(w16, ctx, chunk).total() + cuda::k_auto_chunk_reserve <= bytes;
        };
        const int64_t roomy = cuda::choose_chunk(w16, ctx, h200);
        s.check(roomy == cuda::k_auto_chunk_max && fits(roomy, h200),
                "W16 at 1M on a 141 GB GPU takes the longest chunk, " + std::to_string(roomy));
        const int64_t longest = cuda::k_auto_chunk_max;
        const size_t tight = cuda::plan_memory(w16, ctx, longest).total() + cuda::k_auto_chunk_reserve - 1;
        const int64_t halved = cuda::choose_chunk(w16, ctx, tight);
        s.check(halved == longest / 2 && fits(halved, tight) && !fits(longest, tight),
                "a GPU one byte short of the longest chunk's plan gets chunks half as long, " + std::to_string(halved));
        const int64_t block = w16.lightning_block;
        s.check(cuda::choose_chunk(w16, ctx, size_t(50e9)) == block,
                "when nothing fits, the smallest chunk (one lightning block), for check_plan_fits to refuse");
        s.check(cuda::choose_chunk(w16, 1000, h200) == (1000 + block - 1) / block * block,
                "a 1,000-token context gets no chunk longer than itself rounded up to a block");

        std::string why;
        if (gpu_test::gpu_visible(why)) {
            std::string msg;
            try {
                cuda::cuda_backend be(m1c, 1);  // random weights: the plan refuses before anything is allocated
            } catch (const cuda::memory_plan_error& e) {
                msg = e.what();
            }
            std::printf("  backend: %s\n", msg.c_str());
            s.check(msg.find("does not fit") != std::string::npos,
                    "cuda_backend refuses the full M1 configuration before allocating anything");
        } else {
            std::printf("  (no GPU: the backend refusal is not exercised: %s)\n", why.c_str());
        }
    } catch (const std::exception& e) {
        s.check(false, std::string("exception: ") + e.what());
    }
    return s.finish();
}
