#include "ingest/docx/docx_reader.h"

#include "ingest/docx/libzip_handles.h"

#include <pugixml.hpp>

#include <array>
#include <filesystem>
#include <map>
#include <optional>

namespace m1::ingest {
namespace {

using docx::archive_ptr;
using docx::zip_file_ptr;

// The bytes of one archive member, or nullopt when the archive has no such member.
std::optional<std::string> read_member(zip_t* zip, const char* name, const std::string& path) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip, name, 0, &st) != 0) return std::nullopt;
    zip_file_ptr f(zip_fopen(zip, name, 0));
    if (!f) throw ingest_error(path + ": cannot read " + name + " (" + zip_strerror(zip) + ")");
    std::string data(static_cast<size_t>(st.size), '\0');
    if (zip_fread(f.get(), data.data(), st.size) != static_cast<zip_int64_t>(st.size))
        throw ingest_error(path + ": " + name + " is damaged (short read)");
    return data;
}

void parse_xml(pugi::xml_document& doc, const std::string& data, const char* part, const std::string& path) {
    const pugi::xml_parse_result r = doc.load_buffer(data.data(), data.size());
    if (!r)
        throw ingest_error(path + ": " + part + " is not valid XML (" + r.description() + " at offset " +
                           std::to_string(r.offset) + ")");
}

// ----- numbering.xml -----

struct level_format {
    int start = 1;
    std::string format = "decimal";  // w:numFmt
    std::string text;                // w:lvlText, e.g. "%1.%2"
};

struct numbering {
    std::map<std::string, std::array<level_format, 9>> abstract;  // abstractNumId -> levels
    std::map<std::string, std::string> num_to_abstract;            // numId -> abstractNumId
    std::map<std::string, std::map<int, int>> start_override;       // numId -> level -> start
};

numbering read_numbering(const pugi::xml_document& doc) {
    numbering n;
    const pugi::xml_node root = doc.child("w:numbering");
    for (pugi::xml_node a : root.children("w:abstractNum")) {
        auto& levels = n.abstract[a.attribute("w:abstractNumId").value()];
        for (pugi::xml_node l : a.children("w:lvl")) {
            const int i = l.attribute("w:ilvl").as_int(-1);
            if (i < 0 || i >= 9) continue;
            levels[i].start = l.child("w:start").attribute("w:val").as_int(1);
            if (pugi::xml_node f = l.child("w:numFmt")) levels[i].format = f.attribute("w:val").value();
            levels[i].text = l.child("w:lvlText").attribute("w:val").value();
        }
    }
    for (pugi::xml_node num : root.children("w:num")) {
        const std::string id = num.attribute("w:numId").value();
        n.num_to_abstract[id] = num.child("w:abstractNumId").attribute("w:val").value();
        for (pugi::xml_node o : num.children("w:lvlOverride"))
            if (pugi::xml_node s = o.child("w:startOverride"))
                n.start_override[id][o.attribute("w:ilvl").as_int()] = s.attribute("w:val").as_int(1);
    }
    return n;
}

std::string to_letters(int v, bool upper) {
    // 1 -> a, 26 -> z, 27 -> aa (Word repeats the letter)
    if (v <= 0) return std::to_string(v);
    const char c = static_cast<char>((upper ? 'A' : 'a') + (v - 1) % 26);
    return std::string(static_cast<size_t>((v - 1) / 26 + 1), c);
}

std::string to_roman(int v, bool upper) {
    static const std::pair<int, const char*> table[] = {{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"},
                                                        {90, "xc"},  {50, "l"},   {40, "xl"}, {10, "x"},  {9, "ix"},
                                                        {5, "v"},    {4, "iv"},   {1, "i"}};
    if (v <= 0) return std::to_string(v);
    std::string out;
    for (const auto& [n, s] : table)
        while (v >= n) {
            out += s;
            v -= n;
        }
    if (upper)
        for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string format_number(int v, const std::string& fmt) {
    if (fmt == "lowerLetter") return to_letters(v, false);
    if (fmt == "upperLetter") return to_letters(v, true);
    if (fmt == "lowerRoman") return to_roman(v, false);
    if (fmt == "upperRoman") return to_roman(v, true);
    return std::to_string(v);
}

// Counters of every list seen so far, and the label of the next paragraph of a list at a level.
class list_counters {
public:
    explicit list_counters(const numbering& n) : m_numbering(n) {}

    // "" for bullets and unknown lists (they never become clause labels).
    std::string next_label(const std::string& num_id, int level) {
        const auto abs = m_numbering.num_to_abstract.find(num_id);
        if (abs == m_numbering.num_to_abstract.end() || level < 0 || level >= 9) return {};
        const auto levels_it = m_numbering.abstract.find(abs->second);
        if (levels_it == m_numbering.abstract.end()) return {};
        const auto& levels = levels_it->second;
        std::array<int, 9>& c = m_counters[num_id];
        auto start = [&](int l) {
            const auto o = m_numbering.start_override.find(num_id);
            if (o != m_numbering.start_override.end() && o->second.count(l)) return o->second.at(l);
            return levels[l].start;
        };
        c[level] = c[level] == 0 ? start(level) : c[level] + 1;
        for (int l = level + 1; l < 9; ++l) c[l] = 0;
        for (int l = 0; l < level; ++l)
            if (c[l] == 0) c[l] = start(l);
        if (levels[level].format == "bullet" || levels[level].format == "none") return {};
        std::string out;
        const std::string& pattern = levels[level].text;
        for (size_t i = 0; i < pattern.size(); ++i) {
            if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
                const int l = pattern[i + 1] - '1';
                out += format_number(c[l], levels[l].format);
                ++i;
            } else {
                out += pattern[i];
            }
        }
        return out;
    }

private:
    const numbering& m_numbering;
    std::map<std::string, std::array<int, 9>> m_counters;
};

// ----- styles.xml -----

struct style_info {
    bool heading = false;
    std::string num_id;  // numbering attached to the style (common for numbered headings)
    int level = 0;
};

std::map<std::string, style_info> read_styles(const pugi::xml_document& doc) {
    std::map<std::string, style_info> out;
    for (pugi::xml_node s : doc.child("w:styles").children("w:style")) {
        style_info info;
        std::string name = s.child("w:name").attribute("w:val").value();
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        info.heading = name.starts_with("heading") || name == "title" ||
                       s.child("w:pPr").child("w:outlineLvl");
        if (pugi::xml_node np = s.child("w:pPr").child("w:numPr")) {
            info.num_id = np.child("w:numId").attribute("w:val").value();
            info.level = np.child("w:ilvl").attribute("w:val").as_int(0);
        }
        out[s.attribute("w:styleId").value()] = info;
    }
    return out;
}

// ----- document.xml -----

// The visible text of a paragraph (or any element): w:t runs, tabs and breaks; deleted text and field codes skipped.
void collect_text(pugi::xml_node node, std::string& out) {
    for (pugi::xml_node c : node.children()) {
        const std::string_view name = c.name();
        if (name == "w:t") out += c.text().get();
        else if (name == "w:tab") out += '\t';
        else if (name == "w:br" || name == "w:cr") out += ' ';
        else if (name == "w:del" || name == "w:instrText" || name == "w:delText" || name == "w:pPr") continue;
        else collect_text(c, out);
    }
}

struct body_walker {
    const std::map<std::string, style_info>& styles;
    list_counters& counters;
    std::vector<contract_paragraph>& out;

    void paragraph(pugi::xml_node p) {
        contract_paragraph para;
        std::string text;
        collect_text(p, text);
        const pugi::xml_node ppr = p.child("w:pPr");
        const std::string style = ppr.child("w:pStyle").attribute("w:val").value();
        std::string num_id;
        int level = 0;
        if (const auto s = styles.find(style); s != styles.end()) {
            para.heading = s->second.heading;
            num_id = s->second.num_id;
            level = s->second.level;
        }
        if (pugi::xml_node np = ppr.child("w:numPr")) {
            if (pugi::xml_node id = np.child("w:numId")) num_id = id.attribute("w:val").value();
            if (pugi::xml_node l = np.child("w:ilvl")) level = l.attribute("w:val").as_int(0);
        }
        if (num_id.empty() || num_id == "0" || text.empty()) {
            para.text = text;
        } else {
            const std::string label = counters.next_label(num_id, level);
            para.text = label.empty() ? text : label + " " + text;
        }
        out.push_back(std::move(para));
    }

    void table(pugi::xml_node tbl) {
        for (pugi::xml_node tr : tbl.children("w:tr")) {
            std::string row;
            for (pugi::xml_node tc : tr.children("w:tc")) {
                std::string cell;
                for (pugi::xml_node p : tc.children("w:p")) {
                    std::string t;
                    collect_text(p, t);
                    if (!t.empty()) cell += (cell.empty() ? "" : " ") + t;
                }
                row += (row.empty() ? "" : " | ") + cell;
            }
            out.push_back({row, 0, false});
        }
    }

    void block(pugi::xml_node parent) {
        for (pugi::xml_node c : parent.children()) {
            const std::string_view name = c.name();
            if (name == "w:p") paragraph(c);
            else if (name == "w:tbl") table(c);
            else if (name == "w:sdt") block(c.child("w:sdtContent"));
            else if (name == "w:ins") block(c);
        }
    }
};

archive_ptr open_archive(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        if (std::filesystem::exists(path, ec)) throw ingest_error(path + ": not a file");
        throw ingest_error(path + ": cannot open the file for reading");
    }
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (!z) {
        if (err == ZIP_ER_NOZIP || err == ZIP_ER_INCONS)
            throw ingest_error(path + ": not a DOCX file (not a zip archive, or a damaged one)");
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        const std::string why = zip_error_strerror(&ze);
        zip_error_fini(&ze);
        throw ingest_error(path + ": cannot open the archive (" + why + ")");
    }
    return archive_ptr(z);
}

}  // namespace

std::vector<contract_paragraph> read_docx_paragraphs(const std::string& path) {
    archive_ptr zip = open_archive(path);
    const std::optional<std::string> document = read_member(zip.get(), "word/document.xml", path);
    if (!document) throw ingest_error(path + ": not a DOCX file (no word/document.xml in the archive)");
    pugi::xml_document doc, num_doc, style_doc;
    parse_xml(doc, *document, "word/document.xml", path);
    if (auto n = read_member(zip.get(), "word/numbering.xml", path)) parse_xml(num_doc, *n, "word/numbering.xml", path);
    if (auto s = read_member(zip.get(), "word/styles.xml", path)) parse_xml(style_doc, *s, "word/styles.xml", path);
    const numbering nums = read_numbering(num_doc);
    const std::map<std::string, style_info> styles = read_styles(style_doc);
    list_counters counters(nums);
    std::vector<contract_paragraph> out;
    body_walker walker{styles, counters, out};
    const pugi::xml_node body = doc.child("w:document").child("w:body");
    if (!body) throw ingest_error(path + ": word/document.xml has no w:body");
    walker.block(body);
    return out;
}

source read_docx(const std::string& path) {
    source src;
    src.kind = source_kind::docx;
    src.path = path;
    contract_structure c = segment_contract(read_docx_paragraphs(path));
    src.segments = std::move(c.segments);
    src.terms = std::move(c.terms);
    src.parties = std::move(c.parties);
    src.dates = std::move(c.dates);
    archive_ptr zip = open_archive(path);
    if (auto core = read_member(zip.get(), "docProps/core.xml", path)) {
        pugi::xml_document doc;
        if (doc.load_buffer(core->data(), core->size())) {
            const pugi::xml_node props = doc.first_child();
            src.title = props.child("dc:title").text().get();
            src.metadata.emplace_back("title", src.title);
            src.metadata.emplace_back("author", props.child("dc:creator").text().get());
        }
    }
    if (src.title.empty()) src.title = std::filesystem::path(path).filename().string();
    src.metadata.emplace_back("contract", "yes");
    return src;
}

}  // namespace m1::ingest
