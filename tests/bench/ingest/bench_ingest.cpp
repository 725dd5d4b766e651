// Ingest benchmark (not a test): PDF pages/s, repository files/s and tokens/s, at 1 thread and at N threads.
// Run through tests/bench/ingest/run_bench.sh, which also times pdftotext on the same PDF; numbers go to
// tests/bench/RESULTS.md.
//
//   m1_bench_ingest --pdf FILE [--pdf FILE...] --repo DIR --tokenizer FILE [--threads N]
#include "engine/tokenizer/tokenizer.h"
#include "ingest/core/run_control.h"
#include "ingest/git/git_reader.h"
#include "ingest/pdf/pdf_reader.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace m1::ingest;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> pdfs;
    std::string repo, tokenizer_path;
    unsigned threads = std::thread::hardware_concurrency();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--pdf")) pdfs.push_back(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--repo")) repo = argv[i + 1];
        else if (!std::strcmp(argv[i], "--tokenizer")) tokenizer_path = argv[i + 1];
        else if (!std::strcmp(argv[i], "--threads")) threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    }
    if (pdfs.empty() || repo.empty() || tokenizer_path.empty()) {
        std::fprintf(stderr, "usage: m1_bench_ingest --pdf FILE [--pdf FILE...] --repo DIR --tokenizer FILE [--threads N]\n");
        return 2;
    }
    try {
        const auto tok = m1::tokenizer::load(tokenizer_path);
        const token_counter count = [&](std::string_view t) { return tok->count(t); };
        for (const std::string& pdf : pdfs) {
            std::printf("%s\n", pdf.c_str());
            for (bool boxes : {false, true}) {
                for (unsigned t : {1u, threads}) {
                    pdf_options po;
                    po.run.threads = t;
                    po.word_boxes = boxes;
                    auto t0 = std::chrono::steady_clock::now();
                    const source doc = read_pdf(pdf, po);
                    const double s = seconds_since(t0);
                    std::printf("pdf   threads=%-2u %zu pages in %.3f s: %.0f pages/s (%s)\n", t, doc.pages.size(),
                                s, doc.pages.size() / s, boxes ? "text + word boxes" : "text only");
                }
            }
        }
        for (unsigned t : {1u, threads}) {
            git_options go;
            go.run.threads = t;
            go.history = 0;
            auto t0 = std::chrono::steady_clock::now();
            git_sources g = read_git(repo, go);
            const double read_s = seconds_since(t0);
            const size_t files = std::stoul(g.files.meta("files"));
            run_options ro;
            ro.threads = t;
            t0 = std::chrono::steady_clock::now();
            count_tokens(g.files, count, ro);
            const double count_s = seconds_since(t0);
            const size_t tokens = g.files.total_tokens();
            std::printf("git   threads=%-2u %zu files (%zu left out) read in %.3f s: %.0f files/s; %zu tokens counted "
                        "in %.3f s: %.0f tokens/s; together %.0f files/s\n",
                        t, files, g.files.skipped.size(), read_s, files / read_s, tokens, count_s, tokens / count_s,
                        files / (read_s + count_s));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "m1_bench_ingest: %s\n", e.what());
        return 1;
    }
    return 0;
}
