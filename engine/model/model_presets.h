// Model presets and random-weight model directories (`m1 make-model`).
//
// Presets (all with M1's structure: postnorm, α = (2·layers)^(1/4), β = 1, rope θ 1e7, rms eps 1e-5, no shared
// expert; the vocabulary is given by the tokenizer the directory gets, rounded up to a multiple of 64):
//   tiny   hidden 64, 4 heads × 16 (kv 2), rotary 8, 4 experts × 32, top-2, 8 layers (softmax at 3 and 7), block 256.
//          Runs in milliseconds on a CPU; used by tests and by the demo (which labels it as random weights).
//   small  hidden 512, 8 heads × 64 (kv 2), rotary 32, 8 experts × 1024, top-2, 8 layers (softmax at 3 and 7).
//          A mid-size model for CPU benchmarks (~110 M parameters, 221 MB, with the project tokenizer).
//   w16    M1's real widths on 16 layers: hidden 6144, 64 heads × 128 (kv 8), rotary 64, 16 experts × 9216, top-2,
//          softmax at 7 and 15, vocab 200064. Its weights take ~99 GB, so only its config and index are written
//          (config_only).
//
// Random weights: each tensor has its own stream of a SplitMix64 generator seeded with
// splitmix64(seed) ^ fnv1a64(tensor name) and read by element index (counter mode), so values depend only on the seed and the name (not on the order or
// sharding of the writes). Values are uniform in [-√3·σ, √3·σ] (standard deviation σ), rounded to bf16 with
// round-to-nearest-even (the router stays fp32):
//   embed_tokens σ = 1; every Linear [out, in] σ = 1/√in (so each projection maps O(1) inputs to O(1) outputs);
//   router σ = 1/√hidden (router logits O(1): the expert choice varies with the token);
//   RMSNorm weights 1 + U(-0.2, 0.2) (close to 1 but not constant, so a missing weight multiply is noticed).
// Activations stay O(1) through the layers because every layer input is RMS-normalised (postnorm) and every branch
// output is O(1); α·h + β·a is then O(α).
//
// Thread-safety: free functions without shared state.
#pragma once

#include "engine/model/checkpoint.h"
#include "engine/model/config.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace m1 {

std::vector<std::string> preset_names();  // {"tiny", "small", "w16"}
// The preset's config with the given vocabulary size (w16 ignores it: it always has M1's 200064).
// Throws config_error for an unknown name.
model_config preset_config(const std::string& name, int64_t vocab_size);
// True when the preset's weights are too large to write (only --config-only is allowed).
bool preset_is_config_only(const std::string& name);

// The vocabulary size for a tokenizer of `tokenizer_size` ids: rounded up to a multiple of 64 (as M1's 200036 -> 200064).
int64_t padded_vocab_size(int64_t tokenizer_size);

// Fills out[0..n) with the random values of the tensor `spec` (as floats, before rounding to the tensor dtype),
// starting at element `first` of its stream. Deterministic for (seed, spec.name).
void random_tensor_values(const tensor_spec& spec, uint64_t seed, int64_t first, int64_t n, float* out);

// How make_random_model splits tensors into shards, like the official files: shard 0 holds embed_tokens, then one
// shard per layer; the last layer's shard also holds model.norm and lm_head. Returns one list per shard.
std::vector<std::vector<tensor_spec>> shard_plan(const model_config& c);
// "model-00003-of-00010.safetensors" (0-based index, count as in the official names).
std::string shard_file_name(size_t index, size_t count);

struct make_model_options {
    std::string out_dir;         // created if missing; must be empty or absent
    model_config config;
    uint64_t seed = 0;
    bool config_only = false;    // config.json, index (with total_size) and tokenizer files, no shards
    std::string tokenizer_json;  // tokenizer.json text to write
    std::string tokenizer_config_json;  // tokenizer_config.json text to write
    // Called after each shard with (shards written, shard count); return false to cancel (throws checkpoint_error).
    std::function<bool(size_t, size_t)> progress;
};

// Writes a complete model directory in the official layout: config.json (M1 names), the shards and
// model.safetensors.index.json (weight_map, metadata.total_size, and metadata.m1studio_random_weights = "seed N",
// which tells the app to label the model as random weights), tokenizer.json, tokenizer_config.json.
// Throws checkpoint_error naming the file on any failure.
void make_random_model(const make_model_options& options);

}  // namespace m1
