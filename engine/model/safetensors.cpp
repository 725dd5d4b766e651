#include "engine/model/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace m1 {

namespace {

using json = nlohmann::json;

// A header larger than this is certainly not a header (the real M1 shards have a few KB); refusing it avoids a
// huge allocation on a damaged length field.
constexpr uint64_t k_max_header_bytes = 100ull << 20;

std::string errno_text() { return std::strerror(errno); }

struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

bool read_exact(int fd, void* buf, size_t n, uint64_t offset) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<size_t>(r);
        offset += static_cast<uint64_t>(r);
    }
    return true;
}

safetensors_entry parse_entry(const std::string& path, const std::string& name, const json& v, uint64_t data_start,
                              uint64_t file_size) {
    auto bad = [&](const std::string& what) { return checkpoint_error(path + ": tensor '" + name + "': " + what); };
    if (!v.is_object()) throw bad("header entry is not an object");
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) throw bad("header entry has no dtype string");
    if (sh == v.end() || !sh->is_array()) throw bad("header entry has no shape list");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
        throw bad("header entry has no data_offsets [begin, end]");
    safetensors_entry e;
    e.name = name;
    if (!parse_dtype(dt->get<std::string>(), e.type))
        throw bad("dtype " + dt->get<std::string>() + " is not supported (only BF16, F16 and F32)");
    uint64_t numel = 1;
    for (const json& d : *sh) {
        if (!d.is_number_unsigned()) throw bad("shape " + sh->dump() + " has an entry that is not a size");
        const uint64_t n = d.get<uint64_t>();
        if (n != 0 && numel > (1ull << 50) / n) throw bad("shape " + sh->dump() + " is absurdly large");
        numel *= n;
        e.shape.push_back(static_cast<int64_t>(n));
    }
    const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (end < begin) throw bad("data_offsets end < begin");
    e.bytes = end - begin;
    if (e.bytes != numel * dtype_size(e.type))
        throw bad("data_offsets span " + std::to_string(e.bytes) + " bytes but shape " + sh->dump() + " in " +
                  dtype_name(e.type) + " needs " + std::to_string(numel * dtype_size(e.type)));
    e.offset = data_start + begin;
    if (end > file_size - data_start)
        throw checkpoint_error(path + ": file is truncated: tensor '" + name + "' needs bytes up to " +
                               std::to_string(data_start + end) + " but the file has " + std::to_string(file_size));
    return e;
}

}  // namespace

bool parse_dtype(const std::string& text, dtype& out) {
    if (text == "BF16") out = dtype::bf16;
    else if (text == "F16") out = dtype::f16;
    else if (text == "F32") out = dtype::f32;
    else return false;
    return true;
}

safetensors_header read_safetensors_header(const std::string& path) {
    fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) throw checkpoint_error(path + ": cannot open (" + errno_text() + ")");
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw checkpoint_error(path + ": cannot stat (" + errno_text() + ")");
    safetensors_header h;
    h.file_size = static_cast<uint64_t>(st.st_size);
    unsigned char len_bytes[8];
    if (h.file_size < 8 || !read_exact(f.fd, len_bytes, 8, 0))
        throw checkpoint_error(path + ": file is truncated: shorter than the 8-byte header length");
    uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];  // little-endian
    if (len > k_max_header_bytes)
        throw checkpoint_error(path + ": bad header: length field says " + std::to_string(len) +
                               " bytes, not a safetensors file");
    if (len > h.file_size - 8)
        throw checkpoint_error(path + ": file is truncated: the header needs " + std::to_string(len) +
                               " bytes but only " + std::to_string(h.file_size - 8) + " follow");
    std::string text(len, '\0');
    if (!read_exact(f.fd, text.data(), len, 8)) throw checkpoint_error(path + ": cannot read the header");
    h.data_start = 8 + len;
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw checkpoint_error(path + ": bad JSON header (" + e.what() + ")");
    }
    if (!j.is_object()) throw checkpoint_error(path + ": bad JSON header (not an object)");
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object()) throw checkpoint_error(path + ": bad JSON header (__metadata__ is not an object)");
            for (auto m = it->begin(); m != it->end(); ++m)
                if (m->is_string()) h.metadata[m.key()] = m->get<std::string>();
            continue;
        }
        h.tensors.push_back(parse_entry(path, it.key(), *it, h.data_start, h.file_size));
    }
    std::sort(h.tensors.begin(), h.tensors.end(),
              [](const safetensors_entry& a, const safetensors_entry& b) { return a.offset < b.offset; });
    for (size_t i = 1; i < h.tensors.size(); ++i) {
        const safetensors_entry &a = h.tensors[i - 1], &b = h.tensors[i];
        if (a.offset + a.bytes > b.offset)
            throw checkpoint_error(path + ": bad header: the data of tensors '" + a.name + "' and '" + b.name +
                                   "' overlap");
    }
    return h;
}

// ---- mapped_file

mapped_file::mapped_file(const std::string& path) {
    fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) throw checkpoint_error(path + ": cannot open (" + errno_text() + ")");
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw checkpoint_error(path + ": cannot stat (" + errno_text() + ")");
    m_size = static_cast<size_t>(st.st_size);
    if (m_size == 0) return;
    void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED) throw checkpoint_error(path + ": cannot map into memory (" + errno_text() + ")");
    m_data = static_cast<const std::byte*>(p);
}

mapped_file::~mapped_file() {
    if (m_data) ::munmap(const_cast<std::byte*>(m_data), m_size);
}

mapped_file::mapped_file(mapped_file&& o) noexcept : m_data(o.m_data), m_size(o.m_size) {
    o.m_data = nullptr;
    o.m_size = 0;
}

mapped_file& mapped_file::operator=(mapped_file&& o) noexcept {
    if (this != &o) {
        if (m_data) ::munmap(const_cast<std::byte*>(m_data), m_size);
        m_data = o.m_data;
        m_size = o.m_size;
        o.m_data = nullptr;
        o.m_size = 0;
    }
    return *this;
}

// ---- safetensors_writer

safetensors_writer::safetensors_writer(const std::string& path, const std::vector<tensor_spec>& tensors,
                                       const std::map<std::string, std::string>& metadata)
    : m_path(path) {
    // ordered_json keeps __metadata__ first and the tensors in data order, which makes the files easy to read.
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const tensor_spec& t : tensors) {
        if (t.name == "__metadata__" || h.contains(t.name))
            throw checkpoint_error(path + ": tensor '" + t.name + "' declared twice");
        const uint64_t n = t.bytes();
        h[t.name] = {{"dtype", dtype_name(t.type)}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string text = h.dump();
    // Pad with spaces so the data starts 8-byte aligned, as the reference implementation does.
    text.append((8 - text.size() % 8) % 8, ' ');
    m_total = offset;
    m_data_start = 8 + text.size();
    m_file = std::fopen(path.c_str(), "wb");
    if (!m_file) throw checkpoint_error(path + ": cannot create (" + errno_text() + ")");
    unsigned char len_bytes[8];
    uint64_t len = text.size();
    for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(len >> (8 * i));
    if (std::fwrite(len_bytes, 1, 8, m_file) != 8 || std::fwrite(text.data(), 1, text.size(), m_file) != text.size())
        throw checkpoint_error(path + ": write failed (" + errno_text() + ")");
}

safetensors_writer::~safetensors_writer() {
    if (m_file) std::fclose(m_file);
}

void safetensors_writer::write(const void* data, size_t bytes) {
    if (!m_file) throw checkpoint_error(m_path + ": write after finish()");
    if (m_written + bytes > m_total)
        throw checkpoint_error(m_path + ": more data written than the declared tensors hold");
    if (bytes > 0 && std::fwrite(data, 1, bytes, m_file) != bytes)
        throw checkpoint_error(m_path + ": write failed (" + errno_text() + ")");
    m_written += bytes;
}

void safetensors_writer::finish() {
    if (!m_file) return;
    if (m_written != m_total)
        throw checkpoint_error(m_path + ": only " + std::to_string(m_written) + " of " + std::to_string(m_total) +
                               " data bytes were written");
    const bool ok = std::fflush(m_file) == 0;
    const bool closed = std::fclose(m_file) == 0;
    m_file = nullptr;
    if (!ok || !closed) throw checkpoint_error(m_path + ": write failed (" + errno_text() + ")");
}

}  // namespace m1
