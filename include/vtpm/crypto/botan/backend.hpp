// The Botan 2.19 crypto backend (DESIGN §5): hash, HMAC and the TPM's DRBG.
//
// Performance: each backend instance looks every hash algorithm up by name once, at
// construction. hash_start()/hmac_start() clone that prototype (copy_state); the one-shot
// hash()/hmac() run on the prototype itself (final() leaves it idle again) and allocate nothing.
// Consequently a backend is not thread-safe: use one per TPM instance (a TPM executes one
// command at a time). States returned by hash_start()/hmac_start() are independent objects and
// may outlive the backend.
//
// Errors: construction throws std::runtime_error ("vtpm: ...") if Botan cannot provide
// HMAC(SHA-256) or the system RNG. After that no Botan exception leaves this class:
//   - hash()/hmac()/random()/stir() are noexcept. If Botan throws anyway, or the algorithm is
//     unsupported (a precondition violation), the output is filled with unpredictable bytes
//     and failed() becomes true;
//   - hash_start()/hmac_start() may throw std::bad_alloc; on any other failure (or an
//     unsupported algorithm) they return an invalid state (valid() == false) and set failed();
//   - failed() also reports failures inside states (botan/hash.hpp). It is sticky: the engine
//     is expected to poll it after crypto work and enter failure mode.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "vtpm/crypto/full_backend.hpp"
#include "vtpm/crypto/botan/ecc.hpp"
#include "vtpm/crypto/botan/rsa.hpp"
#include "vtpm/crypto/botan/symmetric.hpp"

#include <botan/hash.h>
#include <botan/mem_ops.h>
#include <botan/hmac_drbg.h>
#include <botan/mac.h>
#include <botan/system_rng.h>

#include "vtpm/core/bytes.hpp"
#include "vtpm/crypto/botan/hash.hpp"
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/crypto/hash_info.hpp"
#include "vtpm/spec/constants.hpp"

namespace vtpm::crypto::botan {

namespace detail {

/// Position of a hash algorithm in all_hash_algs, or -1 (a switch: this is on every call).
[[nodiscard]] constexpr int hash_index(tpm_alg_id a) noexcept {
    switch (a) {
    case alg::sha1: return 0;
    case alg::sha256: return 1;
    case alg::sha384: return 2;
    case alg::sha512: return 3;
    case alg::sm3_256: return 4;
    case alg::sha3_256: return 5;
    case alg::sha3_384: return 6;
    case alg::sha3_512: return 7;
    default: return -1;
    }
}
static_assert([] {
    for (std::size_t i = 0; i < all_hash_algs.size(); ++i)
        if (hash_index(all_hash_algs[i]) != static_cast<int>(i)) return false;
    return true;
}());

} // namespace detail

/// The Botan 2.19 backend: hash, HMAC and DRBG here; symmetric ciphers, RSA and ECC from the
/// providers it derives from (one of each per TPM instance: none of them is thread-safe).
class backend : public symmetric_provider, public rsa_provider, public ecc_provider {
public:
    /// DRBG seeded from the operating system (Botan::system_rng(), i.e. getrandom or
    /// /dev/urandom), and reseeded from it periodically and after fork().
    backend() : protos_(make_prototypes()) {
        try {
            drbg_ = std::make_unique<Botan::HMAC_DRBG>(
                Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"),
                Botan::system_rng());
            drbg_->reseed_from_rng(Botan::system_rng(), drbg_->security_level());
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("vtpm: cannot seed the Botan HMAC_DRBG from the "
                                                 "system RNG: ") + e.what());
        }
    }

    /// Deterministic DRBG (tests, fuzzing, reproducible simulations): the same seed gives the
    /// same random() output and never reseeds from the system. The DRBG is instantiated with
    /// seed || zero padding || [seed.size()]32, at least 32 bytes, so any seed length works
    /// and seeds of different lengths never collide.
    explicit backend(byte_view seed) : protos_(make_prototypes()), deterministic_(true) {
        bytes material(seed.begin(), seed.end());
        material.resize(std::max<std::size_t>(material.size(), 28) + 4, 0);
        store_be32(material.data() + material.size() - 4, static_cast<std::uint32_t>(seed.size()));
        try {
            drbg_ = std::make_unique<Botan::HMAC_DRBG>(
                Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"));
            drbg_->initialize_with(material.data(), material.size());
        } catch (const std::exception& e) {
            Botan::secure_scrub_memory(material.data(), material.size());
            throw std::runtime_error(std::string("vtpm: cannot create the Botan HMAC_DRBG: ") +
                                     e.what());
        }
        Botan::secure_scrub_memory(material.data(), material.size());
    }

    backend(backend&&) noexcept = default;
    backend& operator=(backend&&) noexcept = default;
    backend(const backend&) = delete; // copying would duplicate the DRBG state
    backend& operator=(const backend&) = delete;
    ~backend() = default;

    // --- hash_provider --------------------------------------------------------------------

    [[nodiscard]] bool hash_supported(tpm_alg_id a) const noexcept { return proto(a) != nullptr; }

    [[nodiscard]] hash_state hash_start(tpm_alg_id a) {
        Botan::HashFunction* p = proto(a);
        if (!p) {
            failed_ = true;
            return hash_state{};
        }
        try {
            return hash_state{p->copy_state()};
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            failed_ = true;
            return hash_state{};
        }
    }

    /// One-shot digest into out (precondition: out.size() >= digest_size(a); a shorter out
    /// receives a truncated digest).
    void hash(tpm_alg_id a, byte_view data, byte_span out) noexcept {
        Botan::HashFunction* p = proto(a);
        if (!p) return fail(out);
        try {
            p->update(data.data(), data.size());
            final_into(*p, out);
        } catch (...) {
            idle(*p);
            fail(out);
        }
    }

    // --- hmac_provider --------------------------------------------------------------------

    [[nodiscard]] hmac_state hmac_start(tpm_alg_id a, byte_view key) {
        Botan::HashFunction* p = proto(a);
        if (!p) {
            failed_ = true;
            return hmac_state{};
        }
        try {
            const detail::hmac_pads pads(*p, block_size(a), key);
            hash_state inner{p->copy_state()}, outer{p->copy_state()};
            inner.update(byte_view{pads.ipad.data(), pads.block});
            outer.update(byte_view{pads.opad.data(), pads.block});
            return hmac_state{std::move(inner), std::move(outer)};
        } catch (const std::bad_alloc&) {
            idle(*p);
            throw;
        } catch (...) {
            idle(*p);
            failed_ = true;
            return hmac_state{};
        }
    }

    /// One-shot HMAC (RFC 2104) into out; same size rule as hash().
    void hmac(tpm_alg_id a, byte_view key, byte_view data, byte_span out) noexcept {
        Botan::HashFunction* p = proto(a);
        if (!p) return fail(out);
        std::array<std::uint8_t, max_digest_size> inner;
        try {
            const detail::hmac_pads pads(*p, block_size(a), key);
            const std::size_t d = p->output_length();
            p->update(pads.ipad.data(), pads.block);
            p->update(data.data(), data.size());
            p->final(inner.data());
            p->update(pads.opad.data(), pads.block);
            p->update(inner.data(), d);
            final_into(*p, out);
        } catch (...) {
            idle(*p);
            fail(out);
        }
        Botan::secure_scrub_memory(inner.data(), inner.size());
    }

    // --- rng_provider ---------------------------------------------------------------------

    /// Random bytes from the HMAC_DRBG (SP800-90A, HMAC-SHA-256). Should the DRBG refuse
    /// (e.g. a deterministic instance used after fork()), out is filled from the system RNG
    /// instead and failed() becomes true.
    ///
    /// A system-seeded instance serves small requests from a pool that one DRBG call fills
    /// (the per-call cost of HMAC_DRBG dominates TPM2_GetRandom).
    /// A seeded (deterministic) instance calls the DRBG for every request, so its output is
    /// exactly SP800-90A's for the sequence of requests.
    void random(byte_span out) noexcept {
        if (!drbg_) return fail(out); // moved-from
        try {
            if (deterministic_ || out.size() > pool_.size() / 4) {
                drbg_->randomize(out.data(), out.size());
                return;
            }
            if (pool_left_ < out.size()) {
                drbg_->randomize(pool_.data(), pool_.size());
                pool_left_ = pool_.size();
            }
            auto* src = pool_.data() + (pool_.size() - pool_left_);
            std::memcpy(out.data(), src, out.size());
            Botan::secure_scrub_memory(src, out.size());
            pool_left_ -= out.size();
        } catch (...) {
            fail(out);
        }
    }

    /// TPM2_StirRandom (Part 3 §16.2): mixes `entropy` into the DRBG state as additional input
    /// (SP800-90A Update). Deterministic for a seeded instance.
    void stir(byte_view entropy) noexcept {
        if (!drbg_) {
            failed_ = true; // moved-from
            return;
        }
        try {
            // Bytes already in the pool were drawn before and stay unpredictable; the entropy
            // goes into the DRBG state for everything drawn after them.
            drbg_->add_entropy(entropy.data(), entropy.size());
        } catch (...) {
            failed_ = true;
        }
    }

    /// True once a call on this instance failed (see the header comment), or a state anywhere
    /// in the process did (state_failure_seen()).
    [[nodiscard]] bool failed() const noexcept {
        return failed_ || state_failure_seen() || symmetric_provider::failed() || rsa_provider::failed();
    }

private:
    using hash_ptr = std::unique_ptr<Botan::HashFunction>;
    using prototypes = std::array<hash_ptr, all_hash_algs.size()>;

    /// An algorithm Botan does not offer simply stays unsupported.
    static prototypes make_prototypes() {
        prototypes p;
        for (std::size_t i = 0; i < all_hash_algs.size(); ++i) {
            try {
                p[i] = Botan::HashFunction::create(hash_name(all_hash_algs[i]));
            } catch (const std::bad_alloc&) {
                throw;
            } catch (...) {
                p[i] = nullptr;
            }
        }
        return p;
    }

    [[nodiscard]] Botan::HashFunction* proto(tpm_alg_id a) const noexcept {
        const int i = detail::hash_index(a);
        return i < 0 ? nullptr : protos_[static_cast<std::size_t>(i)].get();
    }

    static void final_into(Botan::HashFunction& h, byte_span out) {
        const std::size_t d = h.output_length();
        if (out.size() >= d) {
            h.final(out.data());
        } else {
            std::array<std::uint8_t, max_digest_size> t;
            h.final(t.data());
            std::copy_n(t.data(), out.size(), out.data());
            Botan::secure_scrub_memory(t.data(), t.size());
        }
    }

    /// Return a prototype to the empty state after an exception interrupted it.
    static void idle(Botan::HashFunction& h) noexcept {
        try {
            h.clear();
        } catch (...) {
        }
    }

    void fail(byte_span out) noexcept {
        failed_ = true;
        detail::poison(out);
    }

    prototypes protos_;
    std::unique_ptr<Botan::HMAC_DRBG> drbg_;
    Botan::secure_vector<std::uint8_t> pool_ = Botan::secure_vector<std::uint8_t>(512);
    std::size_t pool_left_ = 0;
    bool deterministic_ = false;
    bool failed_ = false;
};

static_assert(vtpm::crypto::backend<backend>);
static_assert(vtpm::crypto::full_backend<backend>);

} // namespace vtpm::crypto::botan
