// The engine instances the unit tests share. Test files include this header, and
// tests/support/instance.cpp instantiates them once: the engine is compiled once for the
// test program instead of once per test file.
#pragma once
#include <catch2/catch.hpp>

#include <cstdint>

#include <vtpm/platforms/botan_file.hpp>
#include <vtpm/testing/command.hpp>
#include <vtpm/testing/platform.hpp>
#include <vtpm/vtpm.hpp>

namespace vtpm_test {
/// The default profile with four curves only (P-256, P-384, BN P-256, SM2 P-256): for the tests
/// of curves a profile lacks.
inline constexpr vtpm::config::profile four_curves = [] {
    auto p = vtpm::config::profiles::full;
    p.curves = {vtpm::ecc_curve::nist_p256, vtpm::ecc_curve::nist_p384, vtpm::ecc_curve::bn_p256,
                vtpm::ecc_curve::sm2_p256};
    return p;
}();
} // namespace vtpm_test

extern template class vtpm::tpm<vtpm::testing::deterministic_platform<>>;
extern template class vtpm::tpm<vtpm::testing::deterministic_platform<vtpm_test::four_curves>>;
extern template class vtpm::tpm<vtpm::platforms::botan_file>;

namespace vtpm_test {

/// A manufactured TPM after TPM2_Startup(CLEAR) sent at `locality`, its crypto backend seeded
/// with `tag` (vtpm::testing::seeded_crypto).
template <class T>
T started_tpm(std::uint8_t tag = 0, std::uint8_t locality = 0) {
    T t{vtpm::testing::seeded_crypto(tag)};
    t.manufacture();
    t.power_on();
    REQUIRE(vtpm::testing::run(t, vtpm::testing::startup_command(), locality).rc == 0);
    return t;
}

} // namespace vtpm_test
