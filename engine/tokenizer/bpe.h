// BPE merges over token ids: a pair table (left id, right id) -> (rank, merged id) and the merge loop that applies
// the lowest-ranked adjacent pair first (leftmost on ties), exactly as HF tokenizers' Word::merge_all does.
// Internal to engine/tokenizer. Immutable after the merges are added; merge() is reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace m1 {

class bpe_merges {
public:
    // Adds the next merge; its rank is the number of merges added before it. Returns false when the pair was
    // already present; it then takes the new rank and result, as in HF (which collects the merges into a map).
    bool add(int32_t left, int32_t right, int32_t merged);
    size_t size() const { return m_count; }

    // Merges `ids` (the symbols of one piece) in place until no adjacent pair has a merge.
    void merge(std::vector<int32_t>& ids) const;

private:
    struct entry {
        uint64_t key;  // (left << 32) | right; k_empty marks a free slot
        int32_t rank;
        int32_t merged;
    };
    static constexpr uint64_t k_empty = ~uint64_t{0};

    const entry* find(int32_t left, int32_t right) const;
    void grow();
    size_t slot_of(uint64_t key) const;

    void merge_short(std::vector<int32_t>& ids) const;
    void merge_long(std::vector<int32_t>& ids) const;

    std::vector<entry> m_table;  // open addressing, linear probing, power-of-two size
    size_t m_count = 0;          // distinct pairs
    size_t m_added = 0;          // merges added, repeats included: the next rank
};

}  // namespace m1
