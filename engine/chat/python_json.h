// JSON text exactly as Python's json.dumps writes it with the settings transformers' chat templates use for `tojson`:
// ensure_ascii=False, indent=None, separators (", ", ": "), sort_keys=False. The MiniMax-M1 template writes each
// tool this way, so one differing byte (a float, an escape) changes the prompt the model sees.
//
// What Python does, and so what this does:
//   - keys keep their order (hence nlohmann::ordered_json);
//   - strings escape only '"', '\\', and U+0000..U+001F (\b \f \n \r \t by name, the rest as \u00XX in lowercase
//     hex); everything else, DEL, U+0085 and U+2028 included, is written as raw UTF-8;
//   - floats as repr(float): the shortest digits that read back to the same double, positional when the decimal
//     exponent is in [-4, 16), otherwise d.ddde±XX; a float always shows a '.' or an exponent ("1.0", "1e+16");
//     NaN and infinities as NaN / Infinity / -Infinity;
//   - integers in decimal. Python integers are unbounded; nlohmann reads an integer literal beyond 64 bits as a
//     double, so such a literal comes out as a float here (the one known difference; no real tool schema has one).
//
// Thread-safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace m1 {

// Appends the Python json.dumps text of `value` to `out`.
void python_json_dump(const nlohmann::ordered_json& value, std::string& out);

inline std::string python_json_dumps(const nlohmann::ordered_json& value) {
    std::string out;
    python_json_dump(value, out);
    return out;
}

// repr() of a Python float, e.g. 0.1 -> "0.1", 1e16 -> "1e+16", 2.5e-05 -> "2.5e-05", -0.0 -> "-0.0".
std::string python_float_repr(double value);

}  // namespace m1
