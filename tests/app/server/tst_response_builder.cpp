// m1 serve's response builder: MiniMax-M1 text (crafted here, as a random-weight model never writes <think> or
// tool calls) -> OpenAI chunks and responses, the way vLLM serves M1.
#include "app/server/ResponseBuilder.h"
#include "stream_events.h"

#include <QtTest>

using json = nlohmann::ordered_json;
using m1::app::ResponseBuilder;
using m1::app::Usage;

namespace {

const std::string kToolText = "<think>\nParis weather needs the tool.\n</think>\nChecking now."
                              "<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                              "{\"name\": \"get_time\", \"arguments\": {}}\n</tool_calls>";

struct Streamed {
    std::vector<json> chunks;
    std::string reasoning, content;
    json toolCalls = json::array();
    std::string finishReason;
    json usage;
};

Streamed stream(ResponseBuilder& b, const std::string& text, size_t n, bool outOfTokens, bool includeUsage) {
    Streamed s;
    for (auto& c : b.start()) s.chunks.push_back(c);
    for (const std::string& piece : piecesOf(text, n))
        for (auto& c : b.feed(piece)) s.chunks.push_back(c);
    for (auto& c : b.finish(outOfTokens, Usage{12, 34}, includeUsage)) s.chunks.push_back(c);
    for (const json& c : s.chunks) {
        if (c.contains("usage")) s.usage = c["usage"];
        if (c["choices"].empty()) continue;
        const json& choice = c["choices"][0];
        if (choice["finish_reason"].is_string()) s.finishReason = choice["finish_reason"];
        if (!choice.contains("delta")) {
            s.content += choice["text"].get<std::string>();
            continue;
        }
        const json& d = choice["delta"];
        if (d.contains("reasoning_content")) s.reasoning += d["reasoning_content"].get<std::string>();
        if (d.contains("content")) s.content += d["content"].get<std::string>();
        if (d.contains("tool_calls"))
            for (const json& tc : d["tool_calls"]) s.toolCalls.push_back(tc);
    }
    return s;
}

}  // namespace

class TestResponseBuilder : public QObject {
    Q_OBJECT
private slots:
    void reasoningAnswerAndToolCallsStream() {
        for (size_t n : {size_t(1), size_t(4), kToolText.size()}) {
            ResponseBuilder b(ResponseBuilder::Kind::Chat, "chatcmpl-x", 1700000000, "M1");
            const Streamed s = stream(b, kToolText, n, false, true);
            const json& first = s.chunks.front();
            QCOMPARE(first["object"].get<std::string>(), std::string("chat.completion.chunk"));
            QCOMPARE(first["choices"][0]["delta"]["role"].get<std::string>(), std::string("assistant"));
            for (const json& c : s.chunks) {
                QCOMPARE(c["id"].get<std::string>(), std::string("chatcmpl-x"));
                QCOMPARE(c["model"].get<std::string>(), std::string("M1"));
            }
            QCOMPARE(s.reasoning, std::string("Paris weather needs the tool."));
            QCOMPARE(s.content, std::string("Checking now."));
            QCOMPARE(int(s.toolCalls.size()), 2);
            for (int i = 0; i < 2; ++i) {
                const json& tc = s.toolCalls[i];
                QCOMPARE(tc["index"].get<int>(), i);
                QVERIFY(tc["id"].get<std::string>().rfind("call_", 0) == 0);
                QCOMPARE(tc["type"].get<std::string>(), std::string("function"));
                QVERIFY(tc["function"]["arguments"].is_string());  // OpenAI: arguments are a JSON string
            }
            QCOMPARE(s.toolCalls[0]["function"]["name"].get<std::string>(), std::string("get_weather"));
            QCOMPARE(json::parse(s.toolCalls[0]["function"]["arguments"].get<std::string>()),
                     json({{"city", "Paris"}}));
            QCOMPARE(s.toolCalls[1]["function"]["name"].get<std::string>(), std::string("get_time"));
            QCOMPARE(json::parse(s.toolCalls[1]["function"]["arguments"].get<std::string>()), json::object());
            QCOMPARE(s.finishReason, std::string("tool_calls"));
            // include_usage: a last chunk with empty choices and the counts
            QVERIFY(s.chunks.back()["choices"].empty());
            QCOMPARE(s.usage["prompt_tokens"].get<int>(), 12);
            QCOMPARE(s.usage["completion_tokens"].get<int>(), 34);
            QCOMPARE(s.usage["total_tokens"].get<int>(), 46);
        }
    }

    void nonStreamingResponseSaysTheSame() {
        ResponseBuilder b(ResponseBuilder::Kind::Chat, "chatcmpl-y", 1700000000, "M1");
        const Streamed s = stream(b, kToolText, 3, false, false);
        QVERIFY(!s.chunks.back()["choices"].empty());  // no usage chunk without include_usage
        const json r = b.response(Usage{5, 7});
        QCOMPARE(r["object"].get<std::string>(), std::string("chat.completion"));
        const json& m = r["choices"][0]["message"];
        QCOMPARE(m["role"].get<std::string>(), std::string("assistant"));
        QCOMPARE(m["content"].get<std::string>(), std::string("Checking now."));
        QCOMPARE(m["reasoning_content"].get<std::string>(), std::string("Paris weather needs the tool."));
        QCOMPARE(int(m["tool_calls"].size()), 2);
        QCOMPARE(m["tool_calls"][0]["function"]["name"].get<std::string>(), std::string("get_weather"));
        QVERIFY(!m["tool_calls"][0].contains("index"));  // index belongs to stream deltas only
        QCOMPARE(r["choices"][0]["finish_reason"].get<std::string>(), std::string("tool_calls"));
        QCOMPARE(r["usage"]["total_tokens"].get<int>(), 12);
        QVERIFY(!r["usage"].contains("prompt_tokens_details"));
        QCOMPARE(b.response(Usage{5, 7, 4})["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), 4);
    }

    void finishReasons() {
        {
            ResponseBuilder b(ResponseBuilder::Kind::Chat, "a", 0, "M1");
            const Streamed s = stream(b, "Just an answer.", 2, false, false);
            QCOMPARE(s.finishReason, std::string("stop"));
            QCOMPARE(s.content, std::string("Just an answer."));
            QVERIFY(s.reasoning.empty());
            const json r = b.response({});
            QVERIFY(r["choices"][0]["message"]["reasoning_content"].is_null());
            QVERIFY(r["choices"][0]["message"]["tool_calls"].empty());
        }
        {
            // The budget ran out inside the reasoning: what came is reasoning, and the reason is length.
            ResponseBuilder b(ResponseBuilder::Kind::Chat, "b", 0, "M1");
            const Streamed s = stream(b, "<think>\nStill thinking about", 3, true, false);
            QCOMPARE(s.finishReason, std::string("length"));
            QCOMPARE(s.reasoning, std::string("Still thinking about"));
            QVERIFY(s.content.empty());
            QVERIFY(b.response({})["choices"][0]["message"]["content"].get<std::string>().empty());
        }
    }

    // A line in the tool block that is not a call stays visible as content rather than vanishing.
    void brokenToolLineBecomesContent() {
        ResponseBuilder b(ResponseBuilder::Kind::Chat, "c", 0, "M1");
        const Streamed s = stream(
            b, "<tool_calls>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\nnot json\n</tool_calls>", 5, false, false);
        QCOMPARE(int(s.toolCalls.size()), 1);
        QVERIFY(s.content.find("not json") != std::string::npos);
        QCOMPARE(s.finishReason, std::string("tool_calls"));
    }

    // /v1/completions: raw text, nothing parsed (as vLLM), "text_completion" objects.
    void completionsPassTextThrough() {
        ResponseBuilder b(ResponseBuilder::Kind::Completion, "cmpl-1", 0, "M1");
        const Streamed s = stream(b, kToolText, 6, true, true);
        QCOMPARE(s.content, kToolText);
        QCOMPARE(s.finishReason, std::string("length"));
        for (const json& c : s.chunks) QCOMPARE(c["object"].get<std::string>(), std::string("text_completion"));
        const json r = b.response(Usage{1, 2});
        QCOMPARE(r["choices"][0]["text"].get<std::string>(), kToolText);
        QCOMPARE(r["usage"]["total_tokens"].get<int>(), 3);
    }

    void sseFraming() {
        QCOMPARE(ResponseBuilder::sse(json{{"a", 1}}), std::string("data: {\"a\":1}\n\n"));
        QCOMPARE(ResponseBuilder::sseDone(), std::string("data: [DONE]\n\n"));
        const std::string a = ResponseBuilder::newId("chatcmpl-"), b = ResponseBuilder::newId("chatcmpl-");
        QVERIFY(a != b);
        QCOMPARE(a.size(), std::string("chatcmpl-").size() + 24);
    }
};

QTEST_GUILESS_MAIN(TestResponseBuilder)
#include "tst_response_builder.moc"
