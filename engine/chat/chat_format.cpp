#include "engine/chat/chat_format.h"

#include "engine/chat/python_json.h"

namespace m1 {

namespace {

// The template's fixed strings (tokenizer_config.json `chat_template`). The tool instruction's sample line really
// has no quotes: the template writes {''name'': ...} and Jinja joins the adjacent string literals.
constexpr const char* k_begin_document = "<begin_of_document>";
constexpr const char* k_end = "<end_of_sentence>\n";
constexpr const char* k_system_header = "<beginning_of_sentence>system ai_setting=assistant\n";
constexpr const char* k_tools_header =
    "<beginning_of_sentence>system tool_setting=tools\nYou are provided with these tools:\n<tools>\n";
constexpr const char* k_tools_footer =
    "</tools>\n\nIf you need to call tools, please respond with <tool_calls></tool_calls> XML tags, and provide "
    "tool-name and json-object of arguments, following the format below:\n<tool_calls>\n"
    "{name: <tool-name-1>, arguments: <args-json-object-1>}\n...\n</tool_calls><end_of_sentence>\n";
constexpr const char* k_user_header = "<beginning_of_sentence>user name=user\n";
constexpr const char* k_ai_header = "<beginning_of_sentence>ai name=assistant\n";
constexpr const char* k_tool_header = "<beginning_of_sentence>tool name=tools\n";

std::string where(size_t index, chat_role role) {
    return "message " + std::to_string(index + 1) + " (" + chat_role_name(role) + ")";
}

// The template reads content[0]['text'] for system and user messages.
const std::string& first_text(const chat_message& m, size_t index) {
    if (m.parts.empty()) throw chat_format_error(where(index, m.role) + ": has no content; the template needs a text part");
    if (m.parts[0].type != "text")
        throw chat_format_error(where(index, m.role) + ": its first part is of type \"" + m.parts[0].type +
                                "\"; the template reads only the first part, which must be text");
    return m.parts[0].text;
}

chat_role parse_role(const nlohmann::ordered_json& m, size_t index) {
    const std::string prefix = "message " + std::to_string(index + 1);
    if (!m.is_object()) throw chat_format_error(prefix + ": is not a JSON object");
    const auto it = m.find("role");
    if (it == m.end() || !it->is_string()) throw chat_format_error(prefix + ": has no \"role\" string");
    const std::string& role = it->get_ref<const std::string&>();
    if (role == "system") return chat_role::system;
    if (role == "user") return chat_role::user;
    if (role == "assistant") return chat_role::assistant;
    if (role == "tool") return chat_role::tool;
    throw chat_format_error(prefix + ": unknown role \"" + role + "\" (known: system, user, assistant, tool)");
}

chat_message parse_message(const nlohmann::ordered_json& m, size_t index) {
    chat_message msg;
    msg.role = parse_role(m, index);
    const std::string prefix = where(index, msg.role);

    std::optional<std::string> default_name;
    if (const auto name = m.find("name"); name != m.end()) {
        if (!name->is_string()) throw chat_format_error(prefix + ": \"name\" is not a string");
        default_name = name->get<std::string>();
    }

    const auto content = m.find("content");
    if (content == m.end() || content->is_null()) {
        // no parts (an OpenAI assistant message that only carries tool_calls)
    } else if (content->is_string()) {
        msg.parts.push_back({"text", content->get<std::string>(), default_name});
    } else if (content->is_array()) {
        for (size_t i = 0; i < content->size(); ++i) {
            const auto& p = (*content)[i];
            const std::string part_where = prefix + ", part " + std::to_string(i + 1);
            if (!p.is_object()) throw chat_format_error(part_where + ": is not a JSON object");
            const auto type = p.find("type");
            if (type == p.end() || !type->is_string()) throw chat_format_error(part_where + ": has no \"type\" string");
            chat_part part;
            part.type = type->get<std::string>();
            if (const auto text = p.find("text"); text != p.end()) {
                if (!text->is_string()) throw chat_format_error(part_where + ": \"text\" is not a string");
                part.text = text->get<std::string>();
            } else if (part.type == "text") {
                throw chat_format_error(part_where + ": a text part has no \"text\"");
            }
            if (const auto name = p.find("name"); name != p.end()) {
                if (!name->is_string()) throw chat_format_error(part_where + ": \"name\" is not a string");
                part.name = name->get<std::string>();
            } else {
                part.name = default_name;
            }
            msg.parts.push_back(std::move(part));
        }
    } else {
        throw chat_format_error(prefix + ": \"content\" must be a string, a list of parts or null");
    }
    return msg;
}

}  // namespace

const char* chat_role_name(chat_role role) {
    switch (role) {
        case chat_role::system: return "system";
        case chat_role::user: return "user";
        case chat_role::assistant: return "assistant";
        case chat_role::tool: return "tool";
    }
    return "?";
}

std::string render_chat(const chat_conversation& conversation, bool add_generation_prompt) {
    const auto& messages = conversation.messages;
    std::string out = k_begin_document;

    std::string system;
    for (size_t i = 0; i < messages.size(); ++i)
        if (messages[i].role == chat_role::system) system += first_text(messages[i], i);
    if (!system.empty()) {
        out += k_system_header;
        out += system;
        out += k_end;
    }

    if (!conversation.tools.empty()) {
        out += k_tools_header;
        for (const auto& tool : conversation.tools) {
            python_json_dump(tool, out);
            out += '\n';
        }
        out += k_tools_footer;
    }

    for (size_t i = 0; i < messages.size(); ++i) {
        const chat_message& m = messages[i];
        switch (m.role) {
            case chat_role::system: break;
            case chat_role::user:
                out += k_user_header;
                out += first_text(m, i);
                out += k_end;
                break;
            case chat_role::assistant:
                out += k_ai_header;
                for (const chat_part& p : m.parts)
                    if (p.type == "text") out += p.text;
                out += k_end;
                break;
            case chat_role::tool:
                out += k_tool_header;
                for (size_t j = 0; j < m.parts.size(); ++j) {
                    const chat_part& p = m.parts[j];
                    if (p.type != "text")
                        throw chat_format_error(where(i, m.role) + ", part " + std::to_string(j + 1) + ": is of type \"" +
                                                p.type + "\"; tool results must be text");
                    if (!p.name)
                        throw chat_format_error(where(i, m.role) + ", part " + std::to_string(j + 1) +
                                                ": a tool result needs the tool's name (\"name\" on the message or part)");
                    out += "tool name: ";
                    out += *p.name;
                    out += "\ntool result: ";
                    out += p.text;
                    out += "\n\n";
                }
                out += k_end;
                break;
        }
    }

    if (add_generation_prompt) out += k_ai_header;
    return out;
}

chat_conversation chat_conversation_from_json(const nlohmann::ordered_json& doc) {
    chat_conversation conv;
    const nlohmann::ordered_json* list = &doc;
    if (doc.is_object()) {
        const auto it = doc.find("messages");
        if (it == doc.end()) throw chat_format_error("has no \"messages\" list");
        list = &*it;
        if (doc.contains("tools")) conv.tools = chat_tools_from_json(doc["tools"]);
    }
    if (!list->is_array()) throw chat_format_error("the messages must be a JSON array (or an object with \"messages\")");
    conv.messages.reserve(list->size());
    for (size_t i = 0; i < list->size(); ++i) conv.messages.push_back(parse_message((*list)[i], i));
    return conv;
}

std::vector<nlohmann::ordered_json> chat_tools_from_json(const nlohmann::ordered_json& doc) {
    const nlohmann::ordered_json* list = &doc;
    if (doc.is_object()) {
        const auto it = doc.find("tools");
        if (it == doc.end()) throw chat_format_error("has no \"tools\" list");
        list = &*it;
    }
    if (list->is_null()) return {};
    if (!list->is_array()) throw chat_format_error("the tools must be a JSON array (or an object with \"tools\")");
    std::vector<nlohmann::ordered_json> tools;
    for (size_t i = 0; i < list->size(); ++i) {
        if (!(*list)[i].is_object()) throw chat_format_error("tool " + std::to_string(i + 1) + ": is not a JSON object");
        tools.push_back((*list)[i]);
    }
    return tools;
}

}  // namespace m1
