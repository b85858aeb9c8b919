// Tests for include/vtpm/crypto/concepts.hpp: what satisfies the concepts and what does not.
#include <catch2/catch.hpp>

#include <cstdint>
#include <type_traits>

#include <vtpm/crypto/concepts.hpp>

using namespace vtpm;

namespace {

// A minimal, library-free hash state and backend: the shape a test double or a second
// backend needs.
struct fake_state {
    void update(byte_view) {}
    void finish(byte_span out) {
        for (auto& b : out) b = 0;
    }
};

struct fake_backend {
    bool hash_supported(tpm_alg_id) const { return true; }
    fake_state hash_start(tpm_alg_id) { return {}; }
    void hash(tpm_alg_id, byte_view, byte_span) {}
    fake_state hmac_start(tpm_alg_id, byte_view) { return {}; }
    void hmac(tpm_alg_id, byte_view, byte_view, byte_span) {}
    void random(byte_span) {}
    void stir(byte_view) {}
};

struct move_only_state {
    move_only_state() = default;
    move_only_state(move_only_state&&) = default;
    move_only_state& operator=(move_only_state&&) = default;
    void update(byte_view) {}
    void finish(byte_span) {}
};

struct finish_returns_int {
    void update(byte_view) {}
    int finish(byte_span) { return 0; }
};

struct no_stir {
    bool hash_supported(tpm_alg_id) const { return true; }
    fake_state hash_start(tpm_alg_id) { return {}; }
    void hash(tpm_alg_id, byte_view, byte_span) {}
    fake_state hmac_start(tpm_alg_id, byte_view) { return {}; }
    void hmac(tpm_alg_id, byte_view, byte_view, byte_span) {}
    void random(byte_span) {}
};

struct bad_hash_start { // returns a move-only state
    bool hash_supported(tpm_alg_id) const { return true; }
    move_only_state hash_start(tpm_alg_id) { return {}; }
    void hash(tpm_alg_id, byte_view, byte_span) {}
};

struct non_const_supported {
    bool hash_supported(tpm_alg_id) { return true; }
    fake_state hash_start(tpm_alg_id) { return {}; }
    void hash(tpm_alg_id, byte_view, byte_span) {}
};

} // namespace

static_assert(crypto::hash_state<fake_state>);
static_assert(!crypto::hash_state<move_only_state>); // sequence objects are duplicated
static_assert(!crypto::hash_state<finish_returns_int>);
static_assert(crypto::backend<fake_backend>);
static_assert(crypto::hash_provider<no_stir> && crypto::hmac_provider<no_stir>);
static_assert(!crypto::rng_provider<no_stir> && !crypto::backend<no_stir>);
static_assert(!crypto::hash_provider<bad_hash_start>);
static_assert(!crypto::hash_provider<non_const_supported>);
static_assert(std::is_same_v<crypto::hash_state_t<fake_backend>, fake_state>);
static_assert(std::is_same_v<crypto::hmac_state_t<fake_backend>, fake_state>);

TEST_CASE("concepts: a library-free test double is a backend", "[crypto][concepts]") {
    fake_backend c;
    auto s = c.hash_start(alg::sha256);
    auto t = s; // copyable
    std::uint8_t out[4] = {1, 2, 3, 4};
    t.finish(out);
    CHECK(out[0] == 0);
    CHECK(out[3] == 0);
}
