// Hash and HMAC states on Botan 2.19 HashFunction objects (the states behind TPM hash and HMAC
// sequences, Part 3 §17). HMAC is built here on two prepared hash states (RFC 2104,
// Part 1 §11.4.3) rather than on Botan's MessageAuthenticationCode, because a MAC object
// cannot be duplicated (no copy_state) and sequence objects must be copyable.
//
// Failures: Botan's hash update/final for the supported algorithms do not throw; copy_state()
// only allocates. Should anything else be thrown anyway, it is caught here: the state becomes
// invalid (valid() == false), finish() then writes unpredictable bytes (so a computed HMAC can
// never match an expected one) and vtpm::crypto::botan::state_failure_seen() turns true for the
// rest of the process (backend::failed() includes it); the engine checks that and enters
// failure mode (reported by TPM2_GetTestResult, Part 3 §10.4).
// Copying a state may throw std::bad_alloc.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include <botan/hash.h>
#include <botan/mem_ops.h>
#include <botan/system_rng.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto::botan {

namespace detail {

inline std::atomic<bool> state_failure{false};

/// Record an exception caught inside a hash/HMAC state (sticky for the process).
inline void note_state_failure() noexcept { state_failure.store(true, std::memory_order_relaxed); }

// Secrets on the stack are wiped with Botan::secure_scrub_memory (explicit_bzero), which is
// much faster than a volatile byte loop on these hot paths.

/// Fill a result that could not be computed with bytes nobody can predict; zeros only if
/// even the system RNG fails.
inline void poison(byte_span out) noexcept {
    try {
        Botan::system_rng().randomize(out.data(), out.size());
    } catch (...) {
        Botan::secure_scrub_memory(out.data(), out.size());
    }
}

} // namespace detail

/// True once Botan threw inside a hash/HMAC state anywhere in this process (see above).
[[nodiscard]] inline bool state_failure_seen() noexcept {
    return detail::state_failure.load(std::memory_order_relaxed);
}

/// Botan 2.19's name for a TPM hash algorithm, or nullptr. (SHA-3 is "SHA-3(256)" in 2.19;
/// "SHA3-256" is not recognised.)
[[nodiscard]] constexpr const char* hash_name(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::sha1: return "SHA-1";
    case alg::sha256: return "SHA-256";
    case alg::sha384: return "SHA-384";
    case alg::sha512: return "SHA-512";
    case alg::sm3_256: return "SM3";
    case alg::sha3_256: return "SHA-3(256)";
    case alg::sha3_384: return "SHA-3(384)";
    case alg::sha3_512: return "SHA-3(512)";
    default: return nullptr;
    }
}

/// A running hash. Satisfies vtpm::crypto::hash_state.
class hash_state {
public:
    /// An invalid state (what a failed hash_start returns; the backend records that failure).
    hash_state() noexcept = default;
    explicit hash_state(std::unique_ptr<Botan::HashFunction> h) noexcept : h_(std::move(h)) {}

    hash_state(const hash_state& o) : h_(clone(o.h_)) {}
    hash_state(hash_state&&) noexcept = default;
    hash_state& operator=(const hash_state& o) {
        if (this != &o) h_ = clone(o.h_);
        return *this;
    }
    hash_state& operator=(hash_state&&) noexcept = default;
    ~hash_state() = default;

    [[nodiscard]] bool valid() const noexcept { return h_ != nullptr; }
    /// Digest size in bytes (0 for an invalid state).
    [[nodiscard]] std::size_t size() const noexcept { return h_ ? h_->output_length() : 0; }

    void update(byte_view in) noexcept {
        if (!h_) return;
        try {
            h_->update(in.data(), in.size());
        } catch (...) {
            h_.reset();
            detail::note_state_failure();
        }
    }

    /// Writes the digest to the first size() bytes of out (precondition: out is at least that
    /// long; a shorter out receives a truncated digest). The state is then spent.
    void finish(byte_span out) noexcept {
        if (!h_) {
            detail::poison(out);
            return;
        }
        try {
            const std::size_t d = h_->output_length();
            if (out.size() >= d) {
                h_->final(out.data());
            } else {
                std::array<std::uint8_t, max_digest_size> t;
                h_->final(t.data());
                std::copy_n(t.data(), out.size(), out.data());
                Botan::secure_scrub_memory(t.data(), t.size());
            }
        } catch (...) {
            h_.reset();
            detail::note_state_failure();
            detail::poison(out);
        }
    }

private:
    using ptr = std::unique_ptr<Botan::HashFunction>;
    static ptr clone(const ptr& h) {
        if (!h) return nullptr;
        try {
            return h->copy_state();
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            detail::note_state_failure();
            return nullptr;
        }
    }

    std::unique_ptr<Botan::HashFunction> h_;
};

/// A running HMAC: an inner hash already fed (K0 xor ipad) and an outer one fed
/// (K0 xor opad), RFC 2104 §2. Satisfies vtpm::crypto::hash_state.
class hmac_state {
public:
    hmac_state() noexcept = default;
    hmac_state(hash_state inner, hash_state outer) noexcept
        : inner_(std::move(inner)), outer_(std::move(outer)) {}

    [[nodiscard]] bool valid() const noexcept { return inner_.valid() && outer_.valid(); }
    [[nodiscard]] std::size_t size() const noexcept { return outer_.size(); }

    void update(byte_view in) noexcept { inner_.update(in); }

    /// HMAC = H((K0 xor opad) || H((K0 xor ipad) || text)). Same rules as hash_state::finish.
    void finish(byte_span out) noexcept {
        if (!valid()) {
            detail::poison(out);
            return;
        }
        std::array<std::uint8_t, max_digest_size> t;
        const std::size_t d = inner_.size();
        inner_.finish(byte_span{t.data(), d});
        outer_.update(byte_view{t.data(), d});
        outer_.finish(out);
        Botan::secure_scrub_memory(t.data(), t.size());
    }

private:
    hash_state inner_, outer_;
};

static_assert(vtpm::crypto::hash_state<hash_state>);
static_assert(vtpm::crypto::hash_state<hmac_state>);

namespace detail {

/// HMAC key pads (RFC 2104 §2): K0 = key, or H(key) if the key is longer than the block,
/// zero-padded to the block size B; ipad = K0 xor 0x36.., opad = K0 xor 0x5c...
/// `scratch` must be an idle hash of the algorithm; it is idle again afterwards.
struct hmac_pads {
    std::array<std::uint8_t, max_block_size> ipad{}, opad{};
    std::size_t block = 0;

    hmac_pads(Botan::HashFunction& scratch, std::size_t block_bytes, byte_view key)
        : block(block_bytes) {
        std::array<std::uint8_t, max_block_size> k0{};
        if (key.size() > block) {
            scratch.update(key.data(), key.size());
            scratch.final(k0.data());
        } else {
            std::copy(key.begin(), key.end(), k0.begin());
        }
        for (std::size_t i = 0; i < block; ++i) {
            ipad[i] = static_cast<std::uint8_t>(k0[i] ^ 0x36);
            opad[i] = static_cast<std::uint8_t>(k0[i] ^ 0x5c);
        }
        Botan::secure_scrub_memory(k0.data(), block);
    }
    hmac_pads(const hmac_pads&) = delete;
    hmac_pads& operator=(const hmac_pads&) = delete;
    ~hmac_pads() {
        Botan::secure_scrub_memory(ipad.data(), block);
        Botan::secure_scrub_memory(opad.data(), block);
    }
};

} // namespace detail

} // namespace vtpm::crypto::botan
