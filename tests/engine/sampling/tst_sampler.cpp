// engine/sampling: the PRNG against its published test vectors, and the sampler's distribution against an exact
// computation done here in double precision with a plain full sort (not the sampler's selection code).
#include "engine/sampling/sampler.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

namespace {

std::vector<float> randomLogits(size_t n, unsigned seed, float scale = 3.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

// The exact sampling distribution: softmax(logit / T) over the allowed ids, top-k, then the smallest prefix (by
// probability, ties to the smaller id) whose mass reaches top_p, renormalised.
std::map<int32_t, double> exactDistribution(const std::vector<float>& logits, double temperature, int topK, double topP,
                                            const std::vector<int32_t>& allowed) {
    std::vector<int32_t> ids = allowed;
    std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
        return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
    });
    if (topK > 0 && size_t(topK) < ids.size()) ids.resize(size_t(topK));
    std::vector<double> p(ids.size());
    const double best = logits[size_t(ids[0])];
    for (size_t i = 0; i < ids.size(); ++i) p[i] = std::exp((logits[size_t(ids[i])] - best) / temperature);
    const double total = std::accumulate(p.begin(), p.end(), 0.0);
    size_t keep = ids.size();
    if (topP < 1.0) {
        double cum = 0.0;
        for (size_t i = 0; i < ids.size(); ++i) {
            cum += p[i] / total;
            if (cum >= topP) {
                keep = i + 1;
                break;
            }
        }
    }
    const double kept = std::accumulate(p.begin(), p.begin() + ptrdiff_t(keep), 0.0);
    std::map<int32_t, double> dist;
    for (size_t i = 0; i < keep; ++i) dist[ids[i]] = p[i] / kept;
    return dist;
}

// Draws n samples and checks every id is in `dist` and every frequency is within 5 standard errors (+ a small
// floor) of its exact probability.
void checkFrequencies(m1::sampler& s, const std::vector<float>& logits, const std::map<int32_t, double>& dist, int n) {
    std::map<int32_t, int> counts;
    for (int i = 0; i < n; ++i) {
        const int32_t id = s.sample(logits);
        QVERIFY2(dist.count(id), qPrintable(QStringLiteral("sampled id %1 is outside the kept set").arg(id)));
        ++counts[id];
    }
    for (const auto& [id, p] : dist) {
        const double f = double(counts[id]) / n;
        const double tolerance = 5.0 * std::sqrt(p * (1.0 - p) / n) + 1e-3;
        QVERIFY2(std::abs(f - p) <= tolerance,
                 qPrintable(QStringLiteral("id %1: frequency %2, probability %3").arg(id).arg(f).arg(p)));
    }
}

std::vector<int32_t> iota(int32_t n) {
    std::vector<int32_t> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

}  // namespace

class TestSampler : public QObject {
    Q_OBJECT
private slots:
    // Published vectors: splitmix64 from state 0 (Vigna's splitmix64.c; also Java's SplittableRandom), and
    // xoshiro256** from state {1, 2, 3, 4} (the reference implementation's output, used by rand_xoshiro's tests).
    void rngMatchesPublishedVectors() {
        uint64_t state = 0;
        QCOMPARE(m1::splitmix64_next(state), 0xe220a8397b1dcdafull);
        QCOMPARE(m1::splitmix64_next(state), 0x6e789e6aa1b965f4ull);
        QCOMPARE(m1::splitmix64_next(state), 0x06c45d188009454full);
        m1::xoshiro256ss x;
        x.set_state(1, 2, 3, 4);
        const uint64_t expected[] = {11520ull, 0ull, 1509978240ull, 1215971899390074240ull, 1216172134540287360ull,
                                     607988272756665600ull, 16172922978634559625ull, 8476171486693032832ull,
                                     10595114339597558777ull, 2904607092377533576ull};
        for (const uint64_t e : expected) QCOMPARE(x.next(), e);
        for (int i = 0; i < 1000; ++i) {
            const double u = x.uniform();
            QVERIFY(u >= 0.0 && u < 1.0);
        }
    }

    void greedyAndTopK1AreArgmax() {
        for (unsigned seed = 1; seed <= 20; ++seed) {
            const auto logits = randomLogits(5000, seed);
            const int32_t want = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
            m1::sampler greedy({0.0f, 1.0f, 0, seed}, 5000);
            QCOMPARE(greedy.sample(logits), want);
            m1::sampler top1({1.0f, 0.95f, 1, seed}, 5000);
            QCOMPARE(top1.sample(logits), want);
        }
    }

    void deterministicPerSeed() {
        const auto run = [](uint64_t seed) {
            m1::sampler s({1.0f, 0.95f, 0, seed}, 1000);
            std::vector<int32_t> ids;
            for (unsigned step = 0; step < 200; ++step) ids.push_back(s.sample(randomLogits(1000, step, 1.0f)));
            return ids;
        };
        const auto a = run(42), b = run(42), c = run(43);
        QCOMPARE(a, b);
        QVERIFY(a != c);
        m1::sampler s({1.0f, 0.95f, 0, 42}, 1000);  // reseed restarts the sequence
        (void)s.sample(randomLogits(1000, 0, 1.0f));
        s.reseed(42);
        QCOMPARE(s.sample(randomLogits(1000, 0, 1.0f)), a[0]);
    }

    // M1's shape: 200064 logits, 200036 real ids. The padding ids and the banned ids get the largest logits, so any
    // leak would show at once.
    void paddingAndBannedIdsAreNeverSampled_data() {
        QTest::addColumn<float>("temperature");
        QTest::addColumn<float>("topP");
        QTest::addColumn<int>("topK");
        QTest::newRow("greedy") << 0.0f << 1.0f << 0;
        QTest::newRow("plain") << 1.0f << 1.0f << 0;
        QTest::newRow("top-p") << 1.0f << 0.95f << 0;
        QTest::newRow("top-k") << 0.7f << 1.0f << 40;
        QTest::newRow("both") << 1.3f << 0.9f << 100;
    }

    void paddingAndBannedIdsAreNeverSampled() {
        QFETCH(float, temperature);
        QFETCH(float, topP);
        QFETCH(int, topK);
        constexpr int32_t width = 200064, valid = 200036;
        auto logits = randomLogits(width, 7, 1.0f);
        const std::vector<int32_t> banned = {0, 17, 200032, 200033, 200034, 200035, 150000};
        for (int32_t id = valid; id < width; ++id) logits[size_t(id)] = 50.0f;
        for (const int32_t id : banned) logits[size_t(id)] = 40.0f;
        logits[5] = std::nanf("");
        logits[6] = std::numeric_limits<float>::infinity() * -1.0f;
        m1::sampler s({temperature, topP, topK, 99}, valid);
        s.set_banned_ids(banned);
        QVERIFY(s.is_banned(17) && s.is_banned(valid) && !s.is_banned(18));
        for (int i = 0; i < 50; ++i) {  // a leak would show at once: forbidden ids hold nearly all the mass
            const int32_t id = s.sample(logits);
            QVERIFY2(id >= 0 && id < valid && id != 5 && id != 6 &&
                         std::find(banned.begin(), banned.end(), id) == banned.end(),
                     qPrintable(QString::number(id)));
        }
    }

    void nothingAllowedGivesMinusOne() {
        std::vector<float> logits = {1.0f, -std::numeric_limits<float>::infinity(), std::nanf(""), 9.0f};
        m1::sampler s({1.0f, 1.0f, 0, 1}, 3);
        const int32_t banned[] = {0};
        s.set_banned_ids(banned);
        QCOMPARE(s.sample(logits), -1);
        QCOMPARE(s.argmax(logits), -1);
        // +inf wins outright, even over ids that are not allowed
        logits = {1.0f, std::numeric_limits<float>::infinity(), 2.0f, std::numeric_limits<float>::infinity()};
        m1::sampler t({1.0f, 0.9f, 0, 1}, 3);
        QCOMPARE(t.sample(logits), 1);
    }

    void temperatureScalesTheDistribution_data() {
        QTest::addColumn<float>("temperature");
        QTest::newRow("T=1") << 1.0f;
        QTest::newRow("T=0.5") << 0.5f;
        QTest::newRow("T=2") << 2.0f;
    }

    void temperatureScalesTheDistribution() {
        QFETCH(float, temperature);
        const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(4.0f), -1.0f, 0.5f};
        m1::sampler s({temperature, 1.0f, 0, 5}, int32_t(logits.size()));
        checkFrequencies(s, logits, exactDistribution(logits, temperature, 0, 1.0, iota(5)), 40000);
    }

    void topPKeepsTheSmallestSetReachingTheMass_data() {
        QTest::addColumn<float>("topP");
        QTest::addColumn<float>("temperature");
        QTest::addColumn<int>("topK");
        QTest::newRow("p=0.8") << 0.8f << 1.0f << 0;
        QTest::newRow("p=0.5 T=1.5") << 0.5f << 1.5f << 0;
        QTest::newRow("p=0.95 k=10") << 0.95f << 1.0f << 10;
        QTest::newRow("k=3") << 1.0f << 1.0f << 3;
        QTest::newRow("p=0.3 T=2") << 0.3f << 2.0f << 0;
    }

    void topPKeepsTheSmallestSetReachingTheMass() {
        QFETCH(float, topP);
        QFETCH(float, temperature);
        QFETCH(int, topK);
        const auto logits = randomLogits(60, 11, 1.5f);
        const auto dist = exactDistribution(logits, temperature, topK, topP, iota(60));
        QVERIFY(dist.size() > 1 && dist.size() < 60);  // the cut really removes something
        m1::sampler s({temperature, topP, topK, 2024}, 60);
        checkFrequencies(s, logits, dist, 40000);
    }

    // Equal logits: the kept set is cut by id, and the result does not depend on how selection reorders them.
    void tiesAreBrokenTowardsSmallerIds() {
        const std::vector<float> logits(100, 0.0f);
        m1::sampler s({1.0f, 1.0f, 5, 3}, 100);
        for (int i = 0; i < 500; ++i) QVERIFY(s.sample(logits) < 5);
        m1::sampler p({1.0f, 0.095f, 0, 3}, 100);  // mass 0.095 of 100 equal ids: the first 10
        for (int i = 0; i < 500; ++i) QVERIFY(p.sample(logits) < 10);
    }

    void stopIds() {
        const int32_t stops[] = {m1::k_m1_end_of_sentence};
        QVERIFY(m1::is_stop_id(stops, 200020));
        QVERIFY(!m1::is_stop_id(stops, 200021));
        QVERIFY(!m1::is_stop_id({}, 200020));
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "tst_sampler.moc"
