#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace m1 {

namespace {

constexpr float k_neg_inf = -std::numeric_limits<float>::infinity();

// A strict total order on candidates: larger logit first, then smaller id. Because it is total, "the k best" and
// "the smallest set reaching mass p" are single well-defined sets, whatever order a selection leaves them in.
template <class C>
bool better(const C& a, const C& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

}  // namespace

sampler::sampler(const sampler_params& params, int32_t valid_vocab)
    : m_params(params),
      m_valid_vocab(std::max<int32_t>(valid_vocab, 0)),
      m_banned(static_cast<size_t>(m_valid_vocab), 0),
      m_rng(params.seed) {}

void sampler::set_banned_ids(std::span<const int32_t> ids) {
    std::fill(m_banned.begin(), m_banned.end(), 0);
    for (const int32_t id : ids)
        if (id >= 0 && id < m_valid_vocab) m_banned[static_cast<size_t>(id)] = 1;
}

bool sampler::is_banned(int32_t id) const {
    return id < 0 || id >= m_valid_vocab || m_banned[static_cast<size_t>(id)] != 0;
}

int32_t sampler::argmax(std::span<const float> logits) const {
    const size_t n = std::min(logits.size(), static_cast<size_t>(m_valid_vocab));
    int32_t best = -1;
    float best_logit = k_neg_inf;
    for (size_t i = 0; i < n; ++i) {
        const float l = logits[i];
        if (m_banned[i] || !(l > k_neg_inf)) continue;  // also skips NaN
        if (best < 0 || l > best_logit) {
            best = static_cast<int32_t>(i);
            best_logit = l;
        }
    }
    return best;
}

int32_t sampler::sample(std::span<const float> logits) {
    if (m_params.temperature <= 0.0f || m_params.top_k == 1) return argmax(logits);
    const size_t n = std::min(logits.size(), static_cast<size_t>(m_valid_vocab));
    const float inv_t = 1.0f / m_params.temperature;

    // The softmax shift: the best allowed logit.
    const int32_t best_id = argmax(logits);
    if (best_id < 0) return -1;
    const float best_logit = logits[static_cast<size_t>(best_id)];

    // Allowed candidates in id order with their unnormalised probabilities exp((logit - best) / T), computed once.
    m_candidates.clear();
    m_candidates.reserve(n);
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const float l = logits[i];
        if (m_banned[i] || !(l > k_neg_inf)) continue;
        const float w = std::exp((l - best_logit) * inv_t);
        m_candidates.push_back({l, static_cast<int32_t>(i), w});
        total += w;
    }

    // The kept set is "every candidate at least as good as `worst_kept`" in the order of better(); without top-k
    // and top-p it is everything.
    bool restricted = false;
    candidate worst_kept{};
    const bool use_top_k = m_params.top_k > 0 && static_cast<size_t>(m_params.top_k) < m_candidates.size();
    const bool use_top_p = m_params.top_p < 1.0f;
    if (use_top_k) {
        m_work.assign(m_candidates.begin(), m_candidates.end());
        const auto kth = m_work.begin() + (m_params.top_k - 1);
        std::nth_element(m_work.begin(), kth, m_work.end(), better<candidate>);
        m_work.resize(static_cast<size_t>(m_params.top_k));
        worst_kept = m_work.back();
        restricted = true;
        total = 0.0;
        for (const candidate& c : m_work) total += c.weight;
    } else if (use_top_p) {
        // A candidate with weight <= (1 - top_p) * total / count cannot be in the nucleus: even if every candidate
        // not better than it weighed as much, those better than it would already hold top_p of the mass. Real
        // model distributions are peaked, so this usually leaves a few hundred candidates for the selection.
        const double floor = (1.0 - static_cast<double>(m_params.top_p)) * total / static_cast<double>(m_candidates.size());
        m_work.clear();
        for (const candidate& c : m_candidates)
            if (c.weight > floor) m_work.push_back(c);
    }
    if (use_top_p && !m_work.empty()) {
        // Find the boundary b: the first position, in better() order, where the cumulative mass reaches
        // top_p * total. Halve [lo, hi) around its middle with nth_element each round (linear time in all),
        // keeping the invariants "[0, lo) is better than [lo, size)" and "b lies in [lo, hi)".
        const double target = static_cast<double>(m_params.top_p) * total;
        size_t lo = 0, hi = m_work.size();
        double above = 0.0;  // mass of [0, lo)
        while (hi - lo > 1) {
            const size_t mid = lo + (hi - lo) / 2;
            std::nth_element(m_work.begin() + static_cast<ptrdiff_t>(lo), m_work.begin() + static_cast<ptrdiff_t>(mid),
                             m_work.begin() + static_cast<ptrdiff_t>(hi), better<candidate>);
            double upper = 0.0;
            for (size_t j = lo; j < mid; ++j) upper += m_work[j].weight;
            if (above + upper >= target) {
                hi = mid;
            } else {
                above += upper;
                lo = mid;
            }
        }
        worst_kept = m_work[lo];
        restricted = true;
    }

    // Draw in id order, so the result does not depend on how the selections above reordered the candidates.
    double kept_total = total;
    if (restricted) {
        kept_total = 0.0;
        for (const candidate& c : m_candidates)
            if (!better(worst_kept, c)) kept_total += c.weight;
    }
    const double u = m_rng.uniform() * kept_total;
    double acc = 0.0;
    int32_t last = best_id;
    for (const candidate& c : m_candidates) {
        if (c.weight <= 0.0f || (restricted && better(worst_kept, c))) continue;
        acc += c.weight;
        last = c.id;
        if (acc > u) return c.id;
    }
    return last;  // u fell in the rounding gap at the very top
}

bool is_stop_id(std::span<const int32_t> stop_ids, int32_t id) {
    return std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end();
}

}  // namespace m1
