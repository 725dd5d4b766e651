// The project's own small tokenizer, used when `m1 make-model` is not given the real MiniMax-M1 tokenizer.json.
//
// It has the same structure as M1's tokenizer.json (spec §6): NFC normalizer, the Split pre-tokenizer with M1's regex,
// ByteLevel pre-tokenizer and decoder, a BPE model without unk/byte fallback, and the same 36 special tokens by name.
// Only the vocabulary is small: ids 0..255 are the 256 byte symbols in byte order (GPT-2 byte-to-unicode alphabet,
// as in M1), then the tokens of the merges learned by train_bpe_merges over a small corpus (resources/demo/docs),
// then the 36 special tokens.
//
// Everything here is deterministic: the same corpus and merge limit give byte-identical JSON.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace m1 {

// The 36 special tokens of MiniMax-M1 in id order (M1 gives them ids 200000..200035).
const std::vector<std::string>& m1_special_tokens();

// GPT-2's byte-to-unicode alphabet: the UTF-8 text of the symbol that stands for byte b in byte-level BPE.
std::string byte_level_symbol(unsigned char b);

// Learns up to max_merges BPE merges over `texts`: each text is cut into pieces with M1's pre-tokenizer regex, each
// piece's bytes are the initial symbols, and the most frequent adjacent pair (ties: the pair whose merged bytes sort
// first) is merged until max_merges are learned or no pair occurs at least twice. Returns the merges as byte strings.
std::vector<std::pair<std::string, std::string>> train_bpe_merges(const std::vector<std::string>& texts,
                                                                  int max_merges);

// The tokenizer.json text for those merges (pretty-printed, 2-space indent).
std::string demo_tokenizer_json(const std::vector<std::pair<std::string, std::string>>& merges);

// The training texts: every .md, .txt, .py, .cpp and .h file under `dir` (recursively), in sorted path order.
// Throws std::runtime_error naming the folder when it does not exist or holds none.
std::vector<std::string> read_demo_corpus(const std::string& dir);

// resources/demo/docs of the source tree this engine was built from.
std::string default_demo_corpus_dir();

// The merge limit the project's tokenizer uses.
inline constexpr int k_demo_tokenizer_merges = 512;

// tokenizer_config.json for the project's tokenizer: M1's settings (bos/eos/unk tokens, GPT2Tokenizer class, no
// prefix space) and a chat template written for this project that renders prompts exactly like M1's official
// template (spec §7.1).
std::string demo_tokenizer_config_json();

}  // namespace m1
