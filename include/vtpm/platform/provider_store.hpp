// A directory of native key providers: one file per provider (<id>.nkp, mode 0600), the
// default provider's id in "default". Backup writes a PKCS#12 file and marks the provider as
// backed up; restore recreates the provider (same id, same key) from such a file.
#pragma once
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <botan/rng.h>

#include "vtpm/platform/atomic_file.hpp"
#include "vtpm/platform/error.hpp"
#include "vtpm/platform/key_provider.hpp"
#include "vtpm/platform/pkcs12.hpp"

namespace vtpm::platform {

class provider_store {
public:
    explicit provider_store(std::filesystem::path dir, host_tpm_check check = host_has_tpm2)
        : dir_(std::move(dir)), check_(std::move(check)) {}

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    /// A new native key provider, stored; the first one becomes the default.
    native_key_provider create(const std::string& name, native_key_provider::options opt, Botan::RandomNumberGenerator& rng) {
        if (!valid_name(name)) throw error(errc::invalid_argument, "vtpm: '" + name + "' is not a valid provider name; use 1-64 printable characters without spaces or '/'");
        if (find(name)) throw error(errc::exists, "vtpm: a key provider named '" + name + "' already exists; choose another name");
        auto p = native_key_provider::generate(name, opt, rng, check_);
        save(p);
        if (!default_id()) set_default(p.id());
        return p;
    }

    void save(const native_key_provider& p) {
        ensure_dir();
        const auto s = p.serialize();
        write_file_atomic(file_of(p.id()), byte_view{s.data(), s.size()});
    }

    [[nodiscard]] std::vector<native_key_provider> list() const {
        std::vector<native_key_provider> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
            if (e.path().extension() != ".nkp") continue;
            out.push_back(load(e.path()));
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name() < b.name(); });
        return out;
    }

    /// The provider with this id or name, if any.
    [[nodiscard]] std::optional<native_key_provider> find(std::string_view id_or_name) const {
        if (valid_provider_id(id_or_name)) {
            const auto f = file_of(id_or_name);
            if (!std::filesystem::exists(f)) return std::nullopt;
            return load(f);
        }
        for (auto& p : list())
            if (p.name() == id_or_name) return p;
        return std::nullopt;
    }
    [[nodiscard]] native_key_provider get(std::string_view id_or_name) const {
        if (auto p = find(id_or_name)) return *p;
        throw error(errc::provider_not_found, "vtpm: key provider '" + std::string(id_or_name) + "' is not in " + dir_.string() +
                                                  "; restore it from its backup (vtpmctl provider restore FILE.p12)");
    }

    [[nodiscard]] std::optional<std::string> default_id() const {
        std::error_code ec;
        if (!std::filesystem::exists(dir_ / "default", ec)) return std::nullopt;
        const auto b = read_file(dir_ / "default");
        std::string id(b.begin(), b.end());
        while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
        if (!valid_provider_id(id)) return std::nullopt;
        return id;
    }
    void set_default(std::string_view id_or_name) {
        const auto p = get(id_or_name);
        const std::string line = p.id() + "\n";
        write_file_atomic(dir_ / "default", byte_view{reinterpret_cast<const std::uint8_t*>(line.data()), line.size()});
    }
    /// The provider named, or the default one when `id_or_name` is empty.
    [[nodiscard]] native_key_provider resolve(std::string_view id_or_name) const {
        if (!id_or_name.empty()) return get(id_or_name);
        if (auto d = default_id()) return get(*d);
        throw error(errc::provider_not_found, "vtpm: no key provider given and no default provider set in " + dir_.string() +
                                                  "; create one (vtpmctl provider create NAME) or set one (vtpmctl provider set-default NAME)");
    }

    void remove(std::string_view id_or_name) {
        const auto p = get(id_or_name);
        std::filesystem::remove(file_of(p.id()));
        if (default_id() == p.id()) std::filesystem::remove(dir_ / "default");
    }

    /// Write a PKCS#12 backup of a provider and mark it as backed up.
    native_key_provider backup(std::string_view id_or_name, const std::filesystem::path& out, std::string_view password,
                               Botan::RandomNumberGenerator& rng) {
        auto p = get(id_or_name);
        pkcs12::secret_bag bag{p.key_for_backup(), p.name(), bytes(p.id().begin(), p.id().end())};
        const auto der = pkcs12::write(bag, password, rng);
        write_file_atomic(out, der);
        p.mark_backed_up();
        save(p);
        return p;
    }

    /// Recreate a provider from a backup (same id, same key); it counts as backed up.
    /// Replaces a provider with the same id (the options may change, the key may not).
    native_key_provider restore(const std::filesystem::path& in, std::string_view password, native_key_provider::options opt) {
        const auto bag = pkcs12::read(read_file(in), password, in.string());
        const std::string id(bag.local_key_id.begin(), bag.local_key_id.end());
        if (!valid_provider_id(id) || bag.value.size() != data_key_size)
            throw error(errc::bad_format, "vtpm: " + in.string() + " is a PKCS#12 file but not a key provider backup");
        native_key_provider p(id, bag.friendly_name, bag.value, opt, true, check_);
        if (auto old = find(id); old && !ct_equal(byte_view{old->key_for_backup().data(), data_key_size},
                                                   byte_view{p.key_for_backup().data(), data_key_size}))
            throw error(errc::exists, "vtpm: a different key provider with id " + id + " exists in " + dir_.string() +
                                          "; delete it first (vtpmctl provider delete " + id + ")");
        if (auto other = find(p.name()); other && other->id() != id)
            throw error(errc::exists, "vtpm: another key provider is named '" + p.name() + "'; delete or rename it first");
        save(p);
        if (!default_id()) set_default(p.id());
        return p;
    }

private:
    /// A provider file; the plaintext key is wiped from the read buffer.
    [[nodiscard]] native_key_provider load(const std::filesystem::path& f) const {
        bytes b = read_file(f);
        try {
            auto p = native_key_provider::parse(b, f.string(), check_);
            secure_zero(b.data(), b.size());
            return p;
        } catch (...) {
            secure_zero(b.data(), b.size());
            throw;
        }
    }
    void ensure_dir() const {
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        if (ec) throw error(errc::io, "vtpm: cannot create the provider directory " + dir_.string() + ": " + ec.message());
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
    }
    [[nodiscard]] std::filesystem::path file_of(std::string_view id) const { return dir_ / (std::string(id) + ".nkp"); }

    std::filesystem::path dir_;
    host_tpm_check check_;
};

} // namespace vtpm::platform
