// Random weights generated on the GPU (cuda_random.cuh) against the ones `m1 make-model` writes through
// m1::random_tensor_values on the CPU: a checkpoint written by make_random_model and loaded into the CUDA backend,
// and the same config and seed generated on the GPU, must give bit-identical logits (every tensor equal), and a
// different seed must not.
#include "engine/cuda/cuda_backend.h"
#include "engine/model/model_presets.h"
#include "engine/model/session.h"
#include "tests/gpu/gpu_check.h"

#include <filesystem>
#include <span>

using namespace m1;
namespace fs = std::filesystem;

int main() {
    return gpu_test::run_suite("tst_gpu_random_weights", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        const uint64_t seed = r.next() % 1000;
        const fs::path dir = fs::temp_directory_path() / ("m1_gpu_random_" + std::to_string(::getpid()));
        make_model_options o;
        o.out_dir = dir.string();
        o.config = preset_config("tiny", 512);
        o.seed = seed;
        o.tokenizer_json = "{}";
        o.tokenizer_config_json = "{}";
        make_random_model(o);
        std::vector<int32_t> ids(300);
        for (auto& id : ids) id = int32_t(r.next() % 512);
        const auto logits = [&](backend& be) {
            session ss(be);
            std::vector<float> out(ids.size() * size_t(be.config().vocab_size));
            ss.prefill(std::span<const int32_t>(ids), 0, {}, out.data());
            return out;
        };
        std::vector<float> from_disk, from_gpu, other_seed;
        {
            std::unique_ptr<checkpoint> ck = checkpoint::open(dir.string());
            cuda::cuda_backend be(*ck);
            from_disk = logits(be);
        }
        fs::remove_all(dir);
        {
            cuda::cuda_backend be(o.config, seed);
            from_gpu = logits(be);
        }
        {
            cuda::cuda_backend be(o.config, seed + 1);
            other_seed = logits(be);
        }
        s.check(from_disk == from_gpu, "tiny preset, seed " + std::to_string(seed) +
                                           ": GPU-generated weights give the written checkpoint's logits bit for bit");
        s.check(from_disk != other_seed, "another seed gives other logits");
    });
}
