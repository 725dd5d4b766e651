// Owning handles for libzip archives and archive members opened by ingest/docx. Only ingest/docx includes libzip.
#pragma once

#include <zip.h>

#include <memory>

namespace m1::ingest::docx {

struct archive_deleter {
    void operator()(zip_t* z) const { zip_discard(z); }  // read-only: nothing to write back
};
struct file_deleter {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};

using archive_ptr = std::unique_ptr<zip_t, archive_deleter>;
using zip_file_ptr = std::unique_ptr<zip_file_t, file_deleter>;

}  // namespace m1::ingest::docx
