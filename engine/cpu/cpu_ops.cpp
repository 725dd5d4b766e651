#include "engine/cpu/cpu_ops.h"

#include <cblas.h>
#include <cmath>

namespace m1::cpu {

void linear(const float* x, int64_t n, int64_t in, const float* w, int64_t out, float* y) {
    if (n == 0 || out == 0) return;
    if (n == 1) {  // decode: a matrix-vector product (sgemm would pack the whole weight matrix first)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, int(out), int(in), 1.0f, w, int(in), x, 1, 0.0f, y, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(out), int(in), 1.0f, x, int(in), w, int(in), 0.0f,
                y, int(out));
}

void rmsnorm(const float* x, const float* w, int64_t n, int64_t dim, double eps, float* y) {
    for (int64_t r = 0; r < n; ++r) {
        const float* xr = x + r * dim;
        float* yr = y + r * dim;
        double ss = 0;
        for (int64_t i = 0; i < dim; ++i) ss += double(xr[i]) * double(xr[i]);
        const float scale = float(1.0 / std::sqrt(ss / double(dim) + eps));
        for (int64_t i = 0; i < dim; ++i) yr[i] = w[i] * (xr[i] * scale);
    }
}

float sigmoid(float x) {
    return 1.0f / (1.0f + std::exp(-x));
}

float silu(float x) {
    return x * sigmoid(x);
}

void silu_inplace(float* x, int64_t count) {
    for (int64_t i = 0; i < count; ++i) x[i] = silu(x[i]);
}

void softmax_inplace(float* x, int64_t n) {
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; ++i) mx = std::fmax(mx, x[i]);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - mx);
        sum += x[i];
    }
    const float inv = float(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void scale_add(float a, const float* x, float b, float* y, int64_t count) {
    for (int64_t i = 0; i < count; ++i) y[i] = a * x[i] + b * y[i];
}

}  // namespace m1::cpu
