// The sampler's random numbers: xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64, the seeding its
// authors recommend. Written out here rather than taken from <random> because the standard distributions
// (std::uniform_real_distribution and friends) may give different numbers in different standard libraries, and a
// seed must reproduce the same tokens everywhere.
//
// Thread-safety: a value type; one generator per thread.
#pragma once

#include <cstdint>

namespace m1 {

// splitmix64 (Vigna): each call advances `state` by the golden-ratio increment and returns a mixed value.
inline uint64_t splitmix64_next(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class xoshiro256ss {
public:
    explicit xoshiro256ss(uint64_t seed = 0) { reseed(seed); }

    void reseed(uint64_t seed) {
        uint64_t sm = seed;
        for (uint64_t& word : m_s) word = splitmix64_next(sm);  // never all zero: splitmix64 is a bijection of a counter
    }

    // Sets the raw state (not all zero), e.g. to check the generator against published test vectors.
    void set_state(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) {
        m_s[0] = s0;
        m_s[1] = s1;
        m_s[2] = s2;
        m_s[3] = s3;
    }

    uint64_t next() {
        const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 53 random bits (every double of the form k / 2^53).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t m_s[4];
};

}  // namespace m1
