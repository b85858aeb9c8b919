// NV indices (Part 1 "NV Memory"; Part 3 §31): the store of defined indices the TPM keeps in
// its persistent state, the Name of an index (Part 1 §16) and the effects of TPM Reset and
// TPM Restart on index attributes.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/marshal/codec.hpp"
#include "vtpm/types/nv.hpp"

namespace vtpm::nv {

/// One defined NV index: its public area, authValue and data (dataSize octets).
struct index {
    tpms_nv_public pub{};
    tpm2b_auth auth;
    bytes data;
    /// nameAlg || H_nameAlg(TPMS_NV_PUBLIC), kept current by refresh_name().
    tpm2b_name name;

    index() = default;
    index(const index&) = default;
    index& operator=(const index&) = default;
    index(index&&) noexcept = default;
    index& operator=(index&&) noexcept = default;
    ~index() {
        auth.clear();
        secure_zero(data.data(), data.size());
    }

    [[nodiscard]] tpm_handle handle() const noexcept { return pub.nv_index.value; }
    [[nodiscard]] std::uint32_t attrs() const noexcept { return pub.attributes.value; }
    [[nodiscard]] bool has(std::uint32_t bits) const noexcept { return (attrs() & bits) == bits; }
    [[nodiscard]] std::uint8_t type() const noexcept { return nv_attr::type_of(attrs()); }
    void set(std::uint32_t bits) noexcept { pub.attributes.value |= bits; }
    void clear(std::uint32_t bits) noexcept { pub.attributes.value &= ~bits; }
    /// The 8-octet value of a counter or bit field index.
    [[nodiscard]] std::uint64_t u64() const noexcept { return data.size() >= 8 ? load_be64(data.data()) : 0; }
    void set_u64(std::uint64_t v) {
        data.resize(8);
        store_be64(data.data(), v);
    }
};

/// The marshalled TPMS_NV_PUBLIC of an index.
inline bytes marshal_public(const tpms_nv_public& p) {
    bytes buf(256);
    writer w{buf};
    marshal(w, p);
    buf.resize(w.size());
    return buf;
}

/// Recompute the Name after a change of the public area (Part 1 §16: attributes such as
/// TPMA_NV_WRITTEN are part of it).
template <class Crypto>
void refresh_name(Crypto& c, index& x) {
    const tpm_alg_id a = x.pub.name_alg.value;
    const auto ds = hash_digest_size(a);
    auto out = x.name.resize(2 + ds);
    store_be16(out.data(), a);
    const auto pub = marshal_public(x.pub);
    c.hash(a, pub, out.subspan(2));
}

/// The data size a type of index needs (counters, bit fields and PIN indices 8 octets, extend
/// indices a digest of nameAlg).
[[nodiscard]] inline bool consistent(const tpms_nv_public& p) noexcept {
    switch (nv_attr::type_of(p.attributes.value)) {
    case nt::ordinary: return true;
    case nt::counter: case nt::bits: case nt::pin_fail: case nt::pin_pass: return p.data_size == 8;
    case nt::extend: return p.data_size == hash_digest_size(p.name_alg.value);
    default: return false;
    }
}

/// The defined NV indices, ordered by handle, and the NV-wide counters.
struct store {
    std::vector<index> indices;
    /// The largest value any counter index has had: a new counter starts above it (Part 3 §31.2).
    std::uint64_t max_counter = 0;

    [[nodiscard]] index* find(tpm_handle h) noexcept {
        auto it = std::lower_bound(indices.begin(), indices.end(), h, [](const index& x, tpm_handle v) { return x.handle() < v; });
        return it != indices.end() && it->handle() == h ? &*it : nullptr;
    }
    [[nodiscard]] const index* find(tpm_handle h) const noexcept { return const_cast<store*>(this)->find(h); }
    index& insert(index x) {
        auto it = std::lower_bound(indices.begin(), indices.end(), x.handle(),
                                   [](const index& a, tpm_handle v) { return a.handle() < v; });
        return *indices.insert(it, std::move(x));
    }
    void erase(tpm_handle h) {
        indices.erase(std::remove_if(indices.begin(), indices.end(), [h](const index& x) { return x.handle() == h; }),
                      indices.end());
    }
    /// NV bytes an index takes in the accounting against the profile's nv_memory limit.
    [[nodiscard]] static std::size_t cost(std::uint16_t data_size) noexcept { return data_size; }
    [[nodiscard]] std::size_t bytes_used() const noexcept {
        std::size_t n = 0;
        for (const auto& x : indices) n += cost(x.pub.data_size);
        return n;
    }
    [[nodiscard]] std::size_t counters() const noexcept {
        return static_cast<std::size_t>(
            std::count_if(indices.begin(), indices.end(), [](const index& x) { return x.type() == nt::counter; }));
    }

    // State format (engine/serialize.hpp block nv_indices): u64 max_counter, u32 count,
    // then per index TPMS_NV_PUBLIC, TPM2B authValue, u16 size and the data.
    static constexpr std::uint32_t max_stored = 65536;
    void marshal(writer& w) const noexcept {
        w.u64(max_counter);
        w.u32(static_cast<std::uint32_t>(indices.size()));
        for (const auto& x : indices) {
            vtpm::marshal(w, x.pub);
            vtpm::marshal(w, x.auth);
            w.u16(static_cast<std::uint16_t>(x.data.size()));
            w.put(x.data.data(), x.data.size());
        }
    }
    rc unmarshal(reader& r) noexcept {
        std::uint64_t mc;
        std::uint32_t n;
        if (!r.u64(mc) || !r.u32(n)) return rc::insufficient;
        if (n > max_stored) return rc::size;
        std::vector<index> v;
        try {
            v.reserve(std::min<std::size_t>(n, r.remaining() / 16)); // an index takes 16 octets at least
            for (std::uint32_t i = 0; i < n; ++i) {
                index x;
                if (rc e = vtpm::unmarshal(r, x.pub); !e.ok()) return e;
                if (rc e = vtpm::unmarshal(r, x.auth); !e.ok()) return e;
                std::uint16_t s;
                if (!r.u16(s)) return rc::insufficient;
                if (s != x.pub.data_size) return rc::size;
                if (!consistent(x.pub)) return rc::value;
                byte_view d;
                if (!r.take(s, d)) return rc::insufficient;
                x.data.assign(d.begin(), d.end());
                if (!v.empty() && v.back().handle() >= x.handle()) return rc::value; // ordered, unique
                v.push_back(std::move(x));
            }
        } catch (...) {
            return rc::memory;
        }
        max_counter = mc;
        indices = std::move(v);
        return rc::success;
    }
};

/// TPM2_Startup on the indices.
///  - TPM Reset and TPM Restart (Part 2 §13.4): READLOCKED is cleared; WRITELOCKED too unless
///    WRITEDEFINE is SET and the index was written; CLEAR_STCLEAR clears WRITTEN.
///  - TPM Reset: an ORDERLY index other than a counter loses its data (WRITTEN CLEAR, Part 1
///    §34.2.6): its contents are kept only across Shutdown(STATE).
///  - after a shutdown that was not orderly, an ORDERLY counter is ORed with MAX_ORDERLY_COUNT
///    (Part 3 §31.2), so it never reports a value below one it may have reported.
/// TPM Resume changes nothing else.
template <class Crypto>
void startup(Crypto& c, store& s, bool resume, bool reset, bool orderly_shutdown, std::uint32_t max_orderly_count) {
    for (auto& x : s.indices) {
        const auto before = x.attrs();
        if (!resume) {
            x.clear(nv_attr::readlocked);
            if (!(x.has(nv_attr::writedefine) && x.has(nv_attr::written))) x.clear(nv_attr::writelocked);
            if (x.has(nv_attr::clear_stclear)) x.clear(nv_attr::written);
        }
        if (x.has(nv_attr::orderly)) {
            if (x.type() != nt::counter && reset) x.clear(nv_attr::written);
            if (x.type() == nt::counter && !orderly_shutdown && x.has(nv_attr::written)) {
                const auto v = x.u64() | max_orderly_count;
                x.set_u64(v);
                s.max_counter = std::max(s.max_counter, v);
            }
        }
        if (x.attrs() != before) refresh_name(c, x);
    }
}

} // namespace vtpm::nv
