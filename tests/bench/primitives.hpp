// The raw cryptographic primitive behind a benchmarked command: for each workload line NAME
// that performs one main cryptographic operation, the same operation called directly on
// Botan (same algorithm, key type and data size, no TPM around it), timed in the same run,
// so that the command's overhead (command time minus primitive time) can be reported.
//
// This is benchmark code, not library code: the table lives here (primitives.cpp), and the
// library's crypto interfaces are not used to measure it.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

namespace vtpm::bench {

/// One row of the mapping: the workload line(s) named `command` and what is timed for them.
struct primitive_info {
    std::string_view command;
    std::string_view description;
};

/// The whole mapping, in a stable order.
[[nodiscard]] std::span<const primitive_info> primitive_table();

/// The entry for a workload line name, or nullptr if that command has no single primitive.
[[nodiscard]] const primitive_info* find_primitive(std::string_view command);

/// One call of a prepared primitive (untimed by itself).
using primitive_call = std::function<void()>;

/// The primitive of `command`, ready to call (its keys and operation objects are made here,
/// once per process), or an empty function when no primitive maps to it. Throws
/// std::exception on a Botan failure, as does the call.
[[nodiscard]] primitive_call prepare_primitive(std::string_view command);

/// Median microseconds of `samples` timed calls (after two untimed ones) of the primitive
/// of `command`; nullopt when no primitive maps to it. The number of samples is capped per
/// primitive (prime generation is slow). Throws std::exception on a Botan failure.
[[nodiscard]] std::optional<double> time_primitive(std::string_view command, std::size_t samples);

} // namespace vtpm::bench
