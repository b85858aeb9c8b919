// storage::file: each blob is a file in a directory, replaced atomically and kept with its
// previous generation (DESIGN §5):
//   write NAME.tmp, fsync it, keep the current NAME as NAME.bak, rename NAME.tmp -> NAME,
//   fsync the directory.
// Every file carries a trailer (magic + length + FNV-1a-64 checksum of the contents), so a
// torn or corrupt file is detected on read; get() then falls back to NAME.bak and reports
// it through the log callback.
#pragma once
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

#include "vtpm/storage/concepts.hpp"

namespace vtpm::storage {

class file {
public:
    using log_fn = std::function<void(const std::string&)>;

    /// Use (and create if needed) directory `dir`. Throws std::runtime_error with a
    /// "vtpm: ..." message if the directory cannot be created or is not writable.
    explicit file(std::filesystem::path dir, log_fn log = {}) : dir_(std::move(dir)), log_(std::move(log)) {
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        if (ec || !std::filesystem::is_directory(dir_))
            throw std::runtime_error("vtpm: cannot create state directory " + dir_.string() + ": " + ec.message());
        if (::access(dir_.c_str(), W_OK) != 0)
            throw std::runtime_error("vtpm: state directory " + dir_.string() + " is not writable: " + std::strerror(errno));
    }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    [[nodiscard]] std::optional<bytes> get(std::string_view name) const {
        auto p = path(name);
        if (auto b = read_checked(p)) return b;
        const bool existed = std::filesystem::exists(p);
        auto bak = read_checked(backup(name));
        if (existed && log_)
            log_("vtpm: " + p.string() + " is torn or corrupt; " +
                 (bak ? "using the previous generation " + backup(name).string() : std::string("no good previous generation")));
        return bak;
    }

    bool put(std::string_view name, byte_view data) {
        const auto p = path(name);
        const std::string tmp = p.string() + ".tmp";
        bytes content(data.begin(), data.end());
        append_trailer(content);
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return fail("open " + tmp);
        std::size_t off = 0;
        while (off < content.size()) {
            auto n = ::write(fd, content.data() + off, content.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { ::close(fd); return fail("write " + tmp); }
            off += static_cast<std::size_t>(n);
        }
        if (::fsync(fd) != 0) { ::close(fd); return fail("fsync " + tmp); }
        ::close(fd);
        // Keep the current generation as the backup (a hard link: the current file stays
        // in place until the rename below replaces it).
        if (std::filesystem::exists(p)) {
            auto bak = backup(name);
            std::error_code ec;
            std::filesystem::remove(bak, ec);
            if (::link(p.c_str(), bak.c_str()) != 0) std::filesystem::copy_file(p, bak, ec);
        }
        if (::rename(tmp.c_str(), p.c_str()) != 0) return fail("rename " + tmp);
        return sync_dir();
    }

    bool remove(std::string_view name) {
        std::error_code ec;
        std::filesystem::remove(path(name), ec);
        std::filesystem::remove(backup(name), ec);
        return sync_dir();
    }

private:
    static constexpr std::uint8_t trailer_magic[4] = {'v', 't', 'S', 'F'};
    static constexpr std::size_t trailer_size = 4 + 8 + 8;

    static std::uint64_t fnv1a(byte_view b) noexcept {
        std::uint64_t h = 0xcbf29ce484222325ULL;
        for (auto c : b) { h ^= c; h *= 0x100000001b3ULL; }
        return h;
    }
    static void append_trailer(bytes& b) {
        std::uint8_t t[trailer_size];
        std::memcpy(t, trailer_magic, 4);
        store_be64(t + 4, b.size());
        store_be64(t + 12, fnv1a(b));
        b.insert(b.end(), t, t + trailer_size);
    }
    static std::optional<bytes> read_checked(const std::filesystem::path& p) {
        std::FILE* f = std::fopen(p.c_str(), "rb");
        if (!f) return std::nullopt;
        bytes b;
        std::uint8_t buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.insert(b.end(), buf, buf + n);
        std::fclose(f);
        if (b.size() < trailer_size) return std::nullopt;
        const auto* t = b.data() + b.size() - trailer_size;
        const auto len = b.size() - trailer_size;
        if (std::memcmp(t, trailer_magic, 4) != 0 || load_be64(t + 4) != len ||
            load_be64(t + 12) != fnv1a(byte_view{b.data(), len}))
            return std::nullopt;
        b.resize(len);
        return b;
    }
    [[nodiscard]] std::filesystem::path path(std::string_view name) const { return dir_ / std::string(name); }
    [[nodiscard]] std::filesystem::path backup(std::string_view name) const { return dir_ / (std::string(name) + ".bak"); }
    bool sync_dir() {
        int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return fail("open directory " + dir_.string());
        bool ok = ::fsync(fd) == 0;
        ::close(fd);
        return ok || fail("fsync directory " + dir_.string());
    }
    bool fail(const std::string& what) {
        if (log_) log_("vtpm: storage: " + what + " failed: " + std::strerror(errno));
        return false;
    }

    std::filesystem::path dir_;
    log_fn log_;
};
static_assert(backend<file>);

} // namespace vtpm::storage
