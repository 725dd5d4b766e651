// The context builder on real sources with the real MiniMax-M1 tokenizer (../shared).
#include "app/context/ContextBuilder.h"
#include "engine/chat/chat_format.h"
#include "ingest/text/text_reader.h"

#include <QtTest>

using namespace m1::app;

namespace {

int occurrences(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
    return n;
}

}  // namespace

class TestContext : public QObject {
    Q_OBJECT

    std::unique_ptr<m1::tokenizer> m_tok;
    m1::ingest::source m_agreement, m_code, m_pdf, m_repo;

private slots:
    void initTestCase() {
        m_tok = m1::tokenizer::load(M1_SHARED_DIR "/models/minimax-m1/tokenizer.json");
        m_agreement = m1::ingest::read_text_file(M1_SOURCE_DIR "/resources/demo/docs/service-agreement.md");
        m_code = m1::ingest::read_text_file(M1_SOURCE_DIR "/resources/demo/docs/lightning_recurrence.py");
        m_pdf.kind = m1::ingest::source_kind::pdf;
        m_pdf.title = "report.pdf";
        for (int p = 1; p <= 3; ++p) {
            m1::ingest::segment s;
            s.where.page = p;
            s.text = "Page " + std::to_string(p) + " says something about lightning attention.\n";
            m_pdf.segments.push_back(s);
        }
        m_repo.kind = m1::ingest::source_kind::git;
        m_repo.title = "repo";
        m_repo.segments = m1::ingest::split_lines("int main() {\n  return 0;\n}\n", "src/main.c");
        for (auto& s : m_repo.segments) s.where.commit = "0123456789abcdef0123456789abcdef01234567";
    }

    void holdsEverySegmentOnceWithItsTag() {
        ContextBuilder builder(*m_tok);
        const ContextResult r = builder.build(ContextBuilder::systemPromptPreset(QStringLiteral("general")),
                                              {{&m_agreement}, {&m_code}, {&m_repo}, {&m_pdf}}, {});
        QVERIFY2(r.fits, qPrintable(r.error));
        // Stable sources first: the PDF, then the repository, then the text files in the user's order.
        QCOMPARE(r.sources.size(), 4);
        QCOMPARE(r.sources[0].tag, QStringLiteral("S1"));
        QCOMPARE(r.sources[1].tag, QStringLiteral("R1"));
        QCOMPARE(r.sources[2].tag, QStringLiteral("T1"));
        QCOMPARE(r.sources[3].tag, QStringLiteral("T2"));
        QCOMPARE(r.ordered[2], &m_agreement);
        for (const auto& s : m_pdf.segments) {
            QCOMPARE(occurrences(r.prefix, "[S1 p." + std::to_string(s.where.page) + "]\n" + s.text), 1);
        }
        QCOMPARE(occurrences(r.prefix, "[R1 src/main.c:1-3]\n1| int main() {\n2|   return 0;\n3| }\n"), 1);
        QCOMPARE(occurrences(r.prefix, "commit=\"0123456789abcdef0123456789abcdef01234567\""), 1);
        for (const auto& seg : m_agreement.segments) {
            const std::string anchor = "[T1 L" + std::to_string(seg.where.line_start) + "-" +
                                       std::to_string(seg.where.line_end) + "]\n";
            QCOMPARE(occurrences(r.prefix, anchor), 1);
            // every line of the segment, numbered, right after its anchor
            const size_t at = r.prefix.find(anchor) + anchor.size();
            int n = seg.where.line_start;
            size_t pos = 0;
            std::string expected;
            while (pos < seg.text.size()) {
                const size_t nl = seg.text.find('\n', pos);
                const size_t end = nl == std::string::npos ? seg.text.size() : nl + 1;
                expected += std::to_string(n++) + "| " + seg.text.substr(pos, end - pos);
                pos = end;
            }
            QCOMPARE(r.prefix.substr(at, expected.size()), expected);
        }
        QVERIFY(r.prefix.rfind("<begin_of_document><beginning_of_sentence>system ai_setting=assistant\nYou are a helpful assistant.", 0) == 0);
        QVERIFY(r.prefix.size() > 20 && r.prefix.substr(r.prefix.size() - 18) == "<end_of_sentence>\n");
    }

    void tokenTotalsAgreeWithTheTokenizer() {
        ContextBuilder builder(*m_tok);
        const ContextResult r = builder.build(QStringLiteral("Be brief."), {{&m_agreement}, {&m_pdf}}, {});
        QCOMPARE(r.totalTokens, qint64(m_tok->encode(r.prefix).size()));
        QCOMPARE(qint64(r.prefixIds.size()), r.totalTokens);
        QCOMPARE(r.prefixIds.front(), m_tok->token_id("<begin_of_document>"));
        qint64 sum = 0;
        for (const auto& s : r.sources) {
            QVERIFY(s.tokens > 0);
            sum += s.tokens;
        }
        // The rest is the system prompt, the instructions and the template's few tokens.
        const qint64 overhead = r.totalTokens - sum;
        QVERIFY2(overhead > 50 && overhead < 400, qPrintable(QString::number(overhead)));
    }

    void overBudgetIsRefusedWithPerSourceCounts() {
        ContextBuilder builder(*m_tok);
        const ContextResult all = builder.build(QStringLiteral("x"), {{&m_agreement}, {&m_code}}, {});
        ContextBudget tight{all.totalTokens + 99, 100};  // one token short
        const ContextResult r = builder.build(QStringLiteral("x"), {{&m_agreement}, {&m_code}}, tight);
        QVERIFY(!r.fits);
        QVERIFY2(r.error.contains(QStringLiteral("need %1 tokens but only %2 fit").arg(all.totalTokens).arg(all.totalTokens - 1)),
                 qPrintable(r.error));
        for (const auto& s : all.sources)
            QVERIFY2(r.error.contains(QStringLiteral("%1 tokens  %2").arg(s.tokens).arg(s.title)), qPrintable(r.error));
        QCOMPARE(r.prefix, all.prefix);  // nothing truncated
        ContextBudget exact{all.totalTokens + 100, 100};
        QVERIFY(builder.build(QStringLiteral("x"), {{&m_agreement}, {&m_code}}, exact).fits);
    }

    void suffixContinuesThePrefixExactly() {
        ContextBuilder builder(*m_tok);
        const ContextResult r = builder.build(QStringLiteral("sys"), {{&m_agreement}}, {});
        const std::string suffix = ContextBuilder::turnSuffix({{QStringLiteral("Q1?"), QStringLiteral("A1.")}},
                                                              QStringLiteral("Q2?"));
        // The whole conversation as the chat template renders it.
        m1::chat_conversation conv;
        const std::string system = r.prefix.substr(std::string("<begin_of_document><beginning_of_sentence>system ai_setting=assistant\n").size());
        conv.messages.push_back({m1::chat_role::system, {{"text", system.substr(0, system.size() - 18), ""}}});
        conv.messages.push_back({m1::chat_role::user, {{"text", "Q1?", ""}}});
        conv.messages.push_back({m1::chat_role::assistant, {{"text", "A1.", ""}}});
        conv.messages.push_back({m1::chat_role::user, {{"text", "Q2?", ""}}});
        QCOMPARE(r.prefix + suffix, m1::render_chat(conv, true));
        // Token boundaries do not move: prefix ids + suffix ids == ids of the whole.
        std::vector<int32_t> joined = r.prefixIds;
        const auto s = m_tok->encode(suffix);
        joined.insert(joined.end(), s.begin(), s.end());
        QVERIFY(joined == m_tok->encode(r.prefix + suffix));
    }
};

QTEST_GUILESS_MAIN(TestContext)
#include "tst_context.moc"
