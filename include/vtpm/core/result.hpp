// result<T>: a value or a TPM_RC, shaped like std::expected.
#pragma once
#include <utility>
#include <variant>

#include "vtpm/core/rc.hpp"

namespace vtpm {

template <class T>
class [[nodiscard]] result {
public:
    result(T v) : s_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit by design
    result(rc e) : s_(std::in_place_index<1>, e) {}             // NOLINT

    [[nodiscard]] bool has_value() const noexcept { return s_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] T& value() & { return std::get<0>(s_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(s_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(s_)); }
    T& operator*() & { return std::get<0>(s_); }
    const T& operator*() const& { return std::get<0>(s_); }
    T* operator->() { return &std::get<0>(s_); }
    const T* operator->() const { return &std::get<0>(s_); }
    /// The error; rc::success when a value is held.
    [[nodiscard]] rc error() const noexcept { return has_value() ? rc::success : std::get<1>(s_); }

private:
    std::variant<T, rc> s_;
};

} // namespace vtpm
