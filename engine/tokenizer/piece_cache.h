// A bounded, thread-safe cache from a pre-tokenized piece (its raw bytes) to its BPE ids. Internal to
// engine/tokenizer.
//
// Two levels. Level 1 is per thread, direct-mapped and lock-free: short pieces (most words) are answered from
// memory no other thread touches. Level 2 is shared by all threads of one tokenizer and sharded by hash so
// parallel encoders rarely wait on the same mutex; a full shard is cleared rather than evicted entry by entry
// (text repeats its vocabulary quickly, so hot pieces come back at once). Both are bounded: level 1 takes 256 KiB
// per encoding thread, level 2 at most 2^17 pieces (about 15 MB) per tokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace m1 {

class piece_cache {
public:
    // Pieces longer than this are not cached (HF's BPE cache has the same kind of limit): such runs (a line of
    // '=', a base64 blob) rarely repeat, and the cache stays small.
    static constexpr size_t k_max_piece = 256;

    explicit piece_cache(size_t capacity = 1 << 17);

    // Replaces `ids` with the cached ids of `piece` and returns true, or returns false.
    bool find(std::string_view piece, std::vector<int32_t>& ids) const;
    void insert(std::string_view piece, std::span<const int32_t> ids) const;

private:
    struct hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const;
    };
    struct shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::vector<int32_t>, hash, std::equal_to<>> map;
    };
    static constexpr size_t k_shards = 64;

    uint64_t m_owner;  // tags this cache's level-1 entries; never reused by another cache
    size_t m_shard_capacity;
    mutable std::array<shard, k_shards> m_shards;
};

}  // namespace m1
