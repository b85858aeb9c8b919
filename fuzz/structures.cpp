// Per-structure unmarshal round trip: the first byte picks a Part 2 structure; if the rest
// unmarshals, marshalling it again must give back exactly the bytes consumed.
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include <vtpm/commands/table.hpp>
#include <vtpm/types/attest.hpp>
#include <vtpm/types/nv.hpp>
#include <vtpm/types/objects.hpp>
#include <vtpm/types/structures.hpp>

namespace {

template <class T>
void round_trip(std::span<const std::uint8_t> in) {
    vtpm::reader r{in};
    auto v = std::make_unique<T>();
    if (!vtpm::unmarshal(r, *v).ok()) return;
    std::vector<std::uint8_t> out(in.size() + 16);
    vtpm::writer w{out};
    vtpm::marshal(w, *v);
    if (w.overflow() || w.size() != r.position() || std::memcmp(out.data(), in.data(), w.size()) != 0)
        __builtin_trap();
}

template <class... T>
struct type_list {};

using structures = type_list<vtpm::tpmt_ha, vtpm::tpm2b_digest, vtpm::tpm2b_max_buffer, vtpm::tpms_pcr_selection,
                             vtpm::tpml_pcr_selection, vtpm::tpml_digest_values, vtpm::tpml_digest,
                             vtpm::tpmt_tk_hashcheck, vtpm::tpms_clock_info, vtpm::tpms_time_info,
                             vtpm::tpml_alg, vtpm::tpml_cc, vtpm::tpms_tagged_pcr_select, vtpm::tpmt_public,
                             vtpm::tpm2b_public, vtpm::tpmt_sensitive, vtpm::tpm2b_sensitive, vtpm::tpm2b_private,
                             vtpm::tpms_context, vtpm::tpmt_signature, vtpm::tpmt_public_parms,
                             vtpm::tpm2b_sensitive_create, vtpm::tpms_creation_data, vtpm::tpmt_sym_def,
                             vtpm::tpmt_tk_creation, vtpm::tpm2b_ecc_point, vtpm::tpms_attest, vtpm::tpm2b_attest,
                             vtpm::tpmt_tk_verified, vtpm::tpmt_tk_auth, vtpm::tpms_nv_public, vtpm::tpm2b_nv_public,
                             vtpm::tpm2b_nv_public_2>;

template <class... T>
void dispatch(type_list<T...>, std::uint8_t which, std::span<const std::uint8_t> in) {
    std::size_t i = 0;
    ((which % sizeof...(T) == i++ ? round_trip<T>(in) : void()), ...);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > 8192) return 0;
    dispatch(structures{}, data[0], {data + 1, size - 1});
    // Every command's request parameter area, through the same path the engine uses.
    std::size_t i = 0;
    vtpm::cmd::all::each([&](auto d) {
        using D = decltype(d);
        if (data[0] % vtpm::cmd::all::size != i++) return;
        vtpm::reader r{{data + 1, size - 1}};
        auto req = std::make_unique<typename D::request>();
        (void)vtpm::cmd::unmarshal_params(r, *req);
    });
    return 0;
}
