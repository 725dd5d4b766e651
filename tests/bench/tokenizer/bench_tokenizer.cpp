// Single-thread encode throughput of m1::tokenizer (a benchmark, not a test; results go to tests/bench/RESULTS.md).
//
//   bench_tokenizer TOKENIZER_JSON CORPUS_DIR [MEGABYTES=8] [RUNS=5] [THREADS=0]
//
// The text is every CORPUS_DIR/*.txt in name order, concatenated and repeated until it reaches MEGABYTES; bench_hf.py
// builds exactly the same text for HF tokenizers. Prints one JSON object: the cold first run, the median and best
// of the following runs in MB/s (10^6 bytes per second of wall time), the token count and an FNV-1a hash of the
// ids (so the two sides can be checked to agree), and the median MB/s when the same bytes are encoded file by file. THREADS > 0 also times count() on that many threads, each on its
// own copy of the text, sharing one tokenizer.
#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

uint64_t fnv1a(const std::vector<int32_t>& ids) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int32_t id : ids) {
        const uint32_t v = static_cast<uint32_t>(id);
        for (int k = 0; k < 4; ++k) {
            h ^= (v >> (8 * k)) & 0xFF;
            h *= 0x100000001b3ull;
        }
    }
    return h;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_tokenizer TOKENIZER_JSON CORPUS_DIR [MEGABYTES=8] [RUNS=5] [THREADS=0]\n");
        return 2;
    }
    const double megabytes = argc > 3 ? std::atof(argv[3]) : 8.0;
    const int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
    const int threads = argc > 5 ? std::atoi(argv[5]) : 0;

    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(argv[2]))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::string corpus;
    std::vector<std::string> documents;  // the files one by one, for the chunked measurement
    for (const auto& f : files) {
        documents.push_back(read_file(f));
        corpus += documents.back();
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "bench_tokenizer: no .txt files in %s\n", argv[2]);
        return 1;
    }
    std::string text;
    while (text.size() < megabytes * 1e6) text += corpus;

    const auto t_load = std::chrono::steady_clock::now();
    auto tok = m1::tokenizer::load(argv[1]);
    const double load_s = seconds_since(t_load);

    std::vector<double> mbps;
    std::vector<int32_t> ids;
    for (int r = 0; r <= runs; ++r) {  // run 0 is the cold one (empty cache)
        const auto t0 = std::chrono::steady_clock::now();
        ids = tok->encode(text);
        mbps.push_back(text.size() / seconds_since(t0) / 1e6);
    }
    const double cold = mbps.front();
    std::vector<double> warm(mbps.begin() + 1, mbps.end());
    std::sort(warm.begin(), warm.end());

    // Chunked: the same bytes encoded file by file (strings of 26..84 KB), as ingestion sees documents.
    std::vector<double> chunked;
    for (int r = 0; r < runs; ++r) {
        size_t bytes = 0;
        const auto t0 = std::chrono::steady_clock::now();
        while (bytes < text.size())
            for (const std::string& d : documents) {
                bytes += d.size();
                (void)tok->encode(d);
            }
        chunked.push_back(bytes / seconds_since(t0) / 1e6);
    }
    std::sort(chunked.begin(), chunked.end());

    double parallel_mbps = 0;
    if (threads > 0) {
        std::vector<std::thread> pool;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < threads; ++i) pool.emplace_back([&] { (void)tok->count(text); });
        for (auto& t : pool) t.join();
        parallel_mbps = threads * text.size() / seconds_since(t0) / 1e6;
    }

    std::printf("{\"impl\": \"m1::tokenizer\", \"bytes\": %zu, \"tokens\": %zu, \"ids_fnv1a64\": \"%016llx\", "
                "\"load_s\": %.3f, \"cold_mbps\": %.2f, \"median_mbps\": %.2f, \"best_mbps\": %.2f, \"runs\": %d, "
                "\"chunked_median_mbps\": %.2f, \"threads\": %d, \"parallel_count_mbps\": %.2f}\n",
                text.size(), ids.size(), static_cast<unsigned long long>(fnv1a(ids)), load_s, cold,
                warm[warm.size() / 2], warm.back(), runs, chunked[chunked.size() / 2], threads, parallel_mbps);
    return 0;
}
