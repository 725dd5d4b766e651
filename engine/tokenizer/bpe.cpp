#include "engine/tokenizer/bpe.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <queue>

namespace m1 {
namespace {

inline uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

// Pieces up to this many symbols use the quadratic loop over a small array; longer ones (runs of spaces, long
// identifiers, base64) use a heap so that a megabyte-long piece stays O(n log n).
constexpr size_t k_short_piece = 48;

}  // namespace

size_t bpe_merges::slot_of(uint64_t key) const {
    // Fibonacci hashing: the top bits of key * 2^64/phi index a power-of-two table.
    const unsigned bits = static_cast<unsigned>(std::countr_zero(m_table.size()));
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

void bpe_merges::grow() {
    std::vector<entry> old = std::move(m_table);
    m_table.assign(old.empty() ? 1024 : old.size() * 2, entry{k_empty, 0, 0});
    const size_t mask = m_table.size() - 1;
    for (const entry& e : old) {
        if (e.key == k_empty) continue;
        size_t s = slot_of(e.key);
        while (m_table[s].key != k_empty) s = (s + 1) & mask;
        m_table[s] = e;
    }
}

bool bpe_merges::add(int32_t left, int32_t right, int32_t merged) {
    if ((m_count + 1) * 2 > m_table.size()) grow();  // load factor <= 1/2 keeps probes short
    const uint64_t key = pair_key(left, right);
    const size_t mask = m_table.size() - 1;
    size_t s = slot_of(key);
    while (m_table[s].key != k_empty) {
        if (m_table[s].key == key) return false;
        s = (s + 1) & mask;
    }
    m_table[s] = entry{key, static_cast<int32_t>(m_count), merged};
    ++m_count;
    return true;
}

const bpe_merges::entry* bpe_merges::find(int32_t left, int32_t right) const {
    if (m_table.empty()) return nullptr;
    const uint64_t key = pair_key(left, right);
    const size_t mask = m_table.size() - 1;
    for (size_t s = slot_of(key);; s = (s + 1) & mask) {
        const entry& e = m_table[s];
        if (e.key == key) return &e;
        if (e.key == k_empty) return nullptr;
    }
}

void bpe_merges::merge(std::vector<int32_t>& ids) const {
    if (ids.size() < 2) return;
    if (ids.size() <= k_short_piece) merge_short(ids);
    else merge_long(ids);
}

void bpe_merges::merge_short(std::vector<int32_t>& ids) const {
    // rank[i], merged[i]: the merge of the pair (ids[i], ids[i+1]); INT_MAX when there is none.
    int32_t rank[k_short_piece], merged[k_short_piece];
    size_t n = ids.size();
    auto look = [&](size_t i) {
        const entry* e = find(ids[i], ids[i + 1]);
        rank[i] = e ? e->rank : INT_MAX;
        merged[i] = e ? e->merged : -1;
    };
    for (size_t i = 0; i + 1 < n; ++i) look(i);
    while (n > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < n; ++i)
            if (rank[i] < rank[best]) best = i;  // strict: the leftmost of equal ranks wins
        if (rank[best] == INT_MAX) break;
        ids[best] = merged[best];
        // Drop symbol best+1 and pair best; pairs best-1 and best now involve the merged symbol.
        for (size_t i = best + 1; i + 1 < n; ++i) ids[i] = ids[i + 1];
        for (size_t i = best; i + 2 < n; ++i) {
            rank[i] = rank[i + 1];
            merged[i] = merged[i + 1];
        }
        --n;
        if (best > 0) look(best - 1);
        if (best + 1 < n) look(best);
    }
    ids.resize(n);
}

void bpe_merges::merge_long(std::vector<int32_t>& ids) const {
    const int32_t n = static_cast<int32_t>(ids.size());
    std::vector<int32_t> prev(n), next(n);
    for (int32_t i = 0; i < n; ++i) {
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
    }
    // Candidates: the pair (left, right) at position pos, with its rank. A candidate is stale once the symbol at
    // pos or the one after it has changed; stale ones are skipped when popped.
    struct candidate {
        int32_t rank, pos, left, right;
        bool operator>(const candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<candidate, std::vector<candidate>, std::greater<candidate>> heap;
    auto offer = [&](int32_t pos) {
        const int32_t right = ids[next[pos]];
        if (const entry* e = find(ids[pos], right)) heap.push({e->rank, pos, ids[pos], right});
    };
    for (int32_t i = 0; i + 1 < n; ++i) offer(i);
    while (!heap.empty()) {
        const candidate c = heap.top();
        heap.pop();
        const int32_t right = next[c.pos];
        if (ids[c.pos] != c.left || right < 0 || ids[right] != c.right) continue;
        ids[c.pos] = find(c.left, c.right)->merged;
        ids[right] = -1;
        next[c.pos] = next[right];
        if (next[c.pos] >= 0) prev[next[c.pos]] = c.pos;
        if (prev[c.pos] >= 0) offer(prev[c.pos]);
        if (next[c.pos] >= 0) offer(c.pos);
    }
    ids.erase(std::remove(ids.begin(), ids.end(), -1), ids.end());
}

}  // namespace m1
