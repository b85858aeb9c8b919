// The encrypted NVRAM file: a VM's whole TPM state (tpm::save_state()) in one file.
//
//   offset  size  field
//   0       8     magic "VTPMNVR\0"
//   8       2     format version (1)
//   10      2+n   provider id (u16 length + ASCII)
//   ..      2+n   VM id (u16 length + ASCII)
//   ..      8     key check value of the provider key (key_provider::key_check_value())
//   ..      2+n   wrapped data key (u16 length + octets)
//   ..      12    GCM nonce
//   ..      4+n   body: u32 length + AES-256-GCM ciphertext and 16-octet tag
//
// The body is encrypted under the data key, with everything before the body length (the
// header, which names the VM) as associated data. Opening checks, in order: the format, the
// VM id, the provider (present, same key), the host policy of the provider, the tag; each
// failure is a distinct platform::error and nothing is returned before all of them pass.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <botan/aead.h>
#include <botan/exceptn.h>
#include <botan/rng.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/platform/atomic_file.hpp"
#include "vtpm/platform/error.hpp"
#include "vtpm/platform/key_provider.hpp"

namespace vtpm::platform::nvram {

inline constexpr std::uint16_t format_version = 1;
inline constexpr std::uint8_t magic[8] = {'V', 'T', 'P', 'M', 'N', 'V', 'R', 0};
inline constexpr std::size_t nonce_size = 12, tag_size = 16, kcv_size = 8;

struct header {
    std::uint16_t version = 0;
    std::string provider_id;
    std::string vm_id;
    bytes key_check;
    bytes wrapped_key;
    std::array<std::uint8_t, nonce_size> nonce{};
    std::size_t body_offset = 0; // where the u32 body length starts (end of the associated data)
    std::size_t body_size = 0;
};

/// Parse the header of an NVRAM file (no key needed). Throws errc::bad_format.
inline header read_header(byte_view f, const std::string& where) {
    auto bad = [&](const std::string& why) {
        return error(errc::bad_format, "vtpm: " + where + " is not a vtpm NVRAM file (" + why + ")");
    };
    if (f.size() < 10 || !std::equal(f.begin(), f.begin() + 8, magic)) throw bad("wrong magic");
    header h;
    h.version = load_be16(f.data() + 8);
    if (h.version != format_version)
        throw error(errc::bad_format, "vtpm: " + where + " has NVRAM format version " + std::to_string(h.version) +
                                          ", this build reads version " + std::to_string(format_version) + "; use a matching vtpm version");
    std::size_t pos = 10;
    auto take = [&](std::size_t n) {
        if (n > f.size() - pos) throw bad("truncated");
        bytes b(f.begin() + static_cast<std::ptrdiff_t>(pos), f.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        return b;
    };
    auto take16 = [&] {
        const auto l = take(2);
        return take(load_be16(l.data()));
    };
    const auto pid = take16();
    const auto vid = take16();
    h.provider_id.assign(pid.begin(), pid.end());
    h.vm_id.assign(vid.begin(), vid.end());
    h.key_check = take(kcv_size);
    h.wrapped_key = take16();
    const auto n = take(nonce_size);
    std::copy(n.begin(), n.end(), h.nonce.begin());
    h.body_offset = pos;
    const auto l = take(4);
    h.body_size = load_be32(l.data());
    if (h.body_size < tag_size || h.body_size != f.size() - pos) throw bad("truncated or trailing data");
    if (!valid_provider_id(h.provider_id)) throw bad("bad provider id");
    return h;
}

/// A new random data key for a new vTPM.
inline secret new_data_key(Botan::RandomNumberGenerator& rng) {
    secret k(data_key_size);
    rng.randomize(k.data(), k.size());
    return k;
}

/// Encrypt `state` for VM `vm_id` under `data_key`, wrapped by `provider`.
template <key_provider P>
bytes seal(const P& provider, std::string_view vm_id, const secret& data_key, byte_view state, Botan::RandomNumberGenerator& rng) {
    if (vm_id.empty() || vm_id.size() > 256) throw error(errc::invalid_argument, "vtpm: a VM id has 1 to 256 characters");
    const bytes wrapped = provider.wrap(data_key);
    const bytes kcv = provider.key_check_value();
    bytes out(magic, magic + 8);
    auto put16 = [&](std::size_t v) { out.push_back(static_cast<std::uint8_t>(v >> 8)); out.push_back(static_cast<std::uint8_t>(v)); };
    auto put_str = [&](auto&& s) { put16(s.size()); out.insert(out.end(), s.begin(), s.end()); };
    put16(format_version);
    put_str(std::string_view(provider.id()));
    put_str(vm_id);
    out.insert(out.end(), kcv.begin(), kcv.end());
    put_str(wrapped);
    std::uint8_t nonce[nonce_size];
    rng.randomize(nonce, nonce_size);
    out.insert(out.end(), nonce, nonce + nonce_size);
    auto gcm = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
    gcm->set_key(data_key);
    gcm->set_associated_data(out.data(), out.size());
    gcm->start(nonce, nonce_size);
    Botan::secure_vector<std::uint8_t> body(state.begin(), state.end());
    gcm->finish(body);
    const auto n = body.size();
    out.push_back(static_cast<std::uint8_t>(n >> 24));
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

struct opened {
    header hdr;
    secret data_key;
    secret state;
};

/// Decrypt an NVRAM file of VM `vm_id`. `find_provider(id)` returns std::optional<P>.
template <class Find>
opened open(byte_view f, std::string_view vm_id, Find&& find_provider, const std::string& where) {
    header h = read_header(f, where);
    if (h.vm_id != vm_id)
        throw error(errc::other_vm, "vtpm: " + where + " belongs to VM '" + h.vm_id + "', not to VM '" + std::string(vm_id) +
                                        "'; use the VM's own NVRAM file (or clone/migrate the VM instead of copying files)");
    auto provider = find_provider(std::string_view(h.provider_id));
    if (!provider)
        throw error(errc::provider_not_found, "vtpm: " + where + " needs key provider " + h.provider_id +
                                                  ", which is not on this host; restore it from its backup (vtpmctl provider restore FILE.p12)");
    // The key check value tells "another key under the same provider id" from a damaged
    // header: with the right key the wrapped data key unwraps even if the stored value was
    // altered, and with another key neither matches.
    const bool same_key = ct_equal(provider->key_check_value(), h.key_check);
    secret key;
    try {
        key = provider->unwrap(h.wrapped_key);
    } catch (const error& e) {
        if (e.code() != errc::wrong_provider && e.code() != errc::bad_format) throw;
        key.clear();
    }
    if (!same_key && key.size() != data_key_size)
        throw error(errc::wrong_provider, "vtpm: key provider " + h.provider_id + " on this host has another key than the one that protects " + where +
                                              "; restore the provider from the backup made where this state was created");
    auto tampered = [&] {
        return error(errc::tampered, "vtpm: " + where + " failed its integrity check: it was modified or damaged; restore it from a backup of the VM");
    };
    if (!same_key || key.size() != data_key_size) throw tampered();
    secret body(f.begin() + static_cast<std::ptrdiff_t>(h.body_offset + 4), f.end());
    try {
        auto gcm = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
        gcm->set_key(key);
        gcm->set_associated_data(f.data(), h.body_offset);
        gcm->start(h.nonce.data(), h.nonce.size());
        gcm->finish(body);
    } catch (const Botan::Exception&) {
        throw tampered();
    }
    return opened{std::move(h), std::move(key), std::move(body)};
}

/// Read and decrypt `path` (see open()).
template <class Find>
opened load(const std::filesystem::path& path, std::string_view vm_id, Find&& find_provider) {
    const bytes f = read_file(path);
    return open(f, vm_id, std::forward<Find>(find_provider), path.string());
}

/// Encrypt and write `path` atomically (see seal()).
template <key_provider P>
void store(const std::filesystem::path& path, const P& provider, std::string_view vm_id, const secret& data_key, byte_view state,
           Botan::RandomNumberGenerator& rng) {
    write_file_atomic(path, seal(provider, vm_id, data_key, state, rng));
}

} // namespace vtpm::platform::nvram
