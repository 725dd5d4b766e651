// One conversation with the model: chunked prefill with progress and cancel, single-token decode, and snapshots
// of the state after any prefix so that follow-up questions (forks) do not pay the prefill again.
//
//   m1::session s(backend, tokenizer_size);
//   s.prefill(prompt_ids, 256, [](int64_t done, int64_t total) { return !cancelled; });
//   m1::session_snapshot after_sources = s.snapshot();   // lightning states + KV cache + position
//   const std::vector<float>& logits = s.decode(next_id);
//   m1::session fork(backend, after_sources, tokenizer_size);  // continues exactly like s did after the prefix
//
// Logits of padding ids (>= n_valid_vocab, the tokenizer's size) are −inf; see mask_padding_logits in forward.h.
//
// Ownership: a session owns its state and uses the backend it was given, which must outlive it. A snapshot is an
// immutable, shared copy of a state: it stays valid after the session that made it moves on or is destroyed, and
// any number of sessions may be forked from it.
// Thread-safety: a session is used by one thread at a time; snapshots may be shared between threads.
#pragma once

#include "engine/model/backend.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace m1 {

class session_snapshot {
public:
    session_snapshot() = default;
    bool empty() const { return !m_state; }
    int64_t n_past() const { return m_state ? m_state->n_past() : 0; }
    size_t bytes() const { return m_state ? m_state->bytes() : 0; }

private:
    friend class session;
    explicit session_snapshot(std::shared_ptr<const backend_state> s) : m_state(std::move(s)) {}
    std::shared_ptr<const backend_state> m_state;
};

class session {
public:
    // Called after each prefill chunk with the tokens done so far and the total; returning false cancels.
    using progress_fn = std::function<bool(int64_t done, int64_t total)>;

    // A fresh sequence. n_valid_vocab < 0 means the whole vocabulary is valid (nothing masked).
    explicit session(backend& be, int64_t n_valid_vocab = -1);
    // A fork: continues from a snapshot (which must come from the same backend).
    session(backend& be, const session_snapshot& from, int64_t n_valid_vocab = -1);

    // Feeds ids in chunks of `chunk` tokens (<= 0: one chunk), calling progress after each chunk. Returns true when
    // every id was processed; false when progress asked to stop, in which case the state holds the whole chunks
    // done so far (n_past() says how many) and the session can continue from there.
    // all_logits, when given, receives ids.size() × vocab_size floats (rows of cancelled chunks are left alone);
    // otherwise only the last token's logits are computed (see logits()).
    bool prefill(std::span<const int32_t> ids, int64_t chunk, const progress_fn& progress = {},
                 float* all_logits = nullptr);
    // Feeds one token and returns its logits (vocab_size floats, valid until the next call).
    const std::vector<float>& decode(int32_t id);
    // The logits of the last token fed (empty before any token, or after a cancelled prefill).
    const std::vector<float>& logits() const { return m_logits; }

    session_snapshot snapshot() const;
    // Replaces this session's state by a copy of the snapshot's; the last logits are forgotten.
    void restore(const session_snapshot& from);

    int64_t n_past() const { return m_state->n_past(); }
    const model_config& config() const { return m_backend.config(); }
    backend& get_backend() const { return m_backend; }

private:
    backend& m_backend;
    std::unique_ptr<backend_state> m_state;
    int64_t m_n_valid;
    std::vector<float> m_logits;
};

}  // namespace m1
