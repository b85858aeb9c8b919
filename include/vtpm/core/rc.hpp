// TPM_RC response codes with parameter/handle/session decoration. Part 2 §6.6.
#pragma once
#include <cstdint>

namespace vtpm {

/// A TPM_RC value. Format-one codes (bit 7 set) can carry the number of the parameter,
/// handle or session they refer to; for_param/for_handle/for_session add it.
class rc {
public:
    constexpr rc() noexcept = default;
    constexpr explicit rc(std::uint32_t v) noexcept : v_(v) {}

    [[nodiscard]] constexpr std::uint32_t code() const noexcept { return v_; }
    [[nodiscard]] constexpr bool ok() const noexcept { return v_ == 0; }
    [[nodiscard]] constexpr bool is_format_one() const noexcept { return (v_ & 0x080u) != 0; }
    /// The code with any parameter/handle/session number removed.
    [[nodiscard]] constexpr rc base() const noexcept {
        return is_format_one() ? rc{v_ & 0x0BFu} : rc{v_};
    }
    [[nodiscard]] constexpr rc for_param(unsigned n) const noexcept {
        return decorate(0x040u | ((n & 0xFu) << 8));
    }
    [[nodiscard]] constexpr rc for_handle(unsigned n) const noexcept {
        return decorate((n & 0x7u) << 8);
    }
    [[nodiscard]] constexpr rc for_session(unsigned n) const noexcept {
        return decorate(0x800u | ((n & 0x7u) << 8));
    }
    /// True if the code already names a parameter, handle or session.
    [[nodiscard]] constexpr bool decorated() const noexcept {
        return is_format_one() && (v_ & 0xF40u) != 0;
    }
    friend constexpr bool operator==(rc a, rc b) noexcept { return a.v_ == b.v_; }

    // Format-zero codes (Part 2 Table 16).
    static const rc success, bad_tag;
    static const rc initialize, failure, sequence, private_, hmac, disabled, exclusive,
        auth_type, auth_missing, policy, pcr, pcr_changed, upgrade, too_many_contexts,
        auth_unavailable, reboot, unbalanced, command_size, command_code, authsize,
        auth_context, nv_range, nv_size, nv_locked, nv_authorization, nv_uninitialized,
        nv_space, nv_defined, bad_context, cphash, parent, needs_test, no_result, sensitive,
        read_only, invalid_session_type;
    // Format-one codes.
    static const rc asymmetric, attributes, hash, value, hierarchy, key_size, mgf, mode, type,
        handle, kdf, range, auth_fail, nonce, pp, scheme, size, symmetric, tag, selector,
        insufficient, signature, key, policy_fail, integrity, ticket, reserved_bits, bad_auth,
        expired, policy_cc, binding, curve, ecc_point, fw_limited, svn_limited, channel,
        channel_key;
    // Warnings.
    static const rc context_gap, object_memory, session_memory, memory, session_handles,
        object_handles, locality, yielded, canceled, testing, reference_h0, reference_s0,
        nv_rate, lockout, retry, nv_unavailable;

    /// The raw code. Public only so that rc is a structural type (usable as a template
    /// argument); use code().
    std::uint32_t v_ = 0;

private:
    constexpr rc decorate(std::uint32_t bits) const noexcept {
        return is_format_one() ? rc{(v_ & 0x0BFu) | bits} : rc{v_};
    }
};

namespace detail {
inline constexpr std::uint32_t rc_ver1 = 0x100, rc_fmt1 = 0x080, rc_warn = 0x900;
}

inline constexpr rc rc::success{0x000};
inline constexpr rc rc::bad_tag{0x01E};

inline constexpr rc rc::initialize{detail::rc_ver1 + 0x000};
inline constexpr rc rc::failure{detail::rc_ver1 + 0x001};
inline constexpr rc rc::sequence{detail::rc_ver1 + 0x003};
inline constexpr rc rc::private_{detail::rc_ver1 + 0x00B};
inline constexpr rc rc::hmac{detail::rc_ver1 + 0x019};
inline constexpr rc rc::disabled{detail::rc_ver1 + 0x020};
inline constexpr rc rc::exclusive{detail::rc_ver1 + 0x021};
inline constexpr rc rc::auth_type{detail::rc_ver1 + 0x024};
inline constexpr rc rc::auth_missing{detail::rc_ver1 + 0x025};
inline constexpr rc rc::policy{detail::rc_ver1 + 0x026};
inline constexpr rc rc::pcr{detail::rc_ver1 + 0x027};
inline constexpr rc rc::pcr_changed{detail::rc_ver1 + 0x028};
inline constexpr rc rc::upgrade{detail::rc_ver1 + 0x02D};
inline constexpr rc rc::too_many_contexts{detail::rc_ver1 + 0x02E};
inline constexpr rc rc::auth_unavailable{detail::rc_ver1 + 0x02F};
inline constexpr rc rc::reboot{detail::rc_ver1 + 0x030};
inline constexpr rc rc::unbalanced{detail::rc_ver1 + 0x031};
inline constexpr rc rc::command_size{detail::rc_ver1 + 0x042};
inline constexpr rc rc::command_code{detail::rc_ver1 + 0x043};
inline constexpr rc rc::authsize{detail::rc_ver1 + 0x044};
inline constexpr rc rc::auth_context{detail::rc_ver1 + 0x045};
inline constexpr rc rc::nv_range{detail::rc_ver1 + 0x046};
inline constexpr rc rc::nv_size{detail::rc_ver1 + 0x047};
inline constexpr rc rc::nv_locked{detail::rc_ver1 + 0x048};
inline constexpr rc rc::nv_authorization{detail::rc_ver1 + 0x049};
inline constexpr rc rc::nv_uninitialized{detail::rc_ver1 + 0x04A};
inline constexpr rc rc::nv_space{detail::rc_ver1 + 0x04B};
inline constexpr rc rc::nv_defined{detail::rc_ver1 + 0x04C};
inline constexpr rc rc::bad_context{detail::rc_ver1 + 0x050};
inline constexpr rc rc::cphash{detail::rc_ver1 + 0x051};
inline constexpr rc rc::parent{detail::rc_ver1 + 0x052};
inline constexpr rc rc::needs_test{detail::rc_ver1 + 0x053};
inline constexpr rc rc::no_result{detail::rc_ver1 + 0x054};
inline constexpr rc rc::sensitive{detail::rc_ver1 + 0x055};
inline constexpr rc rc::read_only{detail::rc_ver1 + 0x056};
inline constexpr rc rc::invalid_session_type{detail::rc_ver1 + 0x058};

inline constexpr rc rc::asymmetric{detail::rc_fmt1 + 0x001};
inline constexpr rc rc::attributes{detail::rc_fmt1 + 0x002};
inline constexpr rc rc::hash{detail::rc_fmt1 + 0x003};
inline constexpr rc rc::value{detail::rc_fmt1 + 0x004};
inline constexpr rc rc::hierarchy{detail::rc_fmt1 + 0x005};
inline constexpr rc rc::key_size{detail::rc_fmt1 + 0x007};
inline constexpr rc rc::mgf{detail::rc_fmt1 + 0x008};
inline constexpr rc rc::mode{detail::rc_fmt1 + 0x009};
inline constexpr rc rc::type{detail::rc_fmt1 + 0x00A};
inline constexpr rc rc::handle{detail::rc_fmt1 + 0x00B};
inline constexpr rc rc::kdf{detail::rc_fmt1 + 0x00C};
inline constexpr rc rc::range{detail::rc_fmt1 + 0x00D};
inline constexpr rc rc::auth_fail{detail::rc_fmt1 + 0x00E};
inline constexpr rc rc::nonce{detail::rc_fmt1 + 0x00F};
inline constexpr rc rc::pp{detail::rc_fmt1 + 0x010};
inline constexpr rc rc::scheme{detail::rc_fmt1 + 0x012};
inline constexpr rc rc::size{detail::rc_fmt1 + 0x015};
inline constexpr rc rc::symmetric{detail::rc_fmt1 + 0x016};
inline constexpr rc rc::tag{detail::rc_fmt1 + 0x017};
inline constexpr rc rc::selector{detail::rc_fmt1 + 0x018};
inline constexpr rc rc::insufficient{detail::rc_fmt1 + 0x01A};
inline constexpr rc rc::signature{detail::rc_fmt1 + 0x01B};
inline constexpr rc rc::key{detail::rc_fmt1 + 0x01C};
inline constexpr rc rc::policy_fail{detail::rc_fmt1 + 0x01D};
inline constexpr rc rc::integrity{detail::rc_fmt1 + 0x01F};
inline constexpr rc rc::ticket{detail::rc_fmt1 + 0x020};
inline constexpr rc rc::reserved_bits{detail::rc_fmt1 + 0x021};
inline constexpr rc rc::bad_auth{detail::rc_fmt1 + 0x022};
inline constexpr rc rc::expired{detail::rc_fmt1 + 0x023};
inline constexpr rc rc::policy_cc{detail::rc_fmt1 + 0x024};
inline constexpr rc rc::binding{detail::rc_fmt1 + 0x025};
inline constexpr rc rc::curve{detail::rc_fmt1 + 0x026};
inline constexpr rc rc::ecc_point{detail::rc_fmt1 + 0x027};
inline constexpr rc rc::fw_limited{detail::rc_fmt1 + 0x028};
inline constexpr rc rc::svn_limited{detail::rc_fmt1 + 0x029};
inline constexpr rc rc::channel{detail::rc_fmt1 + 0x030};
inline constexpr rc rc::channel_key{detail::rc_fmt1 + 0x031};

inline constexpr rc rc::context_gap{detail::rc_warn + 0x001};
inline constexpr rc rc::object_memory{detail::rc_warn + 0x002};
inline constexpr rc rc::session_memory{detail::rc_warn + 0x003};
inline constexpr rc rc::memory{detail::rc_warn + 0x004};
inline constexpr rc rc::session_handles{detail::rc_warn + 0x005};
inline constexpr rc rc::object_handles{detail::rc_warn + 0x006};
inline constexpr rc rc::locality{detail::rc_warn + 0x007};
inline constexpr rc rc::yielded{detail::rc_warn + 0x008};
inline constexpr rc rc::canceled{detail::rc_warn + 0x009};
inline constexpr rc rc::testing{detail::rc_warn + 0x00A};
inline constexpr rc rc::reference_h0{detail::rc_warn + 0x010};
inline constexpr rc rc::reference_s0{detail::rc_warn + 0x018};
inline constexpr rc rc::nv_rate{detail::rc_warn + 0x020};
inline constexpr rc rc::lockout{detail::rc_warn + 0x021};
inline constexpr rc rc::retry{detail::rc_warn + 0x022};
inline constexpr rc rc::nv_unavailable{detail::rc_warn + 0x023};

} // namespace vtpm
