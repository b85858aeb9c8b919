// The engine of the replay executables, compiled once for all of them (see driver.hpp).
#include "driver.hpp"

template class vtpm::tpm<vtpm::testing::deterministic_platform<>>;
