// A small command-line parser for the m1 subcommands: declared options, --help text generated from the
// declarations, and errors that name the offending argument. No Qt, so the engine-only m1 builds without it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace m1::cli {

struct option_spec {
    std::string name;         // "--model"
    std::string value_name;   // "DIR"; empty for a flag
    std::string help;         // one sentence
    bool repeatable = false;  // may be given several times (values accumulate)
};

class arg_parser {
public:
    arg_parser(std::string command, std::string synopsis, std::string description);

    arg_parser& option(std::string name, std::string value_name, std::string help, bool repeatable = false);
    arg_parser& flag(std::string name, std::string help);
    // Positional arguments are allowed only when declared; `name` is used in the usage line.
    arg_parser& positionals(std::string name, std::string help);

    // Parses argv (without the program and command names). Returns false and fills error() on a bad command line.
    bool parse(const std::vector<std::string>& args);

    bool help_requested() const { return m_help; }
    const std::string& error() const { return m_error; }
    std::string help_text() const;

    bool has(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::string value_or(const std::string& name, const std::string& fallback) const;
    const std::vector<std::string>& values(const std::string& name) const;
    const std::vector<std::string>& positional() const { return m_positional; }

    // Parses an integer option; returns false and sets error() naming the option when it is not a number.
    bool int_value(const std::string& name, long long& out, long long fallback);

private:
    const option_spec* find(const std::string& name) const;

    std::string m_command, m_synopsis, m_description;
    std::vector<option_spec> m_specs;
    std::string m_positional_name, m_positional_help;
    std::map<std::string, std::vector<std::string>> m_values;
    std::vector<std::string> m_positional;
    bool m_help = false;
    std::string m_error;
};

}  // namespace m1::cli
