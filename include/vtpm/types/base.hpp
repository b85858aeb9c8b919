// Generic building blocks of Part 2 structures: TPM2B, TPML, TPMI, TPMA, TPMU.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <variant>

#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/marshal/codec.hpp"

namespace vtpm {

/// TPM2B with a byte buffer of at most N octets (Part 2 §10.4). A larger size is TPM_RC_SIZE.
template <std::size_t N>
struct tpm2b {
    static constexpr std::size_t capacity = N;
    std::uint16_t size = 0;
    std::array<std::uint8_t, N> buffer;

    tpm2b() noexcept : buffer{} {}
    explicit tpm2b(byte_view b) noexcept : buffer{} { (void)assign(b); }

    [[nodiscard]] byte_view view() const noexcept { return {buffer.data(), size}; }
    [[nodiscard]] byte_span span() noexcept { return {buffer.data(), size}; }
    [[nodiscard]] bool empty() const noexcept { return size == 0; }
    /// Copy b in; false (and unchanged) if it does not fit.
    [[nodiscard]] bool assign(byte_view b) noexcept {
        if (b.size() > N) return false;
        size = static_cast<std::uint16_t>(b.size());
        if (!b.empty()) std::memcpy(buffer.data(), b.data(), b.size());
        return true;
    }
    /// Set the size (<= N) and return the writable bytes.
    byte_span resize(std::size_t n) noexcept {
        size = static_cast<std::uint16_t>(std::min(n, N));
        return span();
    }
    void clear() noexcept {
        secure_zero(buffer.data(), size);
        size = 0;
    }
    rc unmarshal(reader& r) noexcept {
        std::uint16_t s;
        if (!r.u16(s)) return rc::insufficient;
        if (s > N) return rc::size;
        if (!r.copy(s, buffer.data())) return rc::insufficient;
        size = s;
        return rc::success;
    }
    void marshal(writer& w) const noexcept {
        w.u16(size);
        w.put(buffer.data(), size);
    }
    friend bool operator==(const tpm2b& a, const tpm2b& b) noexcept {
        return a.size == b.size && std::equal(a.buffer.begin(), a.buffer.begin() + a.size, b.buffer.begin());
    }
};

/// A TPM2B that carries a structure (TPM2B_PUBLIC, TPM2B_ECC_POINT, ...): the size must
/// equal the bytes the structure takes (Part 2 §4.x "size checking"). An empty one is
/// allowed only where AllowEmpty (the spec marks those with "+").
template <class T, bool AllowEmpty = false>
struct tpm2b_of {
    std::uint16_t size = 0; // as received; recomputed on marshal
    T value{};

    rc unmarshal(reader& r) noexcept {
        std::uint16_t s;
        if (!r.u16(s)) return rc::insufficient;
        size = s;
        if (s == 0) return AllowEmpty ? rc::success : rc::size;
        byte_view body;
        if (!r.take(s, body)) return rc::insufficient;
        reader sub{body, r.context()};
        rc e = vtpm::unmarshal(sub, value);
        if (!e.ok()) return e;
        return sub.empty() ? rc::success : rc::size;
    }
    void marshal(writer& w) const noexcept {
        if (AllowEmpty && size == 0) { w.u16(0); return; }
        auto at = w.skip(2);
        auto start = w.size();
        vtpm::marshal(w, value);
        w.patch_u16(at, static_cast<std::uint16_t>(w.size() - start));
    }
};

/// TPML: a u32 count and at most Max elements (Part 2 §10.9). A larger count is TPM_RC_SIZE.
template <class T, std::size_t Max>
struct tpml {
    static constexpr std::size_t capacity = Max;
    std::uint32_t count = 0;
    std::array<T, Max> items{};

    [[nodiscard]] std::span<const T> view() const noexcept { return {items.data(), count}; }
    [[nodiscard]] std::span<T> view() noexcept { return {items.data(), count}; }
    bool push_back(const T& v) noexcept {
        if (count >= Max) return false;
        items[count++] = v;
        return true;
    }
    rc unmarshal(reader& r) noexcept {
        std::uint32_t c;
        if (!r.u32(c)) return rc::insufficient;
        if (c > Max) return rc::size;
        for (std::uint32_t i = 0; i < c; ++i) {
            rc e = vtpm::unmarshal(r, items[i]);
            if (!e.ok()) return e;
        }
        count = c;
        return rc::success;
    }
    void marshal(writer& w) const noexcept {
        w.u32(count);
        for (std::uint32_t i = 0; i < count; ++i) vtpm::marshal(w, items[i]);
    }
};

/// TPMI: a value restricted to a set (Part 2 §9). Rule supplies
///   static bool valid(Base, const reader&), static constexpr rc error, static constexpr Base null.
/// Null = true is the spec's "+" (the NULL value is accepted here).
template <class Base, class Rule, bool Null = false>
struct tpmi {
    Base value{};
    constexpr operator Base() const noexcept { return value; } // NOLINT: implicit by design
    [[nodiscard]] constexpr bool is_null() const noexcept { return value == Rule::null; }

    rc unmarshal(reader& r) noexcept {
        Base v;
        rc e = vtpm::unmarshal(r, v);
        if (!e.ok()) return e;
        if (v == Rule::null ? !Null : !Rule::valid(v, r)) return Rule::error;
        value = v;
        return rc::success;
    }
    void marshal(writer& w) const noexcept { vtpm::marshal(w, value); }
};

/// TPMA: a bit field whose reserved bits must be clear (TPM_RC_RESERVED_BITS).
template <class Base, Base Reserved>
struct tpma {
    Base value{};
    [[nodiscard]] constexpr bool has(Base bits) const noexcept { return (value & bits) == bits; }
    rc unmarshal(reader& r) noexcept {
        Base v;
        rc e = vtpm::unmarshal(r, v);
        if (!e.ok()) return e;
        if (v & Reserved) return rc::reserved_bits;
        value = v;
        return rc::success;
    }
    void marshal(writer& w) const noexcept { vtpm::marshal(w, value); }
};

/// One alternative of a TPMU: the member T is present when the selector equals V.
template <std::uint32_t V, class T>
struct ucase {
    static constexpr std::uint32_t selector = V;
    using type = T;
};
/// A selector value with no data (e.g. TPM_ALG_NULL, TPM_ALG_XOR in TPMU_SYM_MODE).
struct empty_member {
    rc unmarshal(reader&) noexcept { return rc::success; }
    void marshal(writer&) const noexcept {}
};
template <std::uint32_t V>
using uempty = ucase<V, empty_member>;

/// Raw octets of a fixed length N (a digest inside TPMU_HA, ...).
template <std::size_t N>
struct octets {
    std::array<std::uint8_t, N> bytes{};
    rc unmarshal(reader& r) noexcept { return r.copy(N, bytes.data()) ? rc::success : rc::insufficient; }
    void marshal(writer& w) const noexcept { w.put(bytes.data(), N); }
};

/// TPMU: a union selected by a sibling field (Part 2 §11-§12). A selector that matches no
/// case is TPM_RC_SELECTOR.
template <class... Cases>
struct tpmu {
    using is_tpmu = void;
    std::variant<std::monostate, typename Cases::type...> v;

    /// The member for selector value S, or null if another one is held.
    template <std::uint32_t S>
    [[nodiscard]] auto* get() noexcept { return get_impl<S, 0, Cases...>(); }
    template <std::uint32_t S>
    [[nodiscard]] const auto* get() const noexcept { return const_cast<tpmu*>(this)->template get<S>(); }
    /// Make the member for selector value S current and return it.
    template <std::uint32_t S>
    auto& emplace() noexcept { return emplace_impl<S, 0, Cases...>(); }

    /// Call f with the member held (std::monostate if none).
    template <class F>
    decltype(auto) visit(F&& f) const {
        return std::visit(std::forward<F>(f), v);
    }
    rc unmarshal(reader& r, std::uint32_t sel) noexcept {
        return unmarshal_impl(r, sel, std::index_sequence_for<Cases...>{});
    }
    void marshal(writer& w, std::uint32_t sel) const noexcept {
        marshal_impl(w, sel, std::index_sequence_for<Cases...>{});
    }

private:
    template <std::uint32_t S, std::size_t I, class C, class... Rest>
    auto* get_impl() noexcept {
        if constexpr (C::selector == S) return std::get_if<I + 1>(&v);
        else return get_impl<S, I + 1, Rest...>();
    }
    template <std::uint32_t S, std::size_t I, class C, class... Rest>
    auto& emplace_impl() noexcept {
        if constexpr (C::selector == S) return v.template emplace<I + 1>();
        else return emplace_impl<S, I + 1, Rest...>();
    }
    template <std::size_t... I>
    rc unmarshal_impl(reader& r, std::uint32_t sel, std::index_sequence<I...>) noexcept {
        rc e = rc::selector;
        (void)((Cases::selector == sel ? (e = vtpm::unmarshal(r, v.template emplace<I + 1>()), true) : false) || ...);
        return e;
    }
    template <std::size_t... I>
    void marshal_impl(writer& w, std::uint32_t sel, std::index_sequence<I...>) const noexcept {
        (void)((Cases::selector == sel
                    ? (v.index() == I + 1 ? vtpm::marshal(w, std::get<I + 1>(v))
                                          : vtpm::marshal(w, typename Cases::type{}),
                       true)
                    : false) ||
               ...);
    }
};

} // namespace vtpm
