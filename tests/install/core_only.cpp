// The core target vtpm::vtpm builds without Botan: a TPM over a toy crypto backend (not
// cryptographically meaningful: it only shows the concepts are the whole interface).
#include <vtpm/vtpm.hpp>

#include <array>
#include <cstring>

namespace {
struct toy_state {
    std::uint64_t h = 1469598103934665603ULL;
    void update(vtpm::byte_view in) {
        for (auto c : in) h = (h ^ c) * 1099511628211ULL;
    }
    void finish(vtpm::byte_span out) {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(h >> (8 * (i % 8)));
    }
};
struct toy_crypto {
    std::uint64_t ctr = 0;
    bool hash_supported(vtpm::tpm_alg_id a) const { return vtpm::hash_digest_size(a) != 0; }
    toy_state hash_start(vtpm::tpm_alg_id) { return {}; }
    void hash(vtpm::tpm_alg_id a, vtpm::byte_view in, vtpm::byte_span out) {
        toy_state s;
        s.update(in);
        s.finish(out.first(vtpm::hash_digest_size(a)));
    }
    toy_state hmac_start(vtpm::tpm_alg_id, vtpm::byte_view key) {
        toy_state s;
        s.update(key);
        return s;
    }
    void hmac(vtpm::tpm_alg_id a, vtpm::byte_view key, vtpm::byte_view in, vtpm::byte_span out) {
        auto s = hmac_start(a, key);
        s.update(in);
        s.finish(out.first(vtpm::hash_digest_size(a)));
    }
    void random(vtpm::byte_span out) {
        for (auto& b : out) b = static_cast<std::uint8_t>(++ctr * 0x9E3779B97F4A7C15ULL >> 56);
    }
    void stir(vtpm::byte_view) {}
};
static_assert(vtpm::crypto::backend<toy_crypto>);

inline constexpr vtpm::config::profile toy_profile = [] {
    auto p = vtpm::config::profiles::full;
    // The toy hash cannot pass the known-answer self tests: keep only GetRandom-style commands.
    for (auto a : {vtpm::alg::sha1, vtpm::alg::sha256, vtpm::alg::sha384, vtpm::alg::sha512, vtpm::alg::sm3_256,
                   vtpm::alg::sha3_256, vtpm::alg::sha3_384, vtpm::alg::sha3_512})
        p.disable_alg(a);
    p.default_pcr_banks = {};
    return p;
}();

struct toy_platform {
    using crypto = toy_crypto;
    using storage = vtpm::storage::memory;
    static constexpr const vtpm::config::profile& profile = toy_profile;
};
} // namespace

int vtpm_core_only_check() {
    vtpm::tpm<toy_platform> t;
    t.manufacture();
    t.power_on();
    std::array<std::uint8_t, 4096> rsp{};
    const std::uint8_t startup[] = {0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0};
    return static_cast<int>(t.execute(startup, rsp));
}
