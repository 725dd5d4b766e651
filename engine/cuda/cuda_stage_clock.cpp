#include "engine/cuda/cuda_stage_clock.h"

#include "engine/cuda/cuda_util.h"


namespace m1::cuda {

namespace {
stage_clock* g_installed = nullptr;
}  // namespace

stage_clock::~stage_clock() {
    if (g_installed == this) g_installed = nullptr;
    for (cudaEvent_t e : m_events) cudaEventDestroy(e);
}

void stage_clock::install(stage_clock* c) {
    g_installed = c;
}

stage_clock* stage_clock::installed() {
    return g_installed;
}

cudaEvent_t stage_clock::next_event() {
    if (m_used == m_events.size()) {
        cudaEvent_t e = nullptr;
        check(cudaEventCreate(&e), "stage clock: cudaEventCreate");
        m_events.push_back(e);
    }
    return m_events[m_used++];
}

void stage_clock::begin(cudaStream_t s) {
    if (m_used > 0) return;  // an interval is open: the previous mark continues it
    check(cudaEventRecord(next_event(), s), "stage clock: cudaEventRecord");
    m_charged.push_back(nullptr);
}

void stage_clock::mark(cudaStream_t s, const char* stage) {
    if (m_used == 0) {  // no begin(): the interval starts here and this mark charges nothing
        begin(s);
        return;
    }
    check(cudaEventRecord(next_event(), s), "stage clock: cudaEventRecord");
    m_charged.push_back(stage);
}

void stage_clock::collect() {
    if (m_used == 0) return;
    check(cudaEventSynchronize(m_events[m_used - 1]), "stage clock: cudaEventSynchronize");
    for (size_t i = 1; i < m_used; ++i) {
        const char* stage = m_charged[i];
        if (!stage) continue;
        float ms = 0;
        check(cudaEventElapsedTime(&ms, m_events[i - 1], m_events[i]), "stage clock: cudaEventElapsedTime");
        stage_total* t = nullptr;
        for (stage_total& x : m_totals)
            if (x.stage == stage) t = &x;
        if (!t) t = &m_totals.emplace_back(stage_total{stage, 0, 0});
        t->seconds += 1e-3 * double(ms);
        ++t->intervals;
    }
    m_used = 0;
    m_charged.clear();
}

double stage_clock::total_seconds() const {
    double s = 0;
    for (const stage_total& t : m_totals) s += t.seconds;
    return s;
}

}  // namespace m1::cuda
