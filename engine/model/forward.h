// The backend-independent facts of the MiniMax-M1 forward pass (spec minimax-m1.md §4): lightning decay slopes,
// RoPE inverse frequencies, residual factors and the padding mask of the logits. Every backend takes these numbers
// from here, so that the CPU reference and the GPU backends cannot drift apart on them.
//
// Thread-safety: pure functions.
#pragma once

#include "engine/model/config.h"

#include <cstdint>
#include <vector>

namespace m1 {

// ALiBi base slopes of the remote code for n heads: 2^(−8(h+1)/n) when n is a power of two; otherwise those of
// p = 2^⌊log2 n⌋ followed by every second slope of the 2p list (the first n − p of them). Computed in double.
std::vector<double> alibi_base_slopes(int64_t n_heads);

// Decay slopes s_{l,h} of one lightning layer, from the GLOBAL layer index l over all num_layers layers (softmax
// layers count too): fp32(base_h) · fp32(1 − l/(L−1) + 1e−5), multiplied in fp32 as the remote code does.
// A one-layer model uses the factor 1 + 1e−5 (the remote code would divide by zero). Size num_heads.
std::vector<float> lightning_slopes(const model_config& c, int64_t layer);

// RoPE inverse frequencies for the rotary slice: inv_freq_i = 1 / θ^(2i/rotary_dim), i < rotary_dim/2, computed
// in fp32 like the references (fp32 exponent, fp32 pow). The angle of position p is then fp32(p) · inv_freq_i,
// an fp32 product (spec §11.10), and pairs (i, i + rotary_dim/2) rotate (rotate-half inside the slice).
std::vector<float> rope_inv_freq(const model_config& c);

// Sets logits of ids >= n_valid to −inf in each of n_rows rows of width vocab. MiniMax-M1's vocab_size (200064)
// pads the tokenizer's 200036 tokens; those rows of lm_head belong to no token and may even be all zero (spec §4.6),
// so they must never be sampled. n_valid >= vocab leaves the logits alone.
void mask_padding_logits(float* logits, int64_t n_rows, int64_t vocab, int64_t n_valid);

}  // namespace m1
