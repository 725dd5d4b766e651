#include "engine/cuda/cuda_tp_slice.h"

#include "engine/cuda/cuda_random.cuh"
#include "engine/model/checkpoint.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace m1::cuda {

namespace {

struct box {
    int64_t r0, r1, c0, c1;
};

box resolve(int64_t rows, int64_t cols, const tensor_part& part) {
    box b{0, rows, 0, cols};
    if (part.rows.size() > 0) b.r0 = part.rows.begin, b.r1 = part.rows.end;
    if (part.cols.size() > 0) b.c0 = part.cols.begin, b.c1 = part.cols.end;
    if (b.r0 < 0 || b.r1 > rows || b.c0 < 0 || b.c1 > cols)
        throw std::out_of_range("tensor part rows [" + std::to_string(b.r0) + ", " + std::to_string(b.r1) +
                                ") cols [" + std::to_string(b.c0) + ", " + std::to_string(b.c1) +
                                ") outside a tensor of " + std::to_string(rows) + " x " + std::to_string(cols));
    return b;
}

void shape_2d(const std::vector<int64_t>& shape, int64_t& rows, int64_t& cols) {
    rows = shape.empty() ? 1 : shape[0];
    cols = 1;
    for (size_t i = 1; i < shape.size(); ++i) cols *= shape[i];
}

}  // namespace

std::vector<float> view_part(const tensor_view& t, const tensor_part& part) {
    int64_t rows = 0, cols = 0;
    shape_2d(t.shape, rows, cols);
    const size_t elem = dtype_size(t.type);
    if (t.bytes != size_t(rows * cols) * elem)
        throw checkpoint_error("tensor '" + t.name + "': byte size does not match its shape");
    const box b = resolve(rows, cols, part);
    const int64_t w = b.c1 - b.c0;
    std::vector<float> out(size_t((b.r1 - b.r0) * w));
    // A view of consecutive elements, converted by the checkpoint's own to_float.
    const auto convert = [&](int64_t first, int64_t count, float* dst) {
        tensor_view v;
        v.name = t.name;
        v.type = t.type;
        v.shape = {count};
        v.data = t.data + size_t(first) * elem;
        v.bytes = size_t(count) * elem;
        to_float(v, dst);
    };
    if (w == cols)  // whole rows: one contiguous run
        convert(b.r0 * cols, (b.r1 - b.r0) * cols, out.data());
    else
        for (int64_t r = b.r0; r < b.r1; ++r) convert(r * cols + b.c0, w, out.data() + (r - b.r0) * w);
    return out;
}

int64_t part_count(int64_t rows, int64_t cols, const tensor_part& part) {
    const box b = resolve(rows, cols, part);
    return (b.r1 - b.r0) * (b.c1 - b.c0);
}

void random_part(const tensor_spec& spec, uint64_t seed, const tensor_part& part, bf16* out16, float* out32,
                 device_buffer<bf16>& scratch16, device_buffer<float>& scratch32, cudaStream_t s) {
    random_params p = random_params_for(spec, seed);
    int64_t rows = 0, cols = 0;
    shape_2d(spec.shape, rows, cols);
    const box b = resolve(rows, cols, part);
    if (b.r0 == 0 && b.r1 == rows && b.c0 == 0 && b.c1 == cols) {  // the whole tensor: straight into place
        p.out16 = out16;
        p.out32 = out32;
        check(launch_random(p, s), "random weights kernel");
        return;
    }
    const size_t elem = out16 ? 2 : 4;
    void* src = nullptr;
    if (out16) {
        scratch16.reserve(size_t(p.count));
        p.out16 = scratch16.data();
        src = scratch16.data();
    } else {
        scratch32.reserve(size_t(p.count));
        p.out32 = scratch32.data();
        src = scratch32.data();
    }
    check(launch_random(p, s), "random weights kernel");
    void* dst = out16 ? static_cast<void*>(out16) : static_cast<void*>(out32);
    const size_t width = size_t(b.c1 - b.c0) * elem;
    check(cudaMemcpy2DAsync(dst, width, static_cast<const char*>(src) + size_t(b.r0 * cols + b.c0) * elem,
                            size_t(cols) * elem, width, size_t(b.r1 - b.r0), cudaMemcpyDeviceToDevice, s),
          "copy a rank's part of a random tensor");
}

}  // namespace m1::cuda
