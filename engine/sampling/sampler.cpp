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

namespace {

// Histogram that narrows the top-p boundary to one bucket: bucket = floor(64 · (best - logit) / T), i.e. 1/64 nat
// wide, the last one open-ended. Monotone in the logit, so every bucket is better() than the ones after it.
constexpr int k_bucket_count = 4096;
constexpr float k_buckets_per_nat = 64.0f;

int bucket_of(float logit, float best_logit, float inv_t) {
    const float d = (best_logit - logit) * inv_t * k_buckets_per_nat;
    return d < static_cast<float>(k_bucket_count - 1) ? static_cast<int>(d) : k_bucket_count - 1;
}

// The first element, in better() order, at which `above` plus the cumulative mass of `pool` reaches `target`.
// Halves [lo, hi) around its middle with nth_element each round (linear time in all), keeping the invariants
// "[0, lo) is better than [lo, size)" and "the boundary lies in [lo, hi)".
template <class C>
C nucleus_boundary(std::vector<C>& pool, double above, double target) {
    size_t lo = 0, hi = pool.size();
    while (hi - lo > 1) {
        const size_t mid = lo + (hi - lo) / 2;
        std::nth_element(pool.begin() + static_cast<ptrdiff_t>(lo), pool.begin() + static_cast<ptrdiff_t>(mid),
                         pool.begin() + static_cast<ptrdiff_t>(hi), better<C>);
        double upper = 0.0;
        for (size_t j = lo; j < mid; ++j) upper += pool[j].weight;
        if (above + upper >= target) {
            hi = mid;
        } else {
            above += upper;
            lo = mid;
        }
    }
    return pool[lo];
}

}  // namespace

int32_t sampler::sample(std::span<const float> logits) {
    if (is_greedy()) return argmax(logits);
    return sample_with(logits, m_rng.uniform());
}

int32_t sampler::sample_with(std::span<const float> logits, double draw) {
    if (is_greedy()) return argmax(logits);
    const size_t n = std::min(logits.size(), static_cast<size_t>(m_valid_vocab));
    const float inv_t = 1.0f / m_params.temperature;

    // The softmax shift: the best allowed logit.
    const int32_t best_id = argmax(logits);
    if (best_id < 0) return -1;
    const float best_logit = logits[static_cast<size_t>(best_id)];
    if (std::isinf(best_logit)) return best_id;  // +inf outweighs everything (and inf - inf would poison the weights)

    const bool use_top_k = m_params.top_k > 0;  // a k beyond the candidate count keeps them all, still correct
    const bool use_top_p = m_params.top_p < 1.0f;
    const bool use_buckets = use_top_p && !use_top_k;

    // Allowed candidates in id order with their unnormalised probabilities exp((logit - best) / T), computed once
    // (with top-k only for the k kept, below).
    m_candidates.clear();
    m_candidates.reserve(n);
    if (use_buckets) m_bucket_mass.assign(k_bucket_count, 0.0);
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const float l = logits[i];
        if (m_banned[i] || !(l > k_neg_inf)) continue;
        const float w = use_top_k ? 0.0f : std::exp((l - best_logit) * inv_t);
        m_candidates.push_back({l, static_cast<int32_t>(i), w});
        total += w;
        if (use_buckets) m_bucket_mass[static_cast<size_t>(bucket_of(l, best_logit, inv_t))] += w;
    }

    // The kept set is "every candidate at least as good as `worst_kept`" in the order of better(); without top-k
    // and top-p it is everything.
    bool restricted = false;
    candidate worst_kept{};
    if (use_top_k) {
        // The k best through a heap whose front is the worst of those kept so far: most candidates cost one compare.
        const size_t k = static_cast<size_t>(m_params.top_k);
        m_work.clear();
        for (const candidate& c : m_candidates) {
            if (m_work.size() < k) {
                m_work.push_back(c);
                std::push_heap(m_work.begin(), m_work.end(), better<candidate>);
            } else if (better(c, m_work.front())) {
                std::pop_heap(m_work.begin(), m_work.end(), better<candidate>);
                m_work.back() = c;
                std::push_heap(m_work.begin(), m_work.end(), better<candidate>);
            }
        }
        worst_kept = m_work.front();
        restricted = true;
        total = 0.0;
        for (candidate& c : m_work) {
            c.weight = std::exp((c.logit - best_logit) * inv_t);
            total += c.weight;
        }
        if (use_top_p) worst_kept = nucleus_boundary(m_work, 0.0, static_cast<double>(m_params.top_p) * total);
    } else if (use_top_p) {
        // Walk the buckets to the one where the cumulative mass reaches top_p; only its members need selecting.
        const double target = static_cast<double>(m_params.top_p) * total;
        double above = 0.0;
        int boundary = -1;
        for (int b = 0; b < k_bucket_count; ++b) {
            const double mass = m_bucket_mass[static_cast<size_t>(b)];
            if (mass <= 0.0) continue;
            boundary = b;
            if (above + mass >= target) break;
            above += mass;
        }
        m_work.clear();
        for (const candidate& c : m_candidates)
            if (bucket_of(c.logit, best_logit, inv_t) == boundary) m_work.push_back(c);
        if (!m_work.empty()) {  // always true: the boundary bucket holds at least the candidate that filled it
            worst_kept = nucleus_boundary(m_work, above, target);
            restricted = true;
        }
    }

    // Draw in id order, so the result does not depend on how the selections above reordered the candidates.
    double kept_total = 0.0;
    if (use_top_k) {
        for (const candidate& c : m_work)
            if (!better(worst_kept, c)) kept_total += c.weight;
    } else if (restricted) {
        for (const candidate& c : m_candidates)
            if (!better(worst_kept, c)) kept_total += c.weight;
    } else {
        kept_total = total;
    }
    const double u = draw * kept_total;
    double acc = 0.0;
    int32_t last = best_id;
    for (const candidate& c : m_candidates) {
        if (restricted && better(worst_kept, c)) continue;
        const float w = use_top_k ? std::exp((c.logit - best_logit) * inv_t) : c.weight;
        if (w <= 0.0f) continue;
        acc += w;
        last = c.id;
        if (acc > u) return c.id;
    }
    return last;  // u fell in the rounding gap at the very top
}

bool is_stop_id(std::span<const int32_t> stop_ids, int32_t id) {
    return std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end();
}

}  // namespace m1
