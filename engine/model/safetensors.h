// The safetensors file format: an 8-byte little-endian header length N, N bytes of JSON
// ({"__metadata__": {str: str}, "<name>": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...}),
// then the tensor data; offsets are relative to the first byte after the header. This engine reads and writes
// BF16, F16 and F32 only; any other dtype is refused naming the tensor.
//
// Ownership: mapped_file owns its mapping (unmapped in the destructor); safetensors_writer owns its open file.
// Thread-safety: a mapped_file's bytes may be read from any thread; a writer is used by one thread.
#pragma once

#include "engine/model/checkpoint.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace m1 {

struct safetensors_entry {
    std::string name;
    dtype type = dtype::f32;
    std::vector<int64_t> shape;
    uint64_t offset = 0;  // absolute byte offset of the data in the file
    uint64_t bytes = 0;
};

struct safetensors_header {
    std::vector<safetensors_entry> tensors;  // in the order of their data in the file
    std::map<std::string, std::string> metadata;
    uint64_t data_start = 0;  // 8 + header length
    uint64_t file_size = 0;
};

// Reads and checks the header of one file: the length field, the JSON, each entry's dtype, shape and offsets (the
// data must have exactly numel·dtype_size bytes and lie inside the file). Reads only the header bytes.
// Throws checkpoint_error "<path>: <problem>" (a missing file, "truncated", "bad JSON header", a tensor's name...).
safetensors_header read_safetensors_header(const std::string& path);

// Parses a dtype spelling ("BF16", "F16", "F32"); returns false for anything else.
bool parse_dtype(const std::string& text, dtype& out);

// A whole file mapped read-only (POSIX mmap).
class mapped_file {
public:
    mapped_file() = default;
    // Throws checkpoint_error naming the path when the file cannot be opened or mapped.
    explicit mapped_file(const std::string& path);
    ~mapped_file();
    mapped_file(mapped_file&& o) noexcept;
    mapped_file& operator=(mapped_file&& o) noexcept;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    const std::byte* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    const std::byte* m_data = nullptr;
    size_t m_size = 0;
};

// Streams one safetensors file: all tensors are declared up front (the header is written by the constructor),
// then each tensor's data is written in declaration order, possibly in several pieces, so a shard never has to be
// held in memory. finish() checks that every byte was written and closes the file.
// Every failure throws checkpoint_error naming the path.
class safetensors_writer {
public:
    safetensors_writer(const std::string& path, const std::vector<tensor_spec>& tensors,
                       const std::map<std::string, std::string>& metadata = {});
    ~safetensors_writer();  // closes without finish() (leaves an incomplete file) if an exception unwound
    safetensors_writer(const safetensors_writer&) = delete;
    safetensors_writer& operator=(const safetensors_writer&) = delete;

    // Appends `bytes` bytes of the current tensor's data (little-endian elements). Throws when more bytes are
    // written than the declared tensors hold.
    void write(const void* data, size_t bytes);
    void finish();

    // Size of the file the declared tensors and metadata produce.
    uint64_t file_size() const { return m_data_start + m_total; }

private:
    std::string m_path;
    std::FILE* m_file = nullptr;
    uint64_t m_data_start = 0, m_total = 0, m_written = 0;
};

}  // namespace m1
