#include "engine/chat/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace m1 {

namespace {

void dump_string(const std::string& s, std::string& out) {
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += ch;  // bytes >= 0x80 are UTF-8 and pass through, as ensure_ascii=False does
                }
        }
    }
    out += '"';
}

}  // namespace

std::string python_float_repr(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";

    // Shortest round-trip digits in scientific form, e.g. "-2.5e-05"; C++17 guarantees the same shortest digits
    // that Python's repr picks (both: the shortest string that reads back to the same double, nearest if several).
    char sci[64];
    const auto res = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
    if (res.ec != std::errc()) throw std::logic_error("python_float_repr: to_chars failed");
    const std::string_view text(sci, static_cast<size_t>(res.ptr - sci));

    std::string out;
    size_t pos = 0;
    if (text[pos] == '-') {
        out += '-';
        ++pos;
    }
    const size_t e_pos = text.find('e');
    std::string digits;
    for (size_t i = pos; i < e_pos; ++i)
        if (text[i] != '.') digits += text[i];
    const int exponent = std::atoi(std::string(text.substr(e_pos + 1)).c_str());  // value = d.ddd × 10^exponent

    if (exponent < -4 || exponent >= 16) {
        out += digits[0];
        if (digits.size() > 1) {
            out += '.';
            out.append(digits, 1, std::string::npos);
        }
        char buf[16];
        std::snprintf(buf, sizeof buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
        out += buf;
        return out;
    }
    const int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<size_t>(-point), '0');
        out += digits;
    } else if (static_cast<size_t>(point) < digits.size()) {
        out.append(digits, 0, static_cast<size_t>(point));
        out += '.';
        out.append(digits, static_cast<size_t>(point), std::string::npos);
    } else {
        out += digits;
        out.append(static_cast<size_t>(point) - digits.size(), '0');
        out += ".0";
    }
    return out;
}

void python_json_dump(const nlohmann::ordered_json& value, std::string& out) {
    using value_t = nlohmann::ordered_json::value_t;
    switch (value.type()) {
        case value_t::null: out += "null"; return;
        case value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
        case value_t::number_integer: out += std::to_string(value.get<int64_t>()); return;
        case value_t::number_unsigned: out += std::to_string(value.get<uint64_t>()); return;
        case value_t::number_float: out += python_float_repr(value.get<double>()); return;
        case value_t::string: dump_string(value.get_ref<const std::string&>(), out); return;
        case value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& item : value) {
                if (!first) out += ", ";
                first = false;
                python_json_dump(item, out);
            }
            out += ']';
            return;
        }
        case value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, item] : value.items()) {
                if (!first) out += ", ";
                first = false;
                dump_string(key, out);
                out += ": ";
                python_json_dump(item, out);
            }
            out += '}';
            return;
        }
        case value_t::binary:
        case value_t::discarded: break;
    }
    throw std::invalid_argument("python_json_dump: a binary or discarded JSON value has no Python form");
}

}  // namespace m1
