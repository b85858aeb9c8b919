// Handlers: Part 3 §29 Clocks and Timers.
#pragma once
#include <cstdint>

#include "vtpm/commands/clock.hpp"
#include "vtpm/engine/engine.hpp"

namespace vtpm {

namespace detail {

/// Largest Clock that TPM2_ClockSet accepts (Part 3 §29.2.1).
inline constexpr std::uint64_t clock_set_max = 0xFFFF000000000000ull;

/// Size of one TPM2_ClockRateAdjust step, in the units of engine::nv.clock_adjust (0.1 %
/// of the nominal rate), for |TPM_CLOCK_ADJUST| = 1 (fine), 2 (medium), 3 (coarse). Part 2
/// §6.7 recommends about 1 % coarse, 0.1 % medium and the smallest possible step for fine;
/// 0.1 % is the smallest step of this Clock.
inline constexpr std::int8_t clock_adjust_step[] = {0, 1, 1, 10};

/// How far the accumulated adjustments may take the rate from nominal (±10 %, in 0.1 %).
/// A request beyond it is TPM_RC_VALUE (Part 3 §29.3.1).
inline constexpr int clock_adjust_limit = 100;

} // namespace detail

namespace cmd {

/// TPM2_ReadClock (Part 3 §29.1)
template <class P>
rc handle(engine<P>& e, read_clock, command_context&, const no_params&, read_clock::response& out) {
    out.current_time.time = e.time();
    out.current_time.clock_info = e.clock_info();
    return rc::success;
}

/// TPM2_ClockSet (Part 3 §29.2): Clock only moves forward, and never past
/// FFFF000000000000 (TPM_RC_VALUE for newTime; no change to Clock).
template <class P>
rc handle(engine<P>& e, clock_set, command_context&, const clock_set::request& in, no_params&) {
    if (in.new_time > detail::clock_set_max || in.new_time < e.clock()) return rc::value.for_param(1);
    // The new Clock is written to NV at once.
    if (!e.nv_available) return rc::nv_unavailable;
    e.set_clock(in.new_time);
    return rc::success;
}

/// TPM2_ClockRateAdjust (Part 3 §29.3): the adjustment is relative to the current rate, so
/// steps accumulate; Clock stays continuous across the change of rate.
template <class P>
rc handle(engine<P>& e, clock_rate_adjust, command_context&, const clock_rate_adjust::request& in, no_params&) {
    const auto adjust = static_cast<std::int8_t>(in.rate_adjust); // TPM_CLOCK_ADJUST is an INT8
    if (adjust < -3 || adjust > 3) return rc::value.for_param(1); // Part 2 §6.7 Table 19
    const int step = detail::clock_adjust_step[adjust < 0 ? -adjust : adjust];
    const int rate = e.nv.clock_adjust + (adjust < 0 ? -step : step);
    if (rate < -detail::clock_adjust_limit || rate > detail::clock_adjust_limit) return rc::value.for_param(1);
    // Rebase: Clock so far was counted at the old rate; from now on at the new one.
    // Clock is read before the tick, so it can only lag, never step back.
    e.clock_base = e.clock();
    e.ticks_base = e.now_ms();
    e.nv.clock_adjust = static_cast<std::int8_t>(rate);
    return rc::success;
}

} // namespace cmd
} // namespace vtpm
