// Objects (Part 2 §12), creation data and tickets (§10.6, §15), contexts (§14).
#pragma once
#include <cstdint>

#include "vtpm/spec/constants.hpp"
#include "vtpm/types/algorithms.hpp"
#include "vtpm/types/base.hpp"
#include "vtpm/types/interface.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm {

namespace detail {
struct rule_dh_parent { // Part 2 §9.4 TPMI_DH_PARENT
    static constexpr tpm_handle null = rh::null;
    static constexpr rc error = rc::value;
    static bool valid(tpm_handle h, const reader&) noexcept {
        const auto t = handle_type(h);
        return t == ht::transient || t == ht::persistent || h == rh::owner || h == rh::endorsement ||
               h == rh::platform;
    }
};
} // namespace detail
/// TPMI_DH_PARENT: a storage parent (transient or persistent) or a hierarchy; `Null` is "+".
template <bool Null = false> using tpmi_dh_parent = tpmi<tpm_handle, detail::rule_dh_parent, Null>;

/// TPMU_PUBLIC_ID (Part 2 §12.2.3.2): the unique field of a public area.
using tpmu_public_id = tpmu<ucase<alg::keyedhash, tpm2b_digest>, ucase<alg::symcipher, tpm2b_digest>,
                            ucase<alg::rsa, tpm2b_public_key_rsa>, ucase<alg::ecc, tpms_ecc_point>>;

/// TPMT_PUBLIC (Part 2 §12.2.4). nameAlg may be TPM_ALG_NULL only for some LoadExternal
/// uses; the command checks that.
struct tpmt_public {
    BOOST_HANA_DEFINE_STRUCT(tpmt_public, (tpmi_alg_public, type), (tpmi_alg_hash<true>, name_alg),
                             (tpma_object, object_attributes), (tpm2b_digest, auth_policy),
                             (tpmu_public_parms, parameters), (tpmu_public_id, unique));
    static constexpr std::size_t selector_index(std::size_t) { return 0; }
};
using tpm2b_public = tpm2b_of<tpmt_public>;        // §12.2.5
using tpm2b_template = tpm2b<1024>;                // §12.2.6: sizeof(TPMT_PUBLIC)

/// TPMS_DERIVE (Part 2 §11.1.11): the label and context of a Derived Object.
struct tpms_derive {
    BOOST_HANA_DEFINE_STRUCT(tpms_derive, (tpm2b_label, label), (tpm2b_label, context));
};
/// A TPM2B_TEMPLATE's TPMT_PUBLIC as CreateLoaded reads it under a Derivation Parent: the
/// unique field is a TPMS_DERIVE (Part 2 §12.2.6, TPMU_PUBLIC_ID member `derive`).
struct tpmt_public_derive {
    BOOST_HANA_DEFINE_STRUCT(tpmt_public_derive, (tpmi_alg_public, type), (tpmi_alg_hash<true>, name_alg),
                             (tpma_object, object_attributes), (tpm2b_digest, auth_policy),
                             (tpmu_public_parms, parameters), (tpms_derive, unique));
    static constexpr std::size_t selector_index(std::size_t) { return 0; }
};

/// TPMU_SENSITIVE_COMPOSITE / TPMT_SENSITIVE (Part 2 §12.3.2)
using tpmu_sensitive_composite =
    tpmu<ucase<alg::rsa, tpm2b_private_key_rsa>, ucase<alg::ecc, tpm2b_ecc_parameter>,
         ucase<alg::keyedhash, tpm2b_sensitive_data>, ucase<alg::symcipher, tpm2b_sym_key>>;
struct tpmt_sensitive {
    BOOST_HANA_DEFINE_STRUCT(tpmt_sensitive, (tpmi_alg_public, sensitive_type), (tpm2b_auth, auth_value),
                             (tpm2b_digest, seed_value), (tpmu_sensitive_composite, sensitive));
    static constexpr std::size_t selector_index(std::size_t) { return 0; }
};
using tpm2b_sensitive = tpm2b_of<tpmt_sensitive, true>; // §12.3.3

/// TPMS_SENSITIVE_CREATE / TPM2B_SENSITIVE_CREATE (Part 2 §12.1)
struct tpms_sensitive_create {
    BOOST_HANA_DEFINE_STRUCT(tpms_sensitive_create, (tpm2b_auth, user_auth), (tpm2b_sensitive_data, data));
};
using tpm2b_sensitive_create = tpm2b_of<tpms_sensitive_create>;

namespace limits {
/// sizeof(_PRIVATE) (Part 2 §12.3.7): two integrity digests and a TPM2B_SENSITIVE.
inline constexpr std::size_t max_private = (2 + max_digest) * 2 + 2 + (2 + (2 + max_digest) * 2 + 2 + max_rsa_key_bytes / 2);
inline constexpr std::size_t max_id_object = (2 + max_digest) + (2 + max_digest); // TPMS_ID_OBJECT
inline constexpr std::size_t max_encrypted_secret = max_rsa_key_bytes;            // TPMU_ENCRYPTED_SECRET
} // namespace limits

using tpm2b_private = tpm2b<limits::max_private>;                   // §12.3.7
using tpm2b_id_object = tpm2b<limits::max_id_object>;               // §12.4.3
using tpm2b_encrypted_secret = tpm2b<limits::max_encrypted_secret>; // §11.4.33

/// TPMS_CREATION_DATA (Part 2 §15.1)
struct tpms_creation_data {
    BOOST_HANA_DEFINE_STRUCT(tpms_creation_data, (tpml_pcr_selection, pcr_select), (tpm2b_digest, pcr_digest),
                             (std::uint8_t, locality), (std::uint16_t, parent_name_alg), (tpm2b_name, parent_name),
                             (tpm2b_name, parent_qualified_name), (tpm2b_data, outside_info));
};
using tpm2b_creation_data = tpm2b_of<tpms_creation_data>; // §15.2

/// Tickets (Part 2 §10.6): creation, verified, auth.
struct tpmt_tk_creation {
    BOOST_HANA_DEFINE_STRUCT(tpmt_tk_creation, (std::uint16_t, tag), (tpmi_rh_hierarchy<true>, hierarchy),
                             (tpm2b_digest, digest));
};
struct tpmt_tk_verified {
    BOOST_HANA_DEFINE_STRUCT(tpmt_tk_verified, (std::uint16_t, tag), (tpmi_rh_hierarchy<true>, hierarchy),
                             (tpm2b_digest, digest));
};
struct tpmt_tk_auth {
    BOOST_HANA_DEFINE_STRUCT(tpmt_tk_auth, (std::uint16_t, tag), (tpmi_rh_hierarchy<true>, hierarchy),
                             (tpm2b_digest, digest));
};

/// TPMS_CONTEXT (Part 2 §14.5). The blob is the TPM's own (integrity + encrypted state).
using tpm2b_context_data = tpm2b<limits::max_context_size>;
struct tpms_context {
    BOOST_HANA_DEFINE_STRUCT(tpms_context, (std::uint64_t, sequence), (std::uint32_t, saved_handle),
                             (tpmi_rh_hierarchy<true>, hierarchy), (tpm2b_context_data, context_blob));
};

} // namespace vtpm
