// Whole-file reads and atomic replacement for the platform layer: write PATH.tmp, fsync it,
// rename it over PATH, fsync the directory (the sequence storage::file uses). Unlike
// storage::file there is no trailer and no previous generation: NVRAM files and provider
// files carry their own integrity checks, and a damaged file must be reported, never
// silently replaced by an older one.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "vtpm/core/bytes.hpp"
#include "vtpm/platform/error.hpp"

namespace vtpm::platform {

/// Files larger than this are refused on read (an NVRAM file holds one TPM state).
inline constexpr std::size_t max_file_size = 16u << 20;

/// Read a whole file. Throws platform::error(errc::not_found) if it does not exist.
inline bytes read_file(const std::filesystem::path& p) {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    if (!f) {
        if (errno == ENOENT) throw error(errc::not_found, "vtpm: " + p.string() + " does not exist");
        throw error(errc::io, "vtpm: cannot open " + p.string() + ": " + std::strerror(errno));
    }
    bytes b;
    std::uint8_t buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        b.insert(b.end(), buf, buf + n);
        if (b.size() > max_file_size) {
            std::fclose(f);
            throw error(errc::bad_format, "vtpm: " + p.string() + " is larger than " +
                                              std::to_string(max_file_size) + " bytes; it is not a vtpm file");
        }
    }
    const bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad) throw error(errc::io, "vtpm: cannot read " + p.string());
    return b;
}

/// Replace `p` atomically with `data` (mode 0600). Throws platform::error(errc::io).
inline void write_file_atomic(const std::filesystem::path& p, byte_view data) {
    const std::string tmp = p.string() + ".tmp";
    auto fail = [&](const std::string& what) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw error(errc::io, "vtpm: " + what + " failed: " + std::strerror(e) + "; check the permissions and free space of " +
                                  p.parent_path().string());
    };
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("open " + tmp);
    std::size_t off = 0;
    while (off < data.size()) {
        auto n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { ::close(fd); fail("write " + tmp); }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) { ::close(fd); fail("fsync " + tmp); }
    ::close(fd);
    if (::rename(tmp.c_str(), p.c_str()) != 0) fail("rename " + tmp);
    const auto dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) fail("open directory " + dir.string());
    const bool ok = ::fsync(dfd) == 0;
    ::close(dfd);
    if (!ok) fail("fsync directory " + dir.string());
}

} // namespace vtpm::platform
