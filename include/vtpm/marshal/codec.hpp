// Generic marshalling of TPM structures (Part 2 §4-§15 wire forms).
//
// unmarshal(reader, T&) / marshal(writer, const T&) handle:
//  - unsigned integers (big-endian);
//  - types with their own `unmarshal(reader&)` / `marshal(writer&) const` members
//    (the building blocks in types/base.hpp: TPM2B, TPML, TPMI, TPMA, TPMU);
//  - structures reflected with BOOST_HANA_DEFINE_STRUCT, field by field. A TPMU field is
//    selected by a sibling: by default the field before it, or the field named by
//    `T::selector_index(field)` when the structure defines it.
// Errors are returned without a parameter number; the command layer adds it.
#pragma once
#include <boost/hana/accessors.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/second.hpp>
#include <array>
#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "vtpm/core/rc.hpp"
#include "vtpm/marshal/reader.hpp"
#include "vtpm/marshal/writer.hpp"

namespace vtpm {

namespace detail {
template <class T>
concept self_codec = requires(T& t, const T& ct, reader& r, writer& w) {
    { t.unmarshal(r) } -> std::same_as<rc>;
    ct.marshal(w);
};
template <class T>
concept selected_codec = requires(T& t, const T& ct, reader& r, writer& w, std::uint32_t s) {
    { t.unmarshal(r, s) } -> std::same_as<rc>;
    ct.marshal(w, s);
    typename T::is_tpmu;
};
template <class T>
concept reflected = boost::hana::Struct<T>::value;

template <class T>
[[nodiscard]] constexpr std::uint32_t as_selector(const T& v) noexcept {
    if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) return static_cast<std::uint32_t>(v);
    else return static_cast<std::uint32_t>(v.value);
}

template <class T>
constexpr std::size_t selector_of(std::size_t field) {
    if constexpr (requires { T::selector_index(field); }) return T::selector_index(field);
    else return field - 1;
}

template <class T>
constexpr std::size_t field_count = decltype(boost::hana::length(boost::hana::accessors<T>()))::value;

template <std::size_t I, class T>
constexpr decltype(auto) field(T& v) {
    return boost::hana::second(boost::hana::at_c<I>(boost::hana::accessors<std::remove_const_t<T>>()))(v);
}
} // namespace detail

template <class T>
[[nodiscard]] rc unmarshal(reader& r, T& v) noexcept;
template <class T>
void marshal(writer& w, const T& v) noexcept;

namespace detail {
template <class T, std::size_t I>
rc unmarshal_field(reader& r, T& v) noexcept {
    auto& f = field<I>(v);
    using F = std::remove_cvref_t<decltype(f)>;
    if constexpr (selected_codec<F>) {
        static_assert(selector_of<T>(I) < I, "a TPMU must follow its selector");
        return f.unmarshal(r, as_selector(field<selector_of<T>(I)>(v)));
    } else {
        return vtpm::unmarshal(r, f);
    }
}
template <class T, std::size_t I>
void marshal_field(writer& w, const T& v) noexcept {
    const auto& f = field<I>(v);
    using F = std::remove_cvref_t<decltype(f)>;
    if constexpr (selected_codec<F>) f.marshal(w, as_selector(field<selector_of<T>(I)>(v)));
    else vtpm::marshal(w, f);
}
template <class T, std::size_t... I>
rc unmarshal_fields(reader& r, T& v, std::index_sequence<I...>) noexcept {
    rc e = rc::success;
    (void)(((e = unmarshal_field<T, I>(r, v)).ok() && ...));
    return e;
}
template <class T, std::size_t... I>
void marshal_fields(writer& w, const T& v, std::index_sequence<I...>) noexcept {
    (marshal_field<T, I>(w, v), ...);
}
} // namespace detail

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
[[nodiscard]] rc unmarshal(reader& r, T& v) noexcept {
    if constexpr (std::is_same_v<T, bool>) {
        std::uint8_t b;
        if (!r.u8(b)) return rc::insufficient;
        if (b > 1) return rc::value;
        v = b != 0;
        return rc::success;
    } else if constexpr (std::is_enum_v<T>) {
        std::underlying_type_t<T> u;
        rc e = unmarshal(r, u);
        if (e.ok()) v = static_cast<T>(u);
        return e;
    } else if constexpr (std::is_same_v<T, std::int8_t>) {
        std::uint8_t b;
        if (!r.u8(b)) return rc::insufficient;
        v = static_cast<std::int8_t>(b);
        return rc::success;
    } else if constexpr (is_std_array<T>::value) {
        if constexpr (std::is_same_v<typename T::value_type, std::uint8_t>) {
            return r.copy(v.size(), v.data()) ? rc::success : rc::insufficient;
        } else {
            for (auto& x : v) {
                rc e = unmarshal(r, x);
                if (!e.ok()) return e;
            }
            return rc::success;
        }
    } else if constexpr (std::is_same_v<T, std::uint8_t>) {
        return r.u8(v) ? rc::success : rc::insufficient;
    } else if constexpr (std::is_same_v<T, std::uint16_t>) {
        return r.u16(v) ? rc::success : rc::insufficient;
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
        return r.u32(v) ? rc::success : rc::insufficient;
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        return r.u64(v) ? rc::success : rc::insufficient;
    } else if constexpr (detail::self_codec<T>) {
        return v.unmarshal(r);
    } else if constexpr (detail::reflected<T>) {
        return detail::unmarshal_fields(r, v, std::make_index_sequence<detail::field_count<T>>{});
    } else {
        static_assert(sizeof(T) == 0, "no TPM wire form for this type");
    }
}

template <class T>
void marshal(writer& w, const T& v) noexcept {
    if constexpr (std::is_same_v<T, bool>) w.u8(v ? 1 : 0);
    else if constexpr (std::is_enum_v<T>) marshal(w, static_cast<std::underlying_type_t<T>>(v));
    else if constexpr (std::is_same_v<T, std::int8_t>) w.u8(static_cast<std::uint8_t>(v));
    else if constexpr (is_std_array<T>::value) {
        if constexpr (std::is_same_v<typename T::value_type, std::uint8_t>) w.put(v.data(), v.size());
        else for (const auto& x : v) marshal(w, x);
    }
    else if constexpr (std::is_same_v<T, std::uint8_t>) w.u8(v);
    else if constexpr (std::is_same_v<T, std::uint16_t>) w.u16(v);
    else if constexpr (std::is_same_v<T, std::uint32_t>) w.u32(v);
    else if constexpr (std::is_same_v<T, std::uint64_t>) w.u64(v);
    else if constexpr (detail::self_codec<T>) v.marshal(w);
    else if constexpr (detail::reflected<T>)
        detail::marshal_fields(w, v, std::make_index_sequence<detail::field_count<T>>{});
    else static_assert(sizeof(T) == 0, "no TPM wire form for this type");
}

/// Unmarshal a whole buffer into T; trailing bytes are an error (TPM_RC_SIZE).
template <class T>
[[nodiscard]] rc unmarshal_exact(byte_view in, T& v, const unmarshal_context* ctx = nullptr) noexcept {
    reader r{in, ctx};
    rc e = unmarshal(r, v);
    if (!e.ok()) return e;
    return r.empty() ? rc::success : rc::size;
}

} // namespace vtpm
