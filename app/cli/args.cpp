#include "app/cli/args.h"

#include <charconv>

namespace m1::cli {

arg_parser::arg_parser(std::string command, std::string synopsis, std::string description)
    : m_command(std::move(command)), m_synopsis(std::move(synopsis)), m_description(std::move(description)) {}

arg_parser& arg_parser::option(std::string name, std::string value_name, std::string help, bool repeatable) {
    m_specs.push_back({std::move(name), std::move(value_name), std::move(help), repeatable});
    return *this;
}

arg_parser& arg_parser::flag(std::string name, std::string help) {
    m_specs.push_back({std::move(name), "", std::move(help), false});
    return *this;
}

arg_parser& arg_parser::positionals(std::string name, std::string help) {
    m_positional_name = std::move(name);
    m_positional_help = std::move(help);
    return *this;
}

const option_spec* arg_parser::find(const std::string& name) const {
    for (const option_spec& s : m_specs)
        if (s.name == name) return &s;
    return nullptr;
}

bool arg_parser::parse(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (arg == "--help" || arg == "-h") {
            m_help = true;
            continue;
        }
        if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
            std::string inline_value;
            bool has_inline = false;
            if (size_t eq = arg.find('='); eq != std::string::npos) {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
            const option_spec* spec = find(arg);
            if (!spec) {
                m_error = "unknown option " + arg + " for 'm1 " + m_command + "' (see m1 " + m_command + " --help)";
                return false;
            }
            if (spec->value_name.empty()) {
                if (has_inline) {
                    m_error = arg + " takes no value";
                    return false;
                }
                m_values[arg].push_back("");
                continue;
            }
            std::string value;
            if (has_inline) {
                value = inline_value;
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                m_error = arg + " needs a value (" + spec->value_name + ")";
                return false;
            }
            auto& slot = m_values[arg];
            if (!slot.empty() && !spec->repeatable) {
                m_error = arg + " was given more than once";
                return false;
            }
            slot.push_back(std::move(value));
            continue;
        }
        if (m_positional_name.empty()) {
            m_error = "unexpected argument '" + arg + "' for 'm1 " + m_command + "' (see m1 " + m_command + " --help)";
            return false;
        }
        m_positional.push_back(arg);
    }
    return true;
}

std::string arg_parser::help_text() const {
    std::string out = "usage: m1 " + m_command + " " + m_synopsis + "\n\n" + m_description + "\n";
    if (!m_positional_name.empty()) out += "\n  " + m_positional_name + "\n      " + m_positional_help + "\n";
    if (!m_specs.empty()) out += "\noptions:\n";
    for (const option_spec& s : m_specs) {
        out += "  " + s.name + (s.value_name.empty() ? "" : " " + s.value_name) + "\n      " + s.help;
        if (s.repeatable) out += " (may be repeated)";
        out += "\n";
    }
    out += "  --help\n      Print this help and exit.\n";
    return out;
}

bool arg_parser::has(const std::string& name) const { return m_values.count(name) != 0; }

std::optional<std::string> arg_parser::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::string arg_parser::value_or(const std::string& name, const std::string& fallback) const {
    return value(name).value_or(fallback);
}

const std::vector<std::string>& arg_parser::values(const std::string& name) const {
    static const std::vector<std::string> none;
    auto it = m_values.find(name);
    return it == m_values.end() ? none : it->second;
}

bool arg_parser::int_value(const std::string& name, long long& out, long long fallback) {
    std::optional<std::string> v = value(name);
    if (!v) {
        out = fallback;
        return true;
    }
    const char* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, out);
    if (ec != std::errc() || ptr != end) {
        m_error = name + " expects an integer, got '" + *v + "'";
        return false;
    }
    return true;
}

}  // namespace m1::cli
