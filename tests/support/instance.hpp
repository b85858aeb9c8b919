// The engine instances the unit tests share. Test files include this header, and
// tests/support/instance.cpp instantiates them once: the engine is compiled once for the
// test program instead of once per test file.
#pragma once
#include <vtpm/platforms/botan_file.hpp>
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
