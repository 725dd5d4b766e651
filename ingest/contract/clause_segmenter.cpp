#include "ingest/contract/clause_segmenter.h"

#include "ingest/core/text_util.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

namespace m1::ingest {
namespace {

// Curly double quotes (U+201C, U+201D) become straight ones so one set of patterns serves both.
std::string straight_quotes(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (i + 2 < s.size() && s[i] == '\xE2' && s[i + 1] == '\x80' && (s[i + 2] == '\x9C' || s[i + 2] == '\x9D')) {
            out += '"';
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}


bool is_roman(const std::string& t) {
    static const std::regex re("^(x{0,3})(ix|iv|v?i{0,3})$");
    return !t.empty() && std::regex_match(t, re);
}

// A PDF line that reads like a heading: capitals, 1 to 8 words, at least 4 letters, no sentence punctuation.
bool looks_like_heading(std::string_view line) {
    int letters = 0, words = 0;
    bool in_word = false;
    for (char c : line) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::islower(u)) return false;
        if (c == '.' || c == ';' || c == ',') return false;
        letters += std::isupper(u) != 0;
        const bool space = std::isspace(u);
        words += !space && !in_word;
        in_word = !space;
    }
    return letters >= 4 && words <= 8;
}

// Tracks the numbered clause in force and its sub-clause chain, to turn "(a)" into "12.3(a)".
struct label_state {
    std::string base;             // "12.3", "Article IV", "Section 5"
    std::vector<std::string> sub;  // {"a"} or {"a", "i"}

    std::string full() const {
        std::string s = base;
        for (const std::string& t : sub) s += "(" + t + ")";
        return s;
    }

    void enter_sub(const std::string& token) {
        const bool roman = is_roman(token);
        if (!sub.empty() && roman && !is_roman(sub.back()) && !(token == "i" && sub.back() == "h") &&
            !(token == "v" && sub.back() == "u") && !(token == "x" && sub.back() == "w")) {
            sub.resize(1);
            sub.push_back(token);  // (a) then (i): nested
        } else if (sub.size() == 2 && roman && !(token == "i" && sub[0] == "h")) {
            sub[1] = token;  // (i) then (ii)
        } else {
            sub = {token};
        }
    }
};

const std::regex& article_re() {
    static const std::regex re(R"(^(ARTICLE|Article)\s+([IVXLCDM]+|\d+)\b)");
    return re;
}
const std::regex& section_re() {
    static const std::regex re(R"(^(?:(?:SECTION|Section)\s+|\xC2\xA7\s*)(\d+(?:\.\d+)*)\b)");
    return re;
}
// "1. x", "1.1 x", "12.3. x", "12.3(a) x": one number needs its period; several numbers do not.
const std::regex& number_re() {
    static const std::regex re(R"(^(\d{1,3}(?:\.\d{1,3})+|\d{1,3}(?=\.))\.?((?:\([a-z0-9]{1,4}\))*)(?:\s|$))");
    return re;
}
const std::regex& sub_re() {
    static const std::regex re(R"(^\(([a-z]{1,4}|\d{1,2})\)(?:\s|$))");
    return re;
}

void find_terms(const std::string& text, const segment& where, std::vector<defined_term>& terms) {
    static const std::regex means(R"re("([^"]{1,80})"\s+(?:means|shall mean|has the meaning|includes)\b[^.]*(?:\.|$))re");
    static const std::regex paren(
        R"re(\((?:the\s+|each\s+an?\s+|each,\s+an?\s+|an?\s+|hereinafter\s+(?:the\s+)?)?"([^"]{1,80})"\))re");
    auto add = [&](const std::string& term, const std::string& definition) {
        if (std::any_of(terms.begin(), terms.end(), [&](const defined_term& t) { return t.term == term; })) return;
        terms.push_back({term, definition, where.where.clause, where.where.page});
    };
    struct hit {
        size_t pos;
        std::string term, definition;
    };
    std::vector<hit> hits;
    for (std::sregex_iterator it(text.begin(), text.end(), means), end; it != end; ++it)
        hits.push_back({static_cast<size_t>(it->position()), (*it)[1].str(), collapse_whitespace(it->str())});
    for (std::sregex_iterator it(text.begin(), text.end(), paren), end; it != end; ++it)
        hits.push_back({static_cast<size_t>(it->position()), (*it)[1].str(), ""});
    std::sort(hits.begin(), hits.end(), [](const hit& a, const hit& b) { return a.pos < b.pos; });
    for (const hit& h : hits) add(h.term, h.definition);
}

// "between A, a company ... (the "X"), and B (the "Y")." -> {A, B}
std::vector<std::string> find_parties(const std::string& text) {
    const size_t at = text.find("between ");
    if (at == std::string::npos) return {};
    const std::string rest = text.substr(at + 8);
    int depth = 0;
    size_t split = std::string::npos;
    for (size_t i = 0; i < rest.size(); ++i) {
        depth += rest[i] == '(' ? 1 : rest[i] == ')' ? -1 : 0;
        if (depth == 0 && rest.compare(i, 5, " and ") == 0) {
            split = i;
            break;
        }
    }
    if (split == std::string::npos) return {};
    auto name = [](std::string s) {
        const size_t cut = s.find_first_of(",(;");
        s = s.substr(0, cut);
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
        return s;
    };
    std::vector<std::string> out = {name(rest.substr(0, split)), name(rest.substr(split + 5))};
    out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
    return out;
}

void find_dates(const std::string& text, std::vector<std::string>& dates) {
    static const std::string month = "(?:January|February|March|April|May|June|July|August|September|October|November|December)";
    static const std::regex re("\\b(?:\\d{1,2}(?:st|nd|rd|th)?\\s+" + month + ",?\\s+\\d{4}|" + month +
                               "\\s+\\d{1,2}(?:st|nd|rd|th)?,\\s+\\d{4}|\\d{4}-\\d{2}-\\d{2})\\b");
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
        const std::string d = collapse_whitespace(it->str());
        if (std::find(dates.begin(), dates.end(), d) == dates.end()) dates.push_back(d);
    }
}

}  // namespace

std::string clause_label(std::string_view paragraph) {
    const std::string text = collapse_whitespace(paragraph);
    std::smatch m;
    if (std::regex_search(text, m, article_re())) return "Article " + m[2].str();
    if (std::regex_search(text, m, section_re())) return "Section " + m[1].str();
    if (std::regex_search(text, m, number_re())) return m[1].str() + m[2].str();
    if (std::regex_search(text, m, sub_re())) return "(" + m[1].str() + ")";
    return {};
}

contract_structure segment_contract(const std::vector<contract_paragraph>& paragraphs) {
    contract_structure out;
    label_state state;
    std::string current_label = "Preamble";
    segment* current = nullptr;
    std::string all_text;
    for (const contract_paragraph& p : paragraphs) {
        const std::string text = straight_quotes(p.text);
        const std::string squashed = collapse_whitespace(text);
        if (squashed.empty()) continue;
        std::string label;
        std::smatch m;
        if (std::regex_search(squashed, m, article_re())) {
            state = {"Article " + m[2].str(), {}};
            label = state.base;
        } else if (std::regex_search(squashed, m, section_re())) {
            state = {"Section " + m[1].str(), {}};
            label = state.base;
        } else if (std::regex_search(squashed, m, number_re())) {
            state = {m[1].str(), {}};
            const std::string subs = m[2].str();  // "(a)(i)" written in full
            for (size_t i = 0; i < subs.size();) {
                const size_t close = subs.find(')', i);
                state.sub.push_back(subs.substr(i + 1, close - i - 1));
                i = close + 1;
            }
            label = state.full();
        } else if (std::regex_search(squashed, m, sub_re())) {
            state.enter_sub(m[1].str());
            label = state.full();
        } else if (p.heading || (p.page > 0 && looks_like_heading(squashed))) {
            state = {squashed.substr(0, 80), {}};
            label = state.base;
        }
        if (!label.empty()) current_label = label;
        if (!current || !label.empty() || current->where.page != p.page) {
            out.segments.push_back({});
            current = &out.segments.back();
            current->where.clause = current_label;
            current->where.page = p.page;
        } else {
            current->text += '\n';
        }
        current->text += p.text;  // as written: citations quote it
        all_text += squashed + "\n";
    }
    for (const segment& s : out.segments) {
        find_terms(collapse_whitespace(straight_quotes(s.text)), s, out.terms);
        find_dates(collapse_whitespace(s.text), out.dates);
    }
    // Parties: the first "between A ... and B" of the whole text (usually the opening sentence).
    out.parties = find_parties(collapse_whitespace(straight_quotes(all_text)));
    return out;
}

void apply_contract_structure(source& pdf_source) {
    std::vector<contract_paragraph> paragraphs;
    for (const segment& s : pdf_source.segments) {
        std::istringstream lines(s.text);
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            paragraphs.push_back({line, s.where.page, false});
        }
    }
    contract_structure c = segment_contract(paragraphs);
    pdf_source.segments = std::move(c.segments);
    pdf_source.terms = std::move(c.terms);
    pdf_source.parties = std::move(c.parties);
    pdf_source.dates = std::move(c.dates);
    pdf_source.metadata.emplace_back("contract", "yes");
}

}  // namespace m1::ingest
