#include "engine/bench/bench_model_run.h"

#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_stage_clock.h"
#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cstdlib>
#include <cuda_profiler_api.h>
#include <span>

namespace m1::bench {

using namespace m1::cuda;

namespace {

// Token ids in [0, vocab): a 64-bit LCG, top bits (deterministic for a seed, no structure the model could exploit).
class id_source {
public:
    id_source(uint64_t seed, int64_t vocab) : m_z(seed * 0x9E3779B97F4A7C15ull + 1), m_vocab(uint64_t(vocab)) {}
    std::vector<int32_t> next(int64_t n) {
        std::vector<int32_t> ids(static_cast<size_t>(n));
        for (int32_t& id : ids) {
            m_z = m_z * 6364136223846793005ull + 1442695040888963407ull;
            id = int32_t((m_z >> 33) % m_vocab);
        }
        return ids;
    }

private:
    uint64_t m_z, m_vocab;
};

// One synchronous forward: returns seconds (host clock, after a device synchronisation).
double timed_forward(backend& be, backend_state& st, std::span<const int32_t> ids, float* logits) {
    const double t0 = now_s();
    be.forward(st, ids, logits_rows::last, logits);
    check(cudaDeviceSynchronize(), "synchronise after forward");
    return now_s() - t0;
}

}  // namespace

void run_model_bench(const model_run_options& o, bench_result& r) {
    const model_config& c = o.config;
    const auto peak = [&r] { r.peak_used_bytes = std::max(r.peak_used_bytes, used_bytes()); };
    r.baseline_used_bytes = used_bytes();
    r.peak_used_bytes = r.baseline_used_bytes;

    cuda_options opt;
    opt.precision = o.reference_precision ? cuda_precision::reference : cuda_precision::fast;
    opt.context = o.contexts.back() + std::max(o.decode_tokens, o.follow_up) + 1;
    opt.max_chunk = o.chunk;
    const double t_load = now_s();
    cuda_backend be(c, o.seed, opt);
    check(cudaDeviceSynchronize(), "synchronise after loading");
    r.load_s = now_s() - t_load;
    r.plan = be.plan().describe();
    r.chunk = be.plan().chunk;  // the one the backend took (o.chunk 0: its own choice)
    peak();

    id_source ids(o.seed, c.vocab_size);
    std::vector<float> logits(size_t(c.vocab_size));
    sampler_params greedy;
    greedy.temperature = 0;
    sampler pick(greedy, int32_t(c.vocab_size));

    {  // 1. warm-up on a throwaway state
        auto w = be.new_state();
        const std::vector<int32_t> first = ids.next(std::min(r.chunk, o.contexts.front()));
        timed_forward(be, *w, first, logits.data());
        for (int i = 0; i < 2; ++i) {
            const int32_t id = pick.argmax(logits);
            timed_forward(be, *w, std::span<const int32_t>(&id, 1), logits.data());
        }
        peak();
    }

    auto st = be.new_state();
    double cumulative = 0;
    stage_clock clock;  // installed around the prefill calls only, with o.stages (uninstalls itself on a throw)
    for (size_t i = 0; i < o.contexts.size(); ++i) {
        const int64_t ctx = o.contexts[i];
        const bool last = i + 1 == o.contexts.size();
        context_result cr;
        cr.context = ctx;
        double segment = 0;
        while (st->n_past() < ctx) {  // 2. continue the prefill to this context
            const int64_t m = std::min(o.call_tokens, ctx - st->n_past());
            const std::vector<int32_t> chunk_ids = ids.next(m);
            if (o.stages) stage_clock::install(&clock);
            segment += timed_forward(be, *st, chunk_ids, logits.data());
            stage_clock::install(nullptr);
            clock.collect();
            if (o.progress)
                o.progress("prefill " + std::to_string(st->n_past()) + " / " + std::to_string(ctx) +
                           " tokens: " + std::to_string(cumulative + segment) + " s");
        }
        cumulative += segment;
        cr.segment_s = segment;
        cr.prefill_s = cumulative;
        for (const stage_clock::stage_total& t : clock.totals())
            cr.stages.push_back(stage_time{t.stage, t.seconds, t.intervals});
        peak();
        const std::vector<float> prefix_logits = logits;  // the prefix's last row: the first decode input

        if (last && o.follow_up > 0) {  // 4. the follow-up question on a fork
            follow_up_result& f = r.follow_up;
            f.prefix = ctx;
            f.tokens = o.follow_up;
            try {
                const double t0 = now_s();
                auto fork = st->clone();
                check(cudaDeviceSynchronize(), "synchronise after clone");
                f.clone_s = now_s() - t0;
                const std::vector<int32_t> question = ids.next(o.follow_up);
                const double t1 = now_s();
                be.forward(*fork, question, logits_rows::last, logits.data());
                const int32_t first = pick.argmax(logits);
                check(cudaDeviceSynchronize(), "synchronise after the follow-up");
                f.forward_s = now_s() - t1;
                f.ttft_s = f.clone_s + f.forward_s;
                if (first < 0) f.error = "the sampler found no allowed token (NaN logits?)";
                peak();
            } catch (const std::exception& e) {
                f.error = e.what();
            }
        }

        {  // 3. decode at this context
            std::unique_ptr<backend_state> copy = last ? nullptr : st->clone();
            backend_state& target = last ? *st : *copy;
            int32_t id = pick.argmax(prefix_logits);
            std::vector<double> steps;
            // M1_BENCH_PROFILE_DECODE=1: the profiler sees steps 3 and 4 only (ncu --profile-from-start off)
            const bool profile = std::getenv("M1_BENCH_PROFILE_DECODE") != nullptr;
            for (int s = 0; s < o.decode_tokens; ++s) {
                if (profile && s == 3) cudaProfilerStart();
                if (profile && s == 5) cudaProfilerStop();
                steps.push_back(timed_forward(be, target, std::span<const int32_t>(&id, 1), logits.data()));
                const double t0 = now_s();
                id = pick.argmax(logits);
                steps.back() += now_s() - t0;
            }
            // The first step after a fork or a prefill reallocates the KV cache (see the header): it is kept out of
            // the median only when there are enough steps for the median not to need it.
            if (steps.size() > 4) steps.erase(steps.begin());
            cr.decode_s = median(steps);
            cr.decode_steps = int(steps.size());
            peak();
        }
        cr.used_bytes = used_bytes();
        r.contexts.push_back(cr);
        if (o.on_context) o.on_context(r);
    }
}

}  // namespace m1::bench
