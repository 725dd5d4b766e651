#include "engine/model/forward.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace m1 {

std::vector<double> alibi_base_slopes(int64_t n) {
    if (n <= 0) throw std::invalid_argument("alibi_base_slopes: the head count must be positive");
    int64_t p = 1;
    while (p * 2 <= n) p *= 2;
    std::vector<double> s;
    s.reserve(static_cast<size_t>(n));
    // 2^(−8(h+1)/p) is start^(h+1) with start = 2^(−8/p), the remote code's power-of-two construction.
    for (int64_t h = 0; h < p; ++h) s.push_back(std::exp2(-8.0 * double(h + 1) / double(p)));
    if (p != n) {
        const std::vector<double> wide = alibi_base_slopes(2 * p);
        for (int64_t i = 0; i < n - p; ++i) s.push_back(wide[static_cast<size_t>(2 * i)]);
    }
    return s;
}

std::vector<float> lightning_slopes(const model_config& c, int64_t layer) {
    const std::vector<double> base = alibi_base_slopes(c.num_heads);
    const double L = double(c.num_layers);
    const double factor = c.num_layers > 1 ? 1.0 - double(layer) / (L - 1.0) + 1e-5 : 1.0 + 1e-5;
    std::vector<float> s(base.size());
    // The remote code holds the base slopes as an fp32 tensor and multiplies by the Python-float factor in fp32.
    for (size_t h = 0; h < base.size(); ++h) s[h] = float(base[h]) * float(factor);
    return s;
}

std::vector<float> rope_inv_freq(const model_config& c) {
    const int64_t half = c.rotary_dim / 2;
    std::vector<float> inv(static_cast<size_t>(half));
    const float theta = float(c.rope_theta);
    for (int64_t i = 0; i < half; ++i) {
        const float e = float(2 * i) / float(c.rotary_dim);
        inv[static_cast<size_t>(i)] = 1.0f / std::pow(theta, e);
    }
    return inv;
}

void mask_padding_logits(float* logits, int64_t n_rows, int64_t vocab, int64_t n_valid) {
    if (n_valid < 0 || n_valid >= vocab) return;
    const float ninf = -std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < n_rows; ++r)
        for (int64_t v = n_valid; v < vocab; ++v) logits[r * vocab + v] = ninf;
}

}  // namespace m1
