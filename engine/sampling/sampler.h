// Picks the next token from one row of logits: temperature, top-k, top-p (nucleus), a seeded generator, and the
// ids that must never come out.
//
// Order of operations (as in HF transformers' and vLLM's samplers): drop forbidden ids; temperature 0 (or
// top_k == 1) is greedy argmax; otherwise keep the top_k best logits, turn the kept logits into probabilities
// softmax(logit / temperature), keep the smallest set of most probable ids whose mass reaches top_p, and draw from
// that set renormalised. Ties between equal logits are broken towards the smaller id, so the kept set is always
// well defined.
//
// Forbidden ids: every id >= valid_vocab (MiniMax-M1's logits are 200064 wide, its tokenizer has 200036 ids; the
// padding rows may hold any value), every id in the banned set (e.g. all-zero LM-head rows, whose logit 0 can beat
// real tokens), and every logit that is -inf or NaN.
//
// Cost: O(V) for the filtering and the softmax; top-k uses a k-element heap, top-p a histogram of the mass and
// then nth_element inside one histogram bucket, never a full sort (timings in tests/bench/RESULTS.md).
//
// Determinism: the same seed and the same logits give the same ids: the random numbers come from our own PRNG
// (rng.h), not from <random>'s library-specific distributions, and the draw walks the kept ids in id order, not in
// whatever order a selection left them. (Only std::exp's last bit may differ between math libraries, which can
// move a draw that lands exactly on a probability boundary.) Greedy sampling does not consume random numbers.
// Thread-safety: one sampler per generation stream.
#pragma once

#include "engine/sampling/rng.h"

#include <cstdint>
#include <span>
#include <vector>

namespace m1 {

// MiniMax-M1's <end_of_sentence>: generation stops when it is sampled (spec §8).
inline constexpr int32_t k_m1_end_of_sentence = 200020;

struct sampler_params {
    float temperature = 1.0f;  // 0 = greedy; the spec recommends 1.0 for M1
    float top_p = 1.0f;        // 1 = off; the spec recommends 0.95
    int32_t top_k = 0;         // 0 = off
    uint64_t seed = 0;
};

class sampler {
public:
    // valid_vocab: the tokenizer's size; ids at or above it are never returned.
    sampler(const sampler_params& params, int32_t valid_vocab);

    // Ids that must never be sampled (in addition to ids >= valid_vocab). Replaces the previous set.
    void set_banned_ids(std::span<const int32_t> ids);
    bool is_banned(int32_t id) const;

    // One token from logits (V) of one position. Returns -1 only when no id is allowed (all forbidden, -inf or NaN).
    // Unless greedy, takes exactly one number from the generator (also when the row turns out to allow nothing or
    // holds +inf), so that a sampler working elsewhere (the GPU's, cuda_sampling.cuh) can be handed the same draw.
    int32_t sample(std::span<const float> logits);

    // sample() given its uniform draw u in [0, 1) instead of taking it from the generator (which it leaves alone).
    int32_t sample_with(std::span<const float> logits, double u);
    // True when sample() is argmax and takes no random number (temperature <= 0 or top_k == 1).
    bool is_greedy() const { return m_params.temperature <= 0.0f || m_params.top_k == 1; }
    // The next uniform draw in [0, 1) that sample() would take (advances the generator).
    double next_uniform() { return m_rng.uniform(); }

    // Greedy choice under the same restrictions (the first of equal maxima); -1 when no id is allowed.
    int32_t argmax(std::span<const float> logits) const;

    // Restarts the random sequence from `seed`.
    void reseed(uint64_t seed) { m_rng.reseed(seed); }
    const sampler_params& params() const { return m_params; }

private:
    struct candidate {
        float logit;
        int32_t id;
        float weight;
    };

    sampler_params m_params;
    int32_t m_valid_vocab;
    std::vector<uint8_t> m_banned;        // (valid_vocab) 1 = never sample
    std::vector<candidate> m_candidates;  // scratch: allowed ids in id order
    std::vector<candidate> m_work;        // scratch: reordered by the top-k / top-p selections
    std::vector<double> m_bucket_mass;    // scratch: top-p histogram of probability mass (see sampler.cpp)
    xoshiro256ss m_rng;
};

// True when `id` ends generation (one of `stop_ids`, e.g. {k_m1_end_of_sentence}).
bool is_stop_id(std::span<const int32_t> stop_ids, int32_t id);

}  // namespace m1
