// vtpm: a virtual TPM 2.0. Umbrella header: the core and every command handler; crypto
// backends that need external libraries are included separately (vtpm/platforms/*.hpp).
#pragma once
#include "vtpm/commands/table.hpp"
#include "vtpm/config/profile.hpp"
#include "vtpm/config/profiles/default.hpp"
#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/core/result.hpp"
#include "vtpm/engine/handlers/all.hpp"
#include "vtpm/engine/tpm.hpp"
#include "vtpm/storage/memory.hpp"
