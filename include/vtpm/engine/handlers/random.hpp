// Handlers: Part 3 §16 Random Number Generator.
#pragma once
#include <algorithm>

#include "vtpm/commands/random.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm::cmd {

/// TPM2_GetRandom (Part 3 §16.1): at most sizeof(TPMU_HA) octets per call.
template <class P>
rc handle(engine<P>& e, get_random, command_context&, const get_random::request& in, get_random::response& out) {
    auto n = std::min<std::size_t>(in.bytes_requested, limits::max_digest);
    e.crypto.random(out.random_bytes.resize(n));
    return rc::success;
}

/// TPM2_StirRandom (Part 3 §16.2)
template <class P>
rc handle(engine<P>& e, stir_random, command_context&, const stir_random::request& in, no_params&) {
    e.crypto.stir(in.in_data.view());
    return rc::success;
}

} // namespace vtpm::cmd
