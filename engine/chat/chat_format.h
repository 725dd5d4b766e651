// The MiniMax-M1 chat format: a conversation rendered to the exact prompt text that the official template in
// tokenizer_config.json produces (spec minimax-m1.md §7.1), checked byte for byte against transformers'
// apply_chat_template in tests/engine/chat.
//
//   <begin_of_document>
//   [<beginning_of_sentence>system ai_setting=assistant\n{first part of every system message, concatenated}<end_of_sentence>\n]
//   [<beginning_of_sentence>system tool_setting=tools\n... <tools>\n{one python_json_dumps line per tool}\n</tools> ...]
//   then per message, in order:
//     user       <beginning_of_sentence>user name=user\n{first part}<end_of_sentence>\n
//     assistant  <beginning_of_sentence>ai name=assistant\n{every text part, verbatim}<end_of_sentence>\n
//     tool       <beginning_of_sentence>tool name=tools\n{per part: tool name: N\ntool result: T\n\n}<end_of_sentence>\n
//     system     nothing here (already in the system block)
//   [<beginning_of_sentence>ai name=assistant\n]   when a generation prompt is asked for
//
// The template's quirks are reproduced on purpose: system and user messages contribute only their first part;
// assistant parts that are not text are skipped; a system message block appears only when the concatenated text is
// non-empty; an empty tool list means no tools block; structured OpenAI `tool_calls` on an assistant message are
// ignored (the model's own output carries its <tool_calls> block in the text). Where the template would raise an
// error (a user message without parts, a tool part without a name), render_chat throws chat_format_error instead.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace m1 {

// what() names the message (by 1-based index) or tool and the problem; callers prefix the file name.
struct chat_format_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class chat_role { system, user, assistant, tool };

// One entry of a message's content list. Non-text parts (images and the like) keep only their type: the template
// skips them in assistant messages, and render_chat refuses them where the template would need their text.
struct chat_part {
    std::string type = "text";
    std::string text;
    std::optional<std::string> name;  // tool results: the tool that produced `text` (may be empty, not absent)
};

struct chat_message {
    chat_role role = chat_role::user;
    std::vector<chat_part> parts;
};

struct chat_conversation {
    std::vector<chat_message> messages;
    std::vector<nlohmann::ordered_json> tools;  // written as given, one JSON line each; empty = no tools block
};

// The rendered prompt. Throws chat_format_error where the official template cannot render the conversation.
std::string render_chat(const chat_conversation& conversation, bool add_generation_prompt = true);

// Reads OpenAI-style messages: [{"role": "user", "content": "..."}, ...] where content is a string, a list of parts
// ({"type": "text", "text": ...}; tool parts may carry "name"), or null; a tool message's "name" names the parts
// that have none. Accepts the array itself or an object holding it under "messages" (then also "tools", if present).
// Roles other than system, user, assistant and tool are refused. Throws chat_format_error.
chat_conversation chat_conversation_from_json(const nlohmann::ordered_json& doc);

// Reads a tool list: an array of JSON objects, or an object holding it under "tools". Throws chat_format_error.
std::vector<nlohmann::ordered_json> chat_tools_from_json(const nlohmann::ordered_json& doc);

const char* chat_role_name(chat_role role);

}  // namespace m1
