// Reads a tokenizer.json in one SAX pass: model.vocab and model.merges (200,000 entries each for MiniMax-M1) go
// straight into flat vectors, everything else into an ordinary nlohmann::json tree (where vocab and merges are left
// empty). Building the full tree would cost twice the time of the whole load. Internal to engine/tokenizer.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace m1 {

struct tokenizer_json {
    nlohmann::json root;                                 // the document, model.vocab = {} and model.merges = []
    std::vector<std::pair<std::string, int64_t>> vocab;  // model.vocab in file order
    std::vector<std::pair<std::string, std::string>> merges;  // model.merges ("a b" or ["a", "b"]) in rank order
    bool has_vocab = false, has_merges = false;
};

// Throws nlohmann::json::parse_error for text that is not JSON, and std::runtime_error naming the entry when vocab
// or merges hold something else than token -> integer and pairs of tokens.
tokenizer_json read_tokenizer_json(std::string_view text);

}  // namespace m1
