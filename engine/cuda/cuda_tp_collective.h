// The collective operations of tensor parallelism on the GPU: the one point where the ranks of cuda_tp_backend.h
// exchange data. A cuda_backend that is rank r of a TP group (cuda_options::tp_rank / tp_size) calls
// all_reduce_sum(r, ...) at each combination point of the forward pass (embedding, attention output, the lightning
// norm's sums of squares, MoE output), always in the same order on every rank.
//
// Two implementations:
//   emulated  every rank on one GPU, each in its own host thread; a call waits until every rank has reached it,
//             then one kernel sums the ranks' buffers in rank order (rank 0 + rank 1 + ...) into all of them
//             (cuda_tp_emulated.h; the GPU counterpart of engine/tp/tp_collectives.h).
//   nccl      one GPU per rank, ncclAllReduce (fp32, sum) on the rank's communicator and stream (cuda_tp_nccl.h).
//
// The decode path (cuda_decode.h) records its step, all-reduces included, into a CUDA graph per rank when the
// collective says graph_capturable() (NCCL: the call is only a launch on the stream); the emulated one synchronises
// on the host inside the call, so its ranks run the decode step without a graph.
//
// Thread-safety: all_reduce_sum is called concurrently by the ranks' threads, each with its own rank index; abort()
// may be called from any thread.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace m1::cuda {

class tp_collective {
public:
    virtual ~tp_collective() = default;
    virtual int size() const = 0;
    // data: count floats on rank's device, produced by work queued on stream s; afterwards (in stream order) every
    // rank's data holds the sum over ranks. Throws cuda_error on a failed call or after abort().
    virtual void all_reduce_sum(int rank, float* data, int64_t count, cudaStream_t s) = 0;
    // Whether all_reduce_sum may be recorded by a stream capture (no host synchronisation inside the call).
    virtual bool graph_capturable() const = 0;
    // A host-side vote (cuda_tp_vote.h): each rank calls it once per round; true when every rank passed ok. Throws
    // cuda_error after abort().
    virtual bool all_agree(int rank, bool ok) = 0;
    // Changes whenever the underlying communicators are made again (NCCL after an abort): graphs that captured
    // the old ones must be captured again.
    virtual uint64_t epoch() const { return 0; }
    // A rank failed: ranks waiting in (or later entering) a collective throw instead of waiting forever.
    virtual void abort() = 0;
    // Called once before each forward pass of the group: clears a previous abort.
    virtual void reset() = 0;
};

}  // namespace m1::cuda
