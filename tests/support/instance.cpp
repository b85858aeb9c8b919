#include <support/instance.hpp>

template class vtpm::tpm<vtpm::testing::deterministic_platform<>>;
template class vtpm::tpm<vtpm::platforms::botan_file>;
template class vtpm::tpm<vtpm::testing::deterministic_platform<vtpm_test::four_curves>>;
