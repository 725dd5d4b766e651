#include "engine/tokenizer/piece_cache.h"

#include <atomic>
#include <cstring>
#include <memory>

namespace m1 {
namespace {

// Level 1: one direct-mapped table per thread, shared by every tokenizer that thread uses (entries carry their
// owner). 4096 entries of 64 bytes = 256 KiB per encoding thread.
constexpr size_t k_l1_entries = 4096;
constexpr size_t k_l1_key = 26;  // longest piece kept at level 1, in bytes
constexpr size_t k_l1_ids = 6;   // most ids kept at level 1

struct l1_entry {
    uint64_t owner = 0;  // 0: empty
    uint32_t check = 0;  // high bits of the hash, to skip most key comparisons
    uint8_t key_len = 0;
    uint8_t n_ids = 0;
    char key[k_l1_key];
    int32_t ids[k_l1_ids];
};
static_assert(sizeof(l1_entry) == 64);

l1_entry* l1_table() {
    thread_local std::unique_ptr<l1_entry[]> table(new l1_entry[k_l1_entries]);
    return table.get();
}

std::atomic<uint64_t> g_next_owner{1};

void fill(l1_entry& e, uint64_t owner, uint64_t h, std::string_view piece, std::span<const int32_t> ids) {
    if (piece.size() > k_l1_key || ids.size() > k_l1_ids) return;
    e.owner = owner;
    e.check = uint32_t(h >> 32);
    e.key_len = static_cast<uint8_t>(piece.size());
    e.n_ids = static_cast<uint8_t>(ids.size());
    std::memcpy(e.key, piece.data(), piece.size());
    std::memcpy(e.ids, ids.data(), ids.size() * sizeof(int32_t));
}

inline uint64_t hash_bytes(std::string_view s) { return std::hash<std::string_view>{}(s); }

}  // namespace

size_t piece_cache::hash::operator()(std::string_view s) const { return hash_bytes(s); }

piece_cache::piece_cache(size_t capacity)
    : m_owner(g_next_owner.fetch_add(1)), m_shard_capacity(capacity / k_shards + 1) {}

bool piece_cache::find(std::string_view piece, std::vector<int32_t>& ids) const {
    const uint64_t h = hash_bytes(piece);
    l1_entry& e = l1_table()[h % k_l1_entries];
    if (e.owner == m_owner && e.check == uint32_t(h >> 32) && e.key_len == piece.size() &&
        std::memcmp(e.key, piece.data(), piece.size()) == 0) {
        ids.assign(e.ids, e.ids + e.n_ids);
        return true;
    }
    shard& s = m_shards[(h >> 16) % k_shards];
    {
        std::lock_guard lock(s.mutex);
        const auto it = s.map.find(piece);
        if (it == s.map.end()) return false;
        ids = it->second;
    }
    fill(e, m_owner, h, piece, ids);
    return true;
}

void piece_cache::insert(std::string_view piece, std::span<const int32_t> ids) const {
    if (piece.size() > k_max_piece) return;
    const uint64_t h = hash_bytes(piece);
    fill(l1_table()[h % k_l1_entries], m_owner, h, piece, ids);
    shard& s = m_shards[(h >> 16) % k_shards];
    std::lock_guard lock(s.mutex);
    if (s.map.size() >= m_shard_capacity) s.map.clear();
    s.map.try_emplace(std::string(piece), ids.begin(), ids.end());
}

}  // namespace m1
