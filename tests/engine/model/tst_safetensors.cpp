// The safetensors reader and writer: bit-exact round trip, dtype conversion, and damaged headers.
#include "engine/model/safetensors.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

namespace {

std::vector<unsigned char> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 gen(seed);
    std::vector<unsigned char> out(n);
    for (auto& b : out) b = static_cast<unsigned char>(gen());
    return out;
}

// Writes a file by hand: the 8-byte length, `header` verbatim, then `data_bytes` zero bytes.
void write_raw(const std::string& path, const std::string& header, size_t data_bytes) {
    std::ofstream out(path, std::ios::binary);
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(n >> (8 * i)));
    out << header << std::string(data_bytes, '\0');
}

QString error_of(const std::string& path) {
    try {
        m1::read_safetensors_header(path);
    } catch (const m1::checkpoint_error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void roundTripIsBitExact() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("t.safetensors")).toStdString();
        const std::vector<m1::tensor_spec> specs = {
            {"a.weight", m1::dtype::bf16, {3, 5}},
            {"b.scalar", m1::dtype::f32, {}},
            {"c.half", m1::dtype::f16, {7}},
            {"d.empty", m1::dtype::f32, {0, 4}},
            {"e.router", m1::dtype::f32, {4, 33}},
        };
        std::vector<std::vector<unsigned char>> data;
        {
            m1::safetensors_writer w(path, specs, {{"format", "pt"}});
            uint32_t seed = 1;
            for (const auto& s : specs) {
                data.push_back(random_bytes(s.bytes(), seed++));
                // Written in two pieces to check that pieces concatenate.
                const size_t half = data.back().size() / 2;
                w.write(data.back().data(), half);
                w.write(data.back().data() + half, data.back().size() - half);
            }
            w.finish();
            QCOMPARE(static_cast<qint64>(w.file_size()), QFileInfo(QString::fromStdString(path)).size());
        }
        const m1::safetensors_header h = m1::read_safetensors_header(path);
        QCOMPARE(h.metadata.at("format"), std::string("pt"));
        QCOMPARE(h.data_start % 8, uint64_t(0));  // the header is padded so data is 8-byte aligned
        QCOMPARE(h.tensors.size(), specs.size());
        m1::mapped_file map(path);
        for (size_t i = 0; i < specs.size(); ++i) {
            const auto it = std::find_if(h.tensors.begin(), h.tensors.end(),
                                         [&](const m1::safetensors_entry& e) { return e.name == specs[i].name; });
            QVERIFY(it != h.tensors.end());
            QCOMPARE(it->type, specs[i].type);
            QCOMPARE(it->shape, specs[i].shape);
            QCOMPARE(it->bytes, data[i].size());
            QVERIFY(std::memcmp(map.data() + it->offset, data[i].data(), data[i].size()) == 0);
        }
        // The header is plain JSON that other readers understand.
        std::ifstream in(path, std::ios::binary);
        std::string text(h.data_start - 8, '\0');
        in.seekg(8);
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        const auto j = nlohmann::json::parse(text);
        QCOMPARE(j.at("a.weight").at("dtype").get<std::string>(), std::string("BF16"));
        QCOMPARE(j.at("e.router").at("shape"), nlohmann::json({4, 33}));
    }

    void convertsEachDtypeToFloat() {
        // IEEE bit patterns (little-endian) with their values, independent of the code under test.
        const uint16_t bf16[] = {0x3F80, 0xC000, 0x4049, 0x0000, 0x8000, 0x7F80, 0x3E80};
        const float bf16_want[] = {1.0f, -2.0f, 3.140625f, 0.0f, -0.0f, INFINITY, 0.25f};
        const uint16_t f16[] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x0400, 0x03FF, 0x7C00, 0x3555};
        const float f16_want[] = {1.0f, -2.0f, 65504.0f, 5.9604645e-8f, 6.1035156e-5f, 6.0975552e-5f, INFINITY,
                                  0.33325195f};
        auto check = [](m1::dtype t, const uint16_t* bits, const float* want, size_t n) {
            m1::tensor_view v{"x", t, {static_cast<int64_t>(n)}, reinterpret_cast<const std::byte*>(bits), n * 2};
            const std::vector<float> got = m1::to_float(v);
            for (size_t i = 0; i < n; ++i) {
                if (got[i] != want[i] || std::signbit(got[i]) != std::signbit(want[i]))
                    return QStringLiteral("element %1: %2 != %3").arg(i).arg(got[i]).arg(want[i]);
            }
            return QString();
        };
        QString err = check(m1::dtype::bf16, bf16, bf16_want, std::size(bf16));
        QVERIFY2(err.isEmpty(), qPrintable(err));
        err = check(m1::dtype::f16, f16, f16_want, std::size(f16));
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const uint16_t nan_half = 0x7E00;
        m1::tensor_view nv{"n", m1::dtype::f16, {1}, reinterpret_cast<const std::byte*>(&nan_half), 2};
        QVERIFY(std::isnan(m1::to_float(nv)[0]));
        const float f32[] = {1.5f, -0.0f, 1e-40f};
        m1::tensor_view fv{"f", m1::dtype::f32, {3}, reinterpret_cast<const std::byte*>(f32), 12};
        const std::vector<float> got = m1::to_float(fv);
        QVERIFY(std::memcmp(got.data(), f32, 12) == 0);
    }

    void rejectsDamagedHeaders_data() {
        QTest::addColumn<QString>("header");
        QTest::addColumn<int>("dataBytes");
        QTest::addColumn<QString>("message");
        QTest::newRow("bad JSON") << R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})" << 4
                                  << "bad JSON header";
        QTest::newRow("not an object") << R"([1, 2])" << 0 << "bad JSON header (not an object)";
        QTest::newRow("unsupported dtype") << R"({"ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})"
                                           << 16 << "tensor 'ids': dtype I64 is not supported";
        QTest::newRow("fp8 dtype") << R"({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}})" << 2
                                   << "tensor 'w': dtype F8_E4M3 is not supported";
        QTest::newRow("truncated data") << R"({"w": {"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 32]}})"
                                        << 20 << "file is truncated: tensor 'w' needs bytes up to";
        QTest::newRow("size mismatch") << R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})" << 8
                                       << "tensor 'w': data_offsets span 8 bytes but shape [3] in F32 needs 12";
        QTest::newRow("no offsets") << R"({"w": {"dtype": "F32", "shape": [1]}})" << 4
                                    << "tensor 'w': header entry has no data_offsets";
        QTest::newRow("overlap") << R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                                    R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})"
                                 << 12 << "overlap";
    }

    void rejectsDamagedHeaders() {
        QFETCH(QString, header);
        QFETCH(int, dataBytes);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("shard.safetensors")).toStdString();
        write_raw(path, header.toStdString(), static_cast<size_t>(dataBytes));
        const QString err = error_of(path);
        QVERIFY2(err.startsWith(QString::fromStdString(path) + QStringLiteral(": ")), qPrintable(err));
        QVERIFY2(err.contains(message), qPrintable(err));
    }

    void rejectsTruncatedAndMissingFiles() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("short.safetensors")).toStdString();
        std::ofstream(path, std::ios::binary) << "abc";
        QVERIFY(error_of(path).contains(QStringLiteral("shorter than the 8-byte header length")));
        // The length field promises more header bytes than the file has.
        write_raw(path, R"({"a": 1})", 0);
        std::filesystem::resize_file(path, 12);
        QVERIFY2(error_of(path).contains(QStringLiteral("file is truncated: the header needs")),
                 qPrintable(error_of(path)));
        const std::string missing = dir.filePath(QStringLiteral("missing.safetensors")).toStdString();
        QVERIFY(error_of(missing).startsWith(QString::fromStdString(missing) + QStringLiteral(": cannot open")));
    }

    void writerChecksTheAmountOfData() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("w.safetensors")).toStdString();
        m1::safetensors_writer w(path, {{"a", m1::dtype::f32, {2}}});
        const float v[3] = {1, 2, 3};
        QVERIFY_THROWS_EXCEPTION(m1::checkpoint_error, w.write(v, 12));
        w.write(v, 4);
        QVERIFY_THROWS_EXCEPTION(m1::checkpoint_error, w.finish());
        QVERIFY_THROWS_EXCEPTION(m1::checkpoint_error,
                                 m1::safetensors_writer(dir.filePath(QStringLiteral("no/such/dir/x")).toStdString(),
                                                        std::vector<m1::tensor_spec>{}));
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
