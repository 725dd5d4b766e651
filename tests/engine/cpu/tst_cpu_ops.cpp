// Op-level tests of the CPU backend against independent float64 formulas written here from the spec
// (minimax-m1.md §4): lightning block form vs the token recurrence, partial RoPE, slopes, MoE routing, RMSNorm.
#include "engine/cpu/cpu_attention.h"
#include "engine/cpu/cpu_lightning.h"
#include "engine/cpu/cpu_moe.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cpu/cpu_weights.h"
#include "engine/model/forward.h"

#include <cmath>
#include <random>
#include <vector>

#include <QtTest>

namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = dist(gen);
    return v;
}

// max|a − b| / max|b|
double rel_error(const std::vector<float>& a, const std::vector<double>& b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        num = std::max(num, std::abs(double(a[i]) - b[i]));
        den = std::max(den, std::abs(b[i]));
    }
    return num / den;
}

// o_t = q_t · S_t with S_t = e^(−s) S_{t−1} + k_tᵀ v_t, in float64, one token at a time (spec §4.3.3).
void recurrence_f64(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v, int n, int d,
                    double slope, std::vector<double>& S, std::vector<double>& o) {
    const double lambda = std::exp(-slope);
    o.assign(size_t(n * d), 0.0);
    for (int t = 0; t < n; ++t) {
        for (int r = 0; r < d; ++r)
            for (int e = 0; e < d; ++e)
                S[size_t(r * d + e)] =
                    lambda * S[size_t(r * d + e)] + double(k[size_t(t * d + r)]) * v[size_t(t * d + e)];
        for (int e = 0; e < d; ++e) {
            double acc = 0;
            for (int r = 0; r < d; ++r) acc += double(q[size_t(t * d + r)]) * S[size_t(r * d + e)];
            o[size_t(t * d + e)] = acc;
        }
    }
}

}  // namespace

class TestCpuOps : public QObject {
    Q_OBJECT
private slots:
    void lightningBlocksMatchRecurrence_data() {
        QTest::addColumn<double>("slope");
        QTest::addColumn<int>("block");
        QTest::addColumn<int>("n");
        QTest::addColumn<bool>("warmState");
        // M1's fastest decay (layer 0, head 0: 2^(−1/8)·1.00001) and slowest (layer 78, head 63).
        QTest::newRow("fastest, block 32, 3 blocks + 5") << 0.9170131 << 32 << 101 << false;
        QTest::newRow("slowest, block 32, 3 blocks + 5") << 0.00390625 * 0.0126682 << 32 << 101 << false;
        QTest::newRow("middle, block 16, continuing a state") << 0.0625 << 16 << 70 << true;
        QTest::newRow("slowest, block 256, 2 blocks + 1") << 4.9e-5 << 256 << 513 << true;
        QTest::newRow("one short block") << 0.3 << 256 << 7 << false;
    }
    void lightningBlocksMatchRecurrence() {
        QFETCH(double, slope);
        QFETCH(int, block);
        QFETCH(int, n);
        QFETCH(bool, warmState);
        const int d = 16;
        // SiLU outputs are mostly positive: shift the inputs so the state grows as it does in the model.
        const auto q = random_vector(size_t(n * d), 1, -0.3f, 1.0f);
        const auto k = random_vector(size_t(n * d), 2, -0.3f, 1.0f);
        const auto v = random_vector(size_t(n * d), 3, -1.0f, 1.0f);
        std::vector<float> S = warmState ? random_vector(size_t(d * d), 4) : std::vector<float>(size_t(d * d), 0.0f);
        std::vector<double> S64(S.begin(), S.end()), o64;
        recurrence_f64(q, k, v, n, d, slope, S64, o64);

        std::vector<float> o(size_t(n * d), 0.0f);
        m1::cpu::lightning_head_blocks(q.data(), k.data(), v.data(), d, n, d, float(slope), block, S.data(), o.data(),
                                       d);
        const double err = rel_error(o, o64);
        QVERIFY2(err < 2e-6, qPrintable(QString("block form vs recurrence: %1").arg(err)));
        QVERIFY2(rel_error(S, S64) < 2e-6, "final state");
        // The positions right after block boundaries carry the inter-block term alone for their history.
        for (int t : {block - 1, block, block + 1}) {
            if (t >= n) continue;
            double num = 0, den = 0;
            for (int e = 0; e < d; ++e) {
                num = std::max(num, std::abs(o[size_t(t * d + e)] - o64[size_t(t * d + e)]));
                den = std::max(den, std::abs(o64[size_t(t * d + e)]));
            }
            QVERIFY2(num <= 2e-6 * den + 1e-12, qPrintable(QString("position %1: %2 / %3").arg(t).arg(num).arg(den)));
        }
    }

    void lightningStepMatchesRecurrence() {
        const int d = 16, n = 40;
        const double slope = 0.2;
        const auto q = random_vector(size_t(n * d), 5), k = random_vector(size_t(n * d), 6),
                   v = random_vector(size_t(n * d), 7);
        std::vector<float> S(size_t(d * d), 0.0f), o(size_t(n * d));
        std::vector<double> S64(size_t(d * d), 0.0), o64;
        recurrence_f64(q, k, v, n, d, slope, S64, o64);
        for (int t = 0; t < n; ++t)
            m1::cpu::lightning_head_step(&q[size_t(t * d)], &k[size_t(t * d)], &v[size_t(t * d)], d, float(slope),
                                         S.data(), &o[size_t(t * d)]);
        QVERIFY(rel_error(o, o64) < 2e-6);
    }

    void slopesFollowTheRemoteCode() {
        // Spec §12: 2^(−(h+1)/8) for 64 heads.
        const std::vector<double> s = m1::alibi_base_slopes(64);
        QCOMPARE(s.size(), size_t(64));
        QVERIFY(std::abs(s[0] - 0.9170040) < 1e-7);
        QVERIFY(std::abs(s[1] - 0.8408964) < 1e-7);
        QVERIFY(std::abs(s[3] - 0.7071068) < 1e-7);
        QCOMPARE(s[63], 0.00390625);
        // Not a power of two: the 4-head slopes, then every second one of the 8-head list.
        const std::vector<double> six = m1::alibi_base_slopes(6);
        const std::vector<double> want = {0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125};
        for (size_t i = 0; i < want.size(); ++i) QCOMPARE(six[i], want[i]);
        // Layer factor from the global index over all 80 layers: l = 7 → ×0.9114024, l = 78 → ×0.0126682.
        m1::model_config c;
        c.num_heads = 64;
        c.num_layers = 80;
        QVERIFY(std::abs(m1::lightning_slopes(c, 7)[3] / 0.70710678 - 0.9114024) < 1e-6);
        QVERIFY(std::abs(m1::lightning_slopes(c, 78)[0] / 0.9170040 - 0.0126682) < 1e-6);
        QVERIFY(std::abs(m1::lightning_slopes(c, 0)[0] - 0.9170040 * 1.00001) < 1e-6);
    }

    void ropeRotatesOnlyTheRotarySlice() {
        m1::model_config c;
        c.rotary_dim = 8;
        c.rope_theta = 1e4;
        const std::vector<float> inv = m1::rope_inv_freq(c);
        QCOMPARE(inv.size(), size_t(4));
        for (int i = 0; i < 4; ++i) QVERIFY(std::abs(inv[size_t(i)] - std::pow(1e4, -2.0 * i / 8)) < 1e-7);
        const int d = 16, heads = 3, n = 5, pos0 = 997;
        std::vector<float> x = random_vector(size_t(n * heads * d), 8);
        const std::vector<float> before = x;
        m1::cpu::apply_rope(x.data(), n, heads, d, 8, pos0, inv);
        std::vector<double> want(before.begin(), before.end());
        for (int t = 0; t < n; ++t)
            for (int h = 0; h < heads; ++h)
                for (int i = 0; i < 4; ++i) {  // pairs (i, i + 4) inside the first 8 dims; dims 8..15 unchanged
                    const double a = double(pos0 + t) * std::pow(1e4, -2.0 * i / 8);
                    const size_t base = size_t((t * heads + h) * d);
                    const double x1 = before[base + size_t(i)], x2 = before[base + size_t(i + 4)];
                    want[base + size_t(i)] = x1 * std::cos(a) - x2 * std::sin(a);
                    want[base + size_t(i + 4)] = x2 * std::cos(a) + x1 * std::sin(a);
                }
        QVERIFY2(rel_error(x, want) < 1e-4, qPrintable(QString::number(rel_error(x, want))));  // fp32 angles near 1000
        for (int t = 0; t < n; ++t)
            for (int h = 0; h < heads; ++h)
                for (int e = 8; e < d; ++e)
                    QCOMPARE(x[size_t((t * heads + h) * d + e)], before[size_t((t * heads + h) * d + e)]);
        // Position 0 is the identity.
        std::vector<float> y = before;
        m1::cpu::apply_rope(y.data(), 1, heads, d, 8, 0, inv);
        for (int e = 0; e < heads * d; ++e) QCOMPARE(y[size_t(e)], before[size_t(e)]);
    }

    void routingTakesTopKAndRenormalizes() {
        // 2 tokens, 4 experts, top-2.
        const std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.5f,    // → experts 1, 3
                                           3.0f, 3.0f, 0.0f,  -2.0f};  // tie → lower index first: 0, 1
        const m1::cpu::routing r = m1::cpu::route_tokens(logits.data(), 2, 4, 2);
        QCOMPARE(r.expert, (std::vector<int32_t>{1, 3, 0, 1}));
        // Renormalized top-2 softmax = a softmax over the two chosen logits.
        QVERIFY(std::abs(r.weight[0] - 1.0 / (1.0 + std::exp(1.5 - 2.0))) < 1e-6);
        QVERIFY(std::abs(r.weight[1] - 1.0 / (1.0 + std::exp(2.0 - 1.5))) < 1e-6);
        QVERIFY(std::abs(r.weight[2] - 0.5) < 1e-6);
        QVERIFY(std::abs(r.weight[3] - 0.5) < 1e-6);
    }

    void moeMatchesPerTokenExperts() {
        m1::model_config c;
        c.hidden_size = 12;
        c.num_experts = 5;
        c.experts_per_token = 2;
        c.intermediate_size = 7;
        const int n = 9, H = 12, E = 5, I = 7;
        m1::cpu::layer_weights w;
        w.router = random_vector(size_t(E * H), 20);
        for (int e = 0; e < E; ++e)
            w.experts.push_back({random_vector(size_t(I * H), 30u + uint32_t(e)),
                                 random_vector(size_t(I * H), 40u + uint32_t(e)),
                                 random_vector(size_t(H * I), 50u + uint32_t(e))});
        const std::vector<float> g = random_vector(size_t(n * H), 21);
        std::vector<float> m(size_t(n * H));
        m1::cpu::moe_layer(c, w, g.data(), n, m.data());
        // Independent: per token, float64 softmax over all experts, top-2, renormalize, SwiGLU experts.
        std::vector<double> want(size_t(n * H), 0.0);
        for (int t = 0; t < n; ++t) {
            std::vector<double> p(static_cast<size_t>(E));
            double mx = -1e300, sum = 0;
            for (int e = 0; e < E; ++e) {
                double acc = 0;
                for (int j = 0; j < H; ++j) acc += double(w.router[size_t(e * H + j)]) * g[size_t(t * H + j)];
                p[size_t(e)] = acc;
                mx = std::max(mx, acc);
            }
            for (double& x : p) sum += (x = std::exp(x - mx));
            int best = 0, second = -1;
            for (int e = 1; e < E; ++e)
                if (p[size_t(e)] > p[size_t(best)]) best = e;
            for (int e = 0; e < E; ++e)
                if (e != best && (second < 0 || p[size_t(e)] > p[size_t(second)])) second = e;
            for (int e : {best, second}) {
                const double wt = p[size_t(e)] / (p[size_t(best)] + p[size_t(second)]);
                const auto& ew = w.experts[size_t(e)];
                std::vector<double> hmid(static_cast<size_t>(I));
                for (int i = 0; i < I; ++i) {
                    double a = 0, b = 0;
                    for (int j = 0; j < H; ++j) {
                        a += double(ew.w1[size_t(i * H + j)]) * g[size_t(t * H + j)];
                        b += double(ew.w3[size_t(i * H + j)]) * g[size_t(t * H + j)];
                    }
                    hmid[size_t(i)] = a / (1 + std::exp(-a)) * b;
                }
                for (int j = 0; j < H; ++j) {
                    double y = 0;
                    for (int i = 0; i < I; ++i) y += double(ew.w2[size_t(j * I + i)]) * hmid[size_t(i)];
                    want[size_t(t * H + j)] += wt * y;
                }
            }
        }
        QVERIFY2(rel_error(m, want) < 1e-5, qPrintable(QString::number(rel_error(m, want))));
    }

    void rmsnormMatchesFloat64() {
        const int n = 3, dim = 40;
        const auto x = random_vector(size_t(n * dim), 60, -3, 3), w = random_vector(size_t(dim), 61, 0.5, 1.5);
        std::vector<float> y(size_t(n * dim));
        m1::cpu::rmsnorm(x.data(), w.data(), n, dim, 1e-6, y.data());
        std::vector<double> want(size_t(n * dim));
        for (int r = 0; r < n; ++r) {
            double ss = 0;
            for (int i = 0; i < dim; ++i) ss += double(x[size_t(r * dim + i)]) * x[size_t(r * dim + i)];
            const double s = 1 / std::sqrt(ss / dim + 1e-6);
            for (int i = 0; i < dim; ++i) want[size_t(r * dim + i)] = double(w[size_t(i)]) * x[size_t(r * dim + i)] * s;
        }
        QVERIFY(rel_error(y, want) < 1e-6);
    }

    void refusesModelsTooLargeForMemory() {
        const QByteArray env = qgetenv("M1_SHARED_DIR");
        const std::string shared = env.isEmpty() ? std::string(M1_SHARED_DIR) : env.toStdString();
        const m1::model_config real = m1::model_config::from_json_file(shared + "/models/minimax-m1/config.json");
        // 456,089,655,296 parameters (spec §3) × 4 bytes.
        QCOMPARE(m1::cpu::cpu_weight_bytes(real), size_t(456089655296) * 4);
        try {
            m1::cpu::check_cpu_weights_fit(real, "MiniMax-M1", size_t(64) << 30);
            QFAIL("the full model was accepted on a 64 GiB machine");
        } catch (const m1::checkpoint_error& e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith("MiniMax-M1: ") && what.contains("1824.4 GB") && what.contains("68.7 GB"),
                     qPrintable(what));
        }
        m1::cpu::check_cpu_weights_fit(real, "MiniMax-M1", size_t(2) << 40);  // 2 TiB: fits
    }

    void paddingLogitsAreMasked() {
        std::vector<float> logits(2 * 6, 1.0f);
        m1::mask_padding_logits(logits.data(), 2, 6, 4);
        for (int r = 0; r < 2; ++r)
            for (int v = 0; v < 6; ++v) QCOMPARE(std::isinf(logits[size_t(r * 6 + v)]), v >= 4);
        m1::mask_padding_logits(logits.data(), 2, 6, -1);  // nothing to mask
        QCOMPARE(logits[0], 1.0f);
    }
};

QTEST_GUILESS_MAIN(TestCpuOps)
#include "tst_cpu_ops.moc"
