// Handlers: placeholder until written.
#pragma once
#include "vtpm/engine/engine.hpp"
