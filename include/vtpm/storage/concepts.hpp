// Storage backends (DESIGN §5): blobs keyed by name, replaced atomically.
#pragma once
#include <concepts>
#include <optional>
#include <string_view>

#include "vtpm/core/bytes.hpp"

namespace vtpm::storage {

/// A store of named blobs. put() replaces a blob as a whole (readers see the old or the new
/// contents, never a mix); get() returns nullopt for a missing name; remove() of a missing
/// name is not an error. put/remove return false (and change nothing) on failure.
template <class S>
concept backend = requires(S& s, const S& cs, std::string_view name, byte_view data) {
    { cs.get(name) } -> std::same_as<std::optional<bytes>>;
    { s.put(name, data) } -> std::same_as<bool>;
    { s.remove(name) } -> std::same_as<bool>;
};

} // namespace vtpm::storage
