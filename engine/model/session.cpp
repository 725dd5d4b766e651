#include "engine/model/session.h"

#include "engine/model/forward.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace m1 {

session::session(backend& be, int64_t n_valid_vocab)
    : m_backend(be), m_state(be.new_state()), m_n_valid(n_valid_vocab) {}

session::session(backend& be, const session_snapshot& from, int64_t n_valid_vocab)
    : m_backend(be), m_n_valid(n_valid_vocab) {
    if (from.empty()) throw std::invalid_argument("session: cannot fork from an empty snapshot");
    m_state = from.m_state->clone();
}

bool session::prefill(std::span<const int32_t> ids, int64_t chunk, const progress_fn& progress, float* all_logits) {
    const int64_t n = static_cast<int64_t>(ids.size());
    const int64_t vocab = config().vocab_size;
    if (chunk <= 0) chunk = std::max<int64_t>(n, 1);
    m_logits.clear();
    for (int64_t done = 0; done < n;) {
        const int64_t m = std::min(chunk, n - done);
        const bool last_chunk = done + m == n;
        std::span<const int32_t> part = ids.subspan(static_cast<size_t>(done), static_cast<size_t>(m));
        if (all_logits) {
            float* rows = all_logits + done * vocab;
            m_backend.forward(*m_state, part, logits_rows::all, rows);
            mask_padding_logits(rows, m, vocab, m_n_valid);
            if (last_chunk) m_logits.assign(rows + (m - 1) * vocab, rows + m * vocab);
        } else if (last_chunk) {
            m_logits.resize(static_cast<size_t>(vocab));
            m_backend.forward(*m_state, part, logits_rows::last, m_logits.data());
            mask_padding_logits(m_logits.data(), 1, vocab, m_n_valid);
        } else {
            m_backend.forward(*m_state, part, logits_rows::none, nullptr);
        }
        done += m;
        if (progress && !progress(done, n)) {
            if (done < n) m_logits.clear();
            return done == n;
        }
    }
    return true;
}

const std::vector<float>& session::decode(int32_t id) {
    const int64_t vocab = config().vocab_size;
    m_logits.resize(static_cast<size_t>(vocab));
    m_backend.forward(*m_state, std::span<const int32_t>(&id, 1), logits_rows::last, m_logits.data());
    mask_padding_logits(m_logits.data(), 1, vocab, m_n_valid);
    return m_logits;
}

session_snapshot session::snapshot() const {
    return session_snapshot(std::shared_ptr<const backend_state>(m_state->clone()));
}

void session::restore(const session_snapshot& from) {
    if (from.empty()) throw std::invalid_argument("session: cannot restore an empty snapshot");
    m_state = from.m_state->clone();
    m_logits.clear();
}

}  // namespace m1
