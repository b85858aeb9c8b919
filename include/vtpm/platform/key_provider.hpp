// Key providers protect the data keys of vTPM state files (docs/platform.md).
//
// A key provider has an id (stable across backup and restore), a name, and wraps / unwraps
// 256-bit data keys. The native key provider keeps a locally generated 256-bit key in a
// provider directory; like the native key provider of other hypervisors it cannot protect a
// new vTPM until it has been backed up, and it can be restricted to hosts with a TPM 2.0
// device.
#pragma once
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <botan/block_cipher.h>
#include <botan/exceptn.h>
#include <botan/mac.h>
#include <botan/nist_keywrap.h>
#include <botan/rng.h>
#include <botan/secmem.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/platform/atomic_file.hpp"
#include "vtpm/platform/error.hpp"

namespace vtpm::platform {

/// Secret bytes: zeroed when freed.
using secret = Botan::secure_vector<std::uint8_t>;

/// Size of the data keys providers wrap and of the native provider's own key.
inline constexpr std::size_t data_key_size = 32;

template <class P>
concept key_provider = requires(const P& p, const secret& key, byte_view wrapped) {
    { p.id() } -> std::convertible_to<std::string_view>;
    { p.name() } -> std::convertible_to<std::string_view>;
    { p.wrap(key) } -> std::same_as<bytes>;      // throws platform::error
    { p.unwrap(wrapped) } -> std::same_as<secret>; // throws platform::error (wrong_provider, ...)
    // 8 octets that identify the provider's key without revealing it: a file wrapped by a
    // provider with the same id but another key is told apart from a damaged file.
    { p.key_check_value() } -> std::same_as<bytes>;
};

/// Whether this host has a TPM 2.0 device (the Linux TPM driver reports the major version).
inline bool host_has_tpm2() {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/tpm", ec)) {
        std::ifstream f(e.path() / "tpm_version_major");
        std::string v;
        if (f >> v && v == "2") return true;
    }
    return false;
}
using host_tpm_check = std::function<bool()>;

/// A provider id in UUID form (version 4, random).
inline std::string make_provider_id(Botan::RandomNumberGenerator& rng) {
    std::uint8_t u[16];
    rng.randomize(u, sizeof u);
    u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x40);
    u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
    auto h = to_hex(byte_view{u, 16});
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}
inline bool valid_provider_id(std::string_view id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}
/// Names: 1..64 printable ASCII characters, no space, no '/', not . or ..
inline bool valid_name(std::string_view n) {
    return !n.empty() && n.size() <= 64 &&
           std::all_of(n.begin(), n.end(), [](char c) { return c > ' ' && c < 0x7F && c != '/'; }) && n != "." && n != "..";
}

class native_key_provider {
public:
    struct options {
        /// Release keys only on hosts with a TPM 2.0 device.
        bool require_host_tpm = false;
    };

    native_key_provider(std::string id, std::string name, secret key, options opt, bool backed_up,
                        host_tpm_check check = host_has_tpm2)
        : id_(std::move(id)), name_(std::move(name)), key_(std::move(key)), opt_(opt), backed_up_(backed_up),
          check_(std::move(check)) {
        if (!valid_provider_id(id_)) throw error(errc::invalid_argument, "vtpm: '" + id_ + "' is not a provider id (expected a UUID)");
        if (!valid_name(name_)) throw error(errc::invalid_argument, "vtpm: '" + name_ + "' is not a valid provider name (1-64 printable characters, no spaces or '/')");
        if (key_.size() != data_key_size) throw error(errc::bad_format, "vtpm: native key provider " + id_ + " has a key of the wrong size");
    }

    /// A new provider with a fresh 256-bit key; not backed up yet.
    static native_key_provider generate(std::string name, options opt, Botan::RandomNumberGenerator& rng,
                                        host_tpm_check check = host_has_tpm2) {
        secret key(data_key_size);
        rng.randomize(key.data(), key.size());
        return native_key_provider(make_provider_id(rng), std::move(name), std::move(key), opt, false, std::move(check));
    }

    [[nodiscard]] const std::string& id() const noexcept { return id_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] bool backed_up() const noexcept { return backed_up_; }
    [[nodiscard]] const options& opts() const noexcept { return opt_; }
    void mark_backed_up() noexcept { backed_up_ = true; }

    /// Throws unless this provider may protect a new vTPM (it must have been backed up).
    void require_ready_for_new_vtpm() const {
        if (!backed_up_)
            throw error(errc::provider_not_backed_up,
                        "vtpm: key provider '" + name_ + "' (" + id_ +
                            ") has not been backed up and cannot be used for new vTPMs; back it up first (vtpmctl provider backup " +
                            name_ + " FILE.p12)");
    }

    /// RFC 3394 AES key wrap of a data key under the provider key.
    [[nodiscard]] bytes wrap(const secret& data_key) const {
        check_release();
        if (data_key.size() != data_key_size) throw error(errc::invalid_argument, "vtpm: data keys are 32 bytes");
        auto w = Botan::nist_key_wrap(data_key.data(), data_key.size(), *cipher());
        return bytes(w.begin(), w.end());
    }
    [[nodiscard]] secret unwrap(byte_view wrapped) const {
        check_release();
        if (wrapped.size() != data_key_size + 8)
            throw error(errc::bad_format, "vtpm: a wrapped data key has the wrong size; the file is damaged");
        try {
            return Botan::nist_key_unwrap(wrapped.data(), wrapped.size(), *cipher());
        } catch (const Botan::Exception&) {
            throw error(errc::wrong_provider, "vtpm: key provider '" + name_ + "' (" + id_ +
                                                  ") cannot unwrap this data key: it has the same id but another key; restore the provider from the backup that belongs to this state");
        }
    }

    /// HMAC-SHA256(key, "vtpm key check value"), first 8 octets.
    [[nodiscard]] bytes key_check_value() const {
        auto m = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
        m->set_key(key_);
        static constexpr char label[] = "vtpm key check value";
        m->update(reinterpret_cast<const std::uint8_t*>(label), sizeof label - 1);
        const auto t = m->final();
        return bytes(t.begin(), t.begin() + 8);
    }

    /// The provider key itself (for backups only).
    [[nodiscard]] const secret& key_for_backup() const noexcept { return key_; }

    /// Provider file: "VTPMNKP1", flags (bit 0 backed up, bit 1 host TPM required),
    /// u16 id length + id, u16 name length + name, 32-byte key.
    [[nodiscard]] secret serialize() const {
        secret out{'V', 'T', 'P', 'M', 'N', 'K', 'P', '1'};
        out.push_back(static_cast<std::uint8_t>((backed_up_ ? 1 : 0) | (opt_.require_host_tpm ? 2 : 0)));
        for (const std::string* s : {&id_, &name_}) {
            out.push_back(static_cast<std::uint8_t>(s->size() >> 8));
            out.push_back(static_cast<std::uint8_t>(s->size()));
            out.insert(out.end(), s->begin(), s->end());
        }
        out.insert(out.end(), key_.begin(), key_.end());
        return out;
    }
    static native_key_provider parse(byte_view b, const std::string& where, host_tpm_check check = host_has_tpm2) {
        auto bad = [&] { return error(errc::bad_format, "vtpm: " + where + " is not a native key provider file; restore it from its backup"); };
        static constexpr char magic[] = "VTPMNKP1";
        if (b.size() < 9 || !std::equal(b.begin(), b.begin() + 8, magic)) throw bad();
        std::size_t pos = 8;
        const std::uint8_t flags = b[pos++];
        if (flags & ~3u) throw bad();
        std::string s[2];
        for (auto& str : s) {
            if (pos + 2 > b.size()) throw bad();
            const std::size_t n = load_be16(b.data() + pos);
            pos += 2;
            if (n > b.size() - pos) throw bad();
            str.assign(b.begin() + static_cast<std::ptrdiff_t>(pos), b.begin() + static_cast<std::ptrdiff_t>(pos + n));
            pos += n;
        }
        if (b.size() - pos != data_key_size) throw bad();
        secret key(b.begin() + static_cast<std::ptrdiff_t>(pos), b.end());
        return native_key_provider(s[0], s[1], std::move(key), options{(flags & 2) != 0}, (flags & 1) != 0, std::move(check));
    }

private:
    void check_release() const {
        if (opt_.require_host_tpm && !(check_ && check_()))
            throw error(errc::tpm_device_required,
                        "vtpm: TPM2 Device is Required: key provider '" + name_ + "' (" + id_ +
                            ") releases keys only on hosts with a TPM 2.0 device; use a host with a TPM or restore the provider from its backup without --require-tpm");
    }
    [[nodiscard]] std::unique_ptr<Botan::BlockCipher> cipher() const {
        auto c = Botan::BlockCipher::create_or_throw("AES-256");
        c->set_key(key_);
        return c;
    }

    std::string id_, name_;
    secret key_;
    options opt_;
    bool backed_up_;
    host_tpm_check check_;
};
static_assert(key_provider<native_key_provider>);

} // namespace vtpm::platform
