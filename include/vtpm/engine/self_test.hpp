// Known-answer self tests of the algorithms a profile enables (Part 1 §12 "Self-Test").
#pragma once
#include <array>
#include <string_view>

#include "vtpm/core/bytes.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm {

namespace detail {
struct hash_kat {
    tpm_alg_id alg;
    std::string_view digest_hex; // of "abc" (FIPS 180-4, FIPS 202, GM/T 0004-2012)
};
inline constexpr std::array<hash_kat, 8> hash_kats{{
    {alg::sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {alg::sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {alg::sha384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
    {alg::sha512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {alg::sm3_256, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
    {alg::sha3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
    {alg::sha3_384, "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25"},
    {alg::sha3_512, "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"},
}};
} // namespace detail

/// Run every known-answer test of the enabled algorithms; false on any mismatch.
template <class P>
bool self_test_all(engine<P>& e) {
    if (e.self_tested) return true;
    static constexpr std::uint8_t abc[] = {'a', 'b', 'c'};
    for (const auto& k : detail::hash_kats) {
        if (!P::profile.has_alg(k.alg)) continue;
        if (!e.crypto.hash_supported(k.alg)) return false;
        std::array<std::uint8_t, 64> out{};
        e.crypto.hash(k.alg, abc, out);
        auto want = from_hex(k.digest_hex);
        if (!ct_equal(byte_view{out.data(), want.size()}, want)) return false;
    }
    e.self_tested = true;
    return true;
}

} // namespace vtpm
