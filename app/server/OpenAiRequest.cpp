#include "app/server/OpenAiRequest.h"

#include "engine/chat/chat_format.h"

#include <cmath>

namespace m1::app {

using json = nlohmann::ordered_json;

json errorBody(const std::string& message, const std::string& type, const std::string& code) {
    return json{{"error", json{{"message", message},
                               {"type", type},
                               {"param", nullptr},
                               {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

namespace {

// Reads an optional number field; false with *why when present but not a number in [lo, hi].
bool readNumber(const json& j, const char* key, double lo, double hi, std::optional<double>* out, std::string* why) {
    if (!j.contains(key) || j[key].is_null()) return true;
    if (!j[key].is_number()) {
        *why = std::string("'") + key + "' must be a number";
        return false;
    }
    const double v = j[key].get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) {
        *why = std::string("'") + key + "' must be between " + json(lo).dump() + " and " + json(hi).dump() + " (got " +
               j[key].dump() + ")";
        return false;
    }
    *out = v;
    return true;
}

bool readInteger(const json& j, const char* key, std::optional<int64_t>* out, std::string* why) {
    if (!j.contains(key) || j[key].is_null()) return true;
    if (!j[key].is_number_integer()) {
        *why = std::string("'") + key + "' must be an integer";
        return false;
    }
    *out = j[key].get<int64_t>();
    return true;
}

}  // namespace

std::string parseGenerationRequest(ResponseBuilder::Kind kind, const std::string& body, GenerationRequest* out) {
    *out = GenerationRequest{};
    out->kind = kind;
    json j;
    try {
        j = json::parse(body);
    } catch (const json::parse_error& e) {
        return std::string("the request body is not valid JSON: ") + e.what();
    }
    if (!j.is_object()) return "the request body must be a JSON object";
    std::string why;

    if (j.contains("model") && j["model"].is_string()) out->model = j["model"].get<std::string>();
    if (j.contains("stream") && !j["stream"].is_null()) {
        if (!j["stream"].is_boolean()) return "'stream' must be true or false";
        out->stream = j["stream"].get<bool>();
    }
    if (j.contains("stream_options") && j["stream_options"].is_object())
        out->includeUsage = j["stream_options"].value("include_usage", false);
    if (j.contains("n") && !(j["n"].is_null() || j["n"] == 1)) return "only n = 1 is supported";
    if (j.contains("stop") && !j["stop"].is_null() && !(j["stop"].is_array() && j["stop"].empty()))
        return "'stop' sequences are not supported by this server (generation stops at <end_of_sentence>)";

    std::optional<double> temperature, topP;
    if (!readNumber(j, "temperature", 0.0, 100.0, &temperature, &why)) return why;
    if (!readNumber(j, "top_p", 1e-9, 1.0, &topP, &why)) return why;
    if (temperature) out->temperature = *temperature;
    if (topP) out->topP = *topP;
    std::optional<int64_t> topK, seed, maxTokens, maxCompletion;
    if (!readInteger(j, "top_k", &topK, &why) || !readInteger(j, "seed", &seed, &why) ||
        !readInteger(j, "max_tokens", &maxTokens, &why) ||
        !readInteger(j, "max_completion_tokens", &maxCompletion, &why))
        return why;
    if (topK) out->topK = *topK > 0 ? int(std::min<int64_t>(*topK, 1 << 30)) : 0;
    if (seed) out->seed = uint64_t(*seed);
    if (maxCompletion) maxTokens = maxCompletion;
    if (maxTokens && *maxTokens < 1) return "'max_tokens' must be at least 1 (got " + std::to_string(*maxTokens) + ")";
    out->maxTokens = maxTokens;

    if (kind == ResponseBuilder::Kind::Chat) {
        if (!j.contains("messages")) return "'messages' is missing";
        if (!j["messages"].is_array() || j["messages"].empty()) return "'messages' must be a non-empty array";
        json conv{{"messages", j["messages"]}};
        if (j.contains("tools") && !j["tools"].is_null()) conv["tools"] = j["tools"];
        try {
            out->prompt = m1::render_chat(m1::chat_conversation_from_json(conv), /*add_generation_prompt=*/true);
        } catch (const std::exception& e) {
            return std::string("cannot render the messages with MiniMax-M1's chat template: ") + e.what();
        }
    } else {
        if (!j.contains("prompt")) return "'prompt' is missing";
        const json& p = j["prompt"];
        if (p.is_string()) {
            out->prompt = p.get<std::string>();
        } else if (p.is_array() && p.size() == 1 && p[0].is_string()) {
            out->prompt = p[0].get<std::string>();
        } else {
            return "'prompt' must be a string (or an array of one string)";
        }
        if (out->prompt.empty()) return "'prompt' is empty";
    }
    return {};
}

}  // namespace m1::app
