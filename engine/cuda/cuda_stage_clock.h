// Where the prefill's GPU time goes: `m1 bench --stages` installs a stage_clock, and the backend's prefill records a
// CUDA event after each stage of a layer (the input norm, the q/k/v product, the lightning kernel, the experts'
// products, ...). The device time between two consecutive events on the stream is charged to the stage named by the
// later one. Gaps where the GPU waited for the host (the MoE routing round trip, launch latency) land in the stage
// that follows them, so the host's share shows up under its own name where the code marks it.
//
// Nothing is recorded unless a clock is installed: the backend then pays one pointer test per stage. An installed
// clock records without synchronising; collect() waits for the recorded events (call it after a forward has
// finished) and adds their intervals to the totals. Events cost about a microsecond each on the stream, so a profiled
// prefill is slightly slower than a plain one (the benchmark notes this beside its times).
//
// Ownership: the clock owns its events. Thread-safety: one installed clock per process, marked by the thread that
// runs the backend's forward (tensor-parallel ranks run on their own threads and do not mark).
#pragma once

#include <cstdint>
#include <cuda_runtime_api.h>
#include <string>
#include <vector>

namespace m1::cuda {

class stage_clock {
public:
    struct stage_total {
        std::string stage;
        double seconds = 0;
        int64_t intervals = 0;
    };

    stage_clock() = default;
    ~stage_clock();
    stage_clock(const stage_clock&) = delete;
    stage_clock& operator=(const stage_clock&) = delete;

    // The clock the backend's prefill records on; nullptr (the default) records nothing. A clock that is installed
    // when it is destroyed uninstalls itself.
    static void install(stage_clock* c);
    static stage_clock* installed();

    // Opens an interval on s when none is open (at the start of a forward chunk): the time before it is nobody's.
    void begin(cudaStream_t s);
    // Closes the open interval with an event on s and charges it to `stage` (a string literal or other string that
    // outlives the next collect()); the next interval starts here.
    void mark(cudaStream_t s, const char* stage);
    // Waits for every recorded event, adds the intervals to the totals and reuses the events. Throws cuda_error.
    void collect();
    // Totals per stage in the order the stages were first seen.
    const std::vector<stage_total>& totals() const { return m_totals; }
    double total_seconds() const;

private:
    cudaEvent_t next_event();

    std::vector<cudaEvent_t> m_events;        // pool; [0, m_used) recorded since the last collect()
    std::vector<const char*> m_charged;       // per recorded event: the stage it closes (nullptr for begin())
    size_t m_used = 0;
    std::vector<stage_total> m_totals;
};

}  // namespace m1::cuda
