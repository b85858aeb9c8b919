// Every command handler. Include before instantiating tpm<Platform>.
#pragma once
#include "vtpm/engine/handlers/asymmetric.hpp"
#include "vtpm/engine/handlers/capability.hpp"
#include "vtpm/engine/handlers/clock.hpp"
#include "vtpm/engine/handlers/context.hpp"
#include "vtpm/engine/handlers/hash.hpp"
#include "vtpm/engine/handlers/object.hpp"
#include "vtpm/engine/handlers/pcr.hpp"
#include "vtpm/engine/handlers/random.hpp"
#include "vtpm/engine/handlers/session.hpp"
#include "vtpm/engine/handlers/signing.hpp"
#include "vtpm/engine/handlers/startup.hpp"
#include "vtpm/engine/handlers/symmetric_cmds.hpp"
