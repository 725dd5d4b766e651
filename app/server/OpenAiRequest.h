// Reads the bodies of POST /v1/chat/completions and POST /v1/completions into one generation request, and writes
// OpenAI-style error bodies. Chat messages (and tools) are rendered to the prompt with MiniMax-M1's official chat
// template (engine/chat/chat_format.h), as vLLM does with the checkpoint's tokenizer_config.json.
//
// Sampling defaults when a request leaves them out: temperature 1.0 and top_p 0.95 (MiniMax-M1's recommended
// settings, which vLLM takes from the checkpoint), top_k off, a fresh random seed. max_tokens (or
// max_completion_tokens) defaults to what the server decides (see ChatServer).
// Pure functions; thread-safe.
#pragma once

#include "app/server/ResponseBuilder.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace m1::app {

struct GenerationRequest {
    ResponseBuilder::Kind kind = ResponseBuilder::Kind::Chat;
    std::string model;   // as the client named it (may be empty)
    std::string prompt;  // the rendered M1 prompt (chat) or the raw prompt (completions)
    bool stream = false;
    bool includeUsage = false;  // stream_options.include_usage
    std::optional<int64_t> maxTokens;
    double temperature = 1.0;
    double topP = 0.95;
    int topK = 0;  // 0 = off (vLLM's -1 is read as off too)
    std::optional<uint64_t> seed;
};

// Parses a request body of the given kind. Returns an empty string on success, else the message for a 400
// response (what is wrong, and where).
std::string parseGenerationRequest(ResponseBuilder::Kind kind, const std::string& body, GenerationRequest* out);

// {"error": {"message": ..., "type": ..., "param": null, "code": ...}}
nlohmann::ordered_json errorBody(const std::string& message, const std::string& type, const std::string& code = {});

}  // namespace m1::app
