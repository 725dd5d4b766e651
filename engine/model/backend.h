// The interface every compute backend of the engine implements: the CPU reference (engine/cpu) and, later, CUDA
// (engine/cuda). A backend owns one model's weights in whatever form it computes with; a backend_state owns what
// one sequence has accumulated (lightning states, softmax KV cache, position). Sessions (session.h) drive a backend
// through these two types and never see the weights or the state layout.
//
// Contract of forward(), shared by all backends so that they can be compared number for number:
//   * tokens continue the sequence at position state.n_past(); the state advances by ids.size();
//   * any split of a sequence into forward() calls gives the same logits (up to float rounding): lightning layers
//     continue from the cached state (block form with S_prev = state, or the recurrence for one token), softmax
//     layers append to the KV cache and rotate at absolute positions;
//   * logits are fp32 [rows × vocab_size], row-major, raw (no padding mask: session.h applies it).
//
// Ownership: the caller owns backends and states; a state must only be passed to the backend that made it.
// Thread-safety: forward() on distinct states may run concurrently unless the backend says otherwise; one state
// must not be used by two calls at once.
#pragma once

#include "engine/model/config.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace m1 {

// One sequence's state inside a backend.
class backend_state {
public:
    virtual ~backend_state() = default;
    // Tokens already processed (the position of the next token).
    virtual int64_t n_past() const = 0;
    // An independent deep copy: both states may then advance separately (used for snapshots and forks).
    virtual std::unique_ptr<backend_state> clone() const = 0;
    // Bytes of memory this state holds (lightning states + KV cache).
    virtual size_t bytes() const = 0;
};

// Which logits a forward() call produces.
enum class logits_rows {
    none,  // no logits (pure prefill of a prefix)
    last,  // one row: the last token's
    all,   // one row per token
};

class backend {
public:
    virtual ~backend() = default;
    virtual std::string name() const = 0;  // "cpu", "cuda"
    virtual const model_config& config() const = 0;
    // A fresh sequence (position 0, zero lightning states, empty KV cache).
    virtual std::unique_ptr<backend_state> new_state() const = 0;
    // Runs ids through the model; see the contract at the top of this file. logits must hold rows × vocab_size
    // floats (ignored for logits_rows::none). Throws std::invalid_argument for an id outside [0, vocab_size) or a
    // state of another backend, before touching the state; after any other exception (out of memory) the state is
    // unusable and must be discarded or restored from a snapshot.
    virtual void forward(backend_state& state, std::span<const int32_t> ids, logits_rows rows, float* logits) = 0;
};

}  // namespace m1
