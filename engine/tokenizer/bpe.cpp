#include "engine/tokenizer/bpe.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <functional>

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
    const int32_t rank = static_cast<int32_t>(m_added++);
    while (m_table[s].key != k_empty) {
        if (m_table[s].key == key) {  // HF collects merges into a map, so a repeated pair takes its last rank
            m_table[s] = entry{key, rank, merged};
            return false;
        }
        s = (s + 1) & mask;
    }
    m_table[s] = entry{key, rank, merged};
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
    // Candidates packed as (rank << 32 | position of the left symbol) in a min-heap: the lowest rank first, the
    // leftmost on ties. Stale candidates are skipped when popped: a rank names one pair, so a candidate is current
    // exactly when the pair now at its position still has its rank.
    std::vector<uint64_t> heap;
    heap.reserve(n);
    for (int32_t i = 0; i + 1 < n; ++i)
        if (const entry* e = find(ids[i], ids[i + 1])) heap.push_back(uint64_t(e->rank) << 32 | uint32_t(i));
    const std::greater<uint64_t> later;
    std::make_heap(heap.begin(), heap.end(), later);
    auto offer = [&](int32_t pos) {
        if (const entry* e = find(ids[pos], ids[next[pos]])) {
            heap.push_back(uint64_t(e->rank) << 32 | uint32_t(pos));
            std::push_heap(heap.begin(), heap.end(), later);
        }
    };
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const uint64_t top = heap.back();
        heap.pop_back();
        const int32_t rank = static_cast<int32_t>(top >> 32), pos = static_cast<int32_t>(top & 0xFFFFFFFFu);
        const int32_t right = next[pos];
        if (ids[pos] < 0 || right < 0) continue;
        const entry* e = find(ids[pos], ids[right]);
        if (!e || e->rank != rank) continue;
        ids[pos] = e->merged;
        ids[right] = -1;
        next[pos] = next[right];
        if (next[pos] >= 0) prev[next[pos]] = pos;
        if (prev[pos] >= 0) offer(prev[pos]);
        if (next[pos] >= 0) offer(pos);
    }
    ids.erase(std::remove(ids.begin(), ids.end(), -1), ids.end());
}

}  // namespace m1
