// engine/chat/output_parser: model outputs in the shape MiniMax-M1 writes them (spec §7.3), fed in every possible
// split. The expected parts are written by hand from the format (vLLM's minimax_m1 reasoning parser and minimax
// tool parser semantics), not produced by the parser.
#include "engine/chat/output_parser.h"

#include <QtTest>

#include <random>

namespace {

struct Expected {
    std::string reasoning, answer;
    std::vector<std::pair<std::string, std::string>> calls;  // name, arguments as compact JSON
    std::vector<std::string> errors;                         // raw lines
};

struct Collected {
    std::string reasoning, answer;
    std::vector<std::pair<std::string, std::string>> calls;
    std::vector<std::string> errors;
    int ends = 0;
    bool endIsLast = true;
    bool deltasAreUtf8 = true;
};

Collected collect(const std::vector<m1::output_event>& events) {
    Collected c;
    for (size_t i = 0; i < events.size(); ++i) {
        const m1::output_event& e = events[i];
        switch (e.kind) {
            case m1::output_event_kind::reasoning: c.reasoning += e.text; break;
            case m1::output_event_kind::answer: c.answer += e.text; break;
            case m1::output_event_kind::tool_call: c.calls.emplace_back(e.name, e.arguments.dump()); break;
            case m1::output_event_kind::tool_call_error: c.errors.push_back(e.text); break;
            case m1::output_event_kind::end:
                ++c.ends;
                c.endIsLast = i + 1 == events.size();
                break;
        }
        if ((e.kind == m1::output_event_kind::reasoning || e.kind == m1::output_event_kind::answer) &&
            (e.text.empty() || !QUtf8StringView(e.text).isValidUtf8()))
            c.deltasAreUtf8 = false;
    }
    return c;
}

Collected parseChunks(const std::vector<std::string_view>& chunks) {
    m1::output_parser parser;
    std::vector<m1::output_event> events;
    for (const auto chunk : chunks) parser.feed(chunk, events);
    parser.finish(events);
    return collect(events);
}

QByteArray describe(const Collected& c) {
    QByteArray s = "reasoning=[" + QByteArray::fromStdString(c.reasoning) + "] answer=[" +
                   QByteArray::fromStdString(c.answer) + "] calls=";
    for (const auto& [n, a] : c.calls) s += "(" + QByteArray::fromStdString(n) + " " + QByteArray::fromStdString(a) + ")";
    s += " errors=";
    for (const auto& e : c.errors) s += "(" + QByteArray::fromStdString(e) + ")";
    return s;
}

bool matches(const Collected& c, const Expected& e) {
    return c.reasoning == e.reasoning && c.answer == e.answer && c.calls == e.calls && c.errors == e.errors &&
           c.ends == 1 && c.endIsLast && c.deltasAreUtf8;
}

struct Case {
    const char* name;
    std::string output;
    Expected expected;
};

std::vector<Case> cases() {
    std::vector<Case> v;
    v.push_back({"reasoning then answer",
                 "<think>\nThe user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391.\n</think>\n\n"
                 "The product is **391**.",
                 {"The user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391.", "\nThe product is **391**.", {}, {}}});
    v.push_back({"tool calls after reasoning",
                 "<think>\nI need the weather first.\n</think>\n<tool_calls>\n"
                 "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                 "{\"name\": \"get_time\", \"arguments\": {\"tz\": \"Europe/Paris\"}}\n</tool_calls>",
                 {"I need the weather first.",
                  "",
                  {{"get_weather", "{\"city\":\"Paris\"}"}, {"get_time", "{\"tz\":\"Europe/Paris\"}"}},
                  {}}});
    v.push_back({"tool_calls inside think are reasoning",
                 "<think>\nMaybe <tool_calls>\n{\"name\": \"search\"}\n</tool_calls> — no, not needed.\n</think>\n"
                 "No tool is needed: 2 + 2 = 4.",
                 {"Maybe <tool_calls>\n{\"name\": \"search\"}\n</tool_calls> — no, not needed.", "No tool is needed: 2 + 2 = 4.",
                  {}, {}}});
    v.push_back({"unterminated think",
                 "<think>\nStill weighing 日本語 against العربية 🙂 and then\n</thi",
                 {"Still weighing 日本語 against العربية 🙂 and then\n</thi", "", {}, {}}});
    v.push_back({"no think at all",
                 "Plain answer with <b>html</b>, a < sign, a <think> later and <tool_calls without closing.",
                 {"", "Plain answer with <b>html</b>, a < sign, a <think> later and <tool_calls without closing.", {}, {}}});
    v.push_back({"leading space means no think block",
                 " <think>\nx\n</think>\ny", {"", " <think>\nx\n</think>\ny", {}, {}}});
    v.push_back({"malformed tool lines",
                 "<think>\nok\n</think>\nCalling tools.\n<tool_calls>\n"
                 "{\"name\": \"lookup\", \"arguments\": {\"q\": 1, \"deep\": [true, null]}}\n"
                 "{\"name\": \"broken\", \"arguments\": \n"
                 "  not json at all  \n"
                 "\n"
                 "{\"arguments\": {}}\n"
                 "[1, 2]\n"
                 "</tool_calls>\nDone.",
                 {"ok",
                  "Calling tools.\n\nDone.",
                  {{"lookup", "{\"q\":1,\"deep\":[true,null]}"}},
                  {"{\"name\": \"broken\", \"arguments\":", "not json at all", "{\"arguments\": {}}", "[1, 2]"}}});
    v.push_back({"unterminated tool_calls",
                 "<tool_calls>\n{\"name\": \"search\", \"arguments\": {\"q\": \"café ☕\"}}\n{\"name\": \"open\", \"arguments\": {}}",
                 {"", "", {{"search", "{\"q\":\"café ☕\"}"}, {"open", "{}"}}, {}}});
    v.push_back({"close tag on the call line, answer after",
                 "<think>\nr\n</think>\n<tool_calls>\n{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_calls>\nThen text.",
                 {"r", "\nThen text.", {{"f", "\"{\\\"x\\\": 1}\""}}, {}}});
    v.push_back({"tags without newlines", "<think>R</think>A", {"R", "A", {}, {}}});
    v.push_back({"empty think", "<think>\n\n</think>\nAnswer 👩‍👩‍👧", {"", "Answer 👩‍👩‍👧", {}, {}}});
    v.push_back({"newlines inside reasoning survive",
                 "<think>\n\nline one\n\nline two\n\n</think>\n\n\nA",
                 {"\nline one\n\nline two\n", "\n\nA", {}, {}}});
    v.push_back({"prefix of think only", "<thi", {"", "<thi", {}, {}}});
    v.push_back({"empty output", "", {"", "", {}, {}}});
    return v;
}

}  // namespace

class TestOutputParser : public QObject {
    Q_OBJECT
private slots:
    void wholeOutput_data() {
        QTest::addColumn<int>("index");
        const auto all = cases();
        for (size_t i = 0; i < all.size(); ++i) QTest::newRow(all[i].name) << int(i);
    }

    void wholeOutput() {
        QFETCH(int, index);
        const Case c = cases()[size_t(index)];
        const Collected got = parseChunks({c.output});
        QVERIFY2(matches(got, c.expected), describe(got).constData());
    }

    void splitAtEveryByte_data() { wholeOutput_data(); }

    // Two deltas, cut at every byte (inside tags and inside UTF-8 characters alike).
    void splitAtEveryByte() {
        QFETCH(int, index);
        const Case c = cases()[size_t(index)];
        const std::string_view s = c.output;
        for (size_t cut = 0; cut <= s.size(); ++cut) {
            const Collected got = parseChunks({s.substr(0, cut), s.substr(cut)});
            QVERIFY2(matches(got, c.expected), (QByteArray("cut at ") + QByteArray::number(qulonglong(cut)) + ": " +
                                                describe(got)).constData());
        }
    }

    void oneByteAtATime_data() { wholeOutput_data(); }

    void oneByteAtATime() {
        QFETCH(int, index);
        const Case c = cases()[size_t(index)];
        std::vector<std::string_view> chunks;
        for (size_t i = 0; i < c.output.size(); ++i) chunks.push_back(std::string_view(c.output).substr(i, 1));
        const Collected got = parseChunks(chunks);
        QVERIFY2(matches(got, c.expected), describe(got).constData());
    }

    void randomSplits_data() { wholeOutput_data(); }

    void randomSplits() {
        QFETCH(int, index);
        const Case c = cases()[size_t(index)];
        std::mt19937 rng(1234u + unsigned(index));
        for (int trial = 0; trial < 200; ++trial) {
            std::vector<std::string_view> chunks;
            size_t pos = 0;
            while (pos < c.output.size()) {
                const size_t len = std::uniform_int_distribution<size_t>(0, 7)(rng);
                chunks.push_back(std::string_view(c.output).substr(pos, len));
                pos += len;
            }
            const Collected got = parseChunks(chunks);
            QVERIFY2(matches(got, c.expected), describe(got).constData());
        }
    }

    // Text is emitted as soon as it cannot be part of a tag: only a possible tag prefix waits.
    void holdsBackOnlyPossibleTags() {
        m1::output_parser p;
        std::vector<m1::output_event> ev;
        const auto step = [&](std::string_view delta) {
            ev.clear();
            p.feed(delta, ev);
            return ev;
        };
        QVERIFY(step("<thi").empty());
        QVERIFY(step("nk>").empty());
        QVERIFY(p.in_reasoning());
        auto e = step("\nabc");
        QCOMPARE(e.size(), size_t(1));
        QCOMPARE(e[0].kind, m1::output_event_kind::reasoning);
        QCOMPARE(e[0].text, std::string("abc"));
        e = step(" def\n");  // the "\n" may belong to "\n</think>"
        QCOMPARE(e.size(), size_t(1));
        QCOMPARE(e[0].text, std::string(" def"));
        QVERIFY(step("</th").empty());
        e = step("ink>\nAns");
        QCOMPARE(e.size(), size_t(1));
        QCOMPARE(e[0].kind, m1::output_event_kind::answer);
        QCOMPARE(e[0].text, std::string("Ans"));
        QVERIFY(!p.in_reasoning());
        e = step("wer <tool");
        QCOMPARE(e.size(), size_t(1));
        QCOMPARE(e[0].text, std::string("wer "));
        QVERIFY(step("_calls>\n{\"name\": \"f\", \"argu").empty());  // a call line waits for its end
        e = step("ments\": {}}\n");
        QCOMPARE(e.size(), size_t(1));
        QCOMPARE(e[0].kind, m1::output_event_kind::tool_call);
        QCOMPARE(e[0].name, std::string("f"));
        QVERIFY(e[0].arguments.is_object());
        e = step("\xE6\x97");  // first two bytes of 日 wait for the third
        QVERIFY(e.empty());
        e = step("\xA5</tool_calls>ok \xF0\x9F");
        QCOMPARE(e.size(), size_t(2));
        QCOMPARE(e[0].kind, m1::output_event_kind::tool_call_error);
        QCOMPARE(e[0].text, std::string("日"));
        QCOMPARE(e[1].text, std::string("ok "));
        ev.clear();
        p.finish(ev);  // an incomplete character at the very end is passed through as it is
        QCOMPARE(ev.size(), size_t(2));
        QCOMPARE(ev[0].text, std::string("\xF0\x9F"));
        QCOMPARE(ev[1].kind, m1::output_event_kind::end);
        ev.clear();
        p.feed("more", ev);  // after finish nothing comes out until reset
        QVERIFY(ev.empty());
        p.reset();
        p.feed("x", ev);
        p.finish(ev);
        QCOMPARE(ev.size(), size_t(2));
        QCOMPARE(ev[0].text, std::string("x"));
    }

    // Events the caller already holds in the vector are never merged into.
    void doesNotTouchEarlierEvents() {
        m1::output_parser p;
        std::vector<m1::output_event> ev;
        p.feed("Hello", ev);
        p.feed(" world", ev);
        QCOMPARE(ev.size(), size_t(2));
        QCOMPARE(ev[0].text, std::string("Hello"));
        QCOMPARE(ev[1].text, std::string(" world"));
    }
};

QTEST_GUILESS_MAIN(TestOutputParser)
#include "tst_output_parser.moc"
