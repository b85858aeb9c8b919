// engine<Platform>: the state of one TPM and the services handlers use (authorization
// values, PCR banks, clock, object slots). The command pipeline is in engine/execute.hpp;
// handlers are in engine/handlers/. tpm<Platform> (engine/tpm.hpp) is the public face.
#pragma once
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <variant>

#include "vtpm/config/profile.hpp"
#include "vtpm/core/bytes.hpp"
#include "vtpm/core/rc.hpp"
#include "vtpm/crypto/cmac.hpp"
#include "vtpm/crypto/concepts.hpp"
#include "vtpm/engine/object.hpp"
#include "vtpm/engine/pcr_attributes.hpp"
#include "vtpm/engine/session.hpp"
#include "vtpm/engine/state.hpp"
#include "vtpm/spec/constants.hpp"
#include "vtpm/types/structures.hpp"

namespace vtpm {

/// A hash, HMAC, MAC or event sequence object (Part 3 §17).
template <class HashState, class HmacState = HashState>
struct sequence_object {
    enum class kind : std::uint8_t { hash, event, hmac, mac } type = kind::hash;
    tpm_alg_id alg = alg::null;
    tpm2b_auth auth;
    /// One state for a hash sequence; one per PCR bank for an event sequence.
    std::array<std::optional<HashState>, engine_data::max_banks> states{};
    std::array<tpm_alg_id, engine_data::max_banks> algs{};
    bool started = false;       // data has been added
    bool ticket_allowed = true; // false if the data began with TPM_GENERATED_VALUE
    /// HMAC sequence (HMAC_Start / MAC_Start with a hash): the keyed state; alg is the hash.
    std::optional<HmacState> hmac;
    /// MAC sequence (MAC_Start with TPM_ALG_CMAC): the CMAC state; alg is TPM_ALG_CMAC.
    std::optional<crypto::cmac_state> cmac;
};

/// What the pipeline knows about the command being executed.
struct command_context {
    tpm_cc code = 0;
    std::uint16_t tag = st::no_sessions;
    std::uint8_t locality = 0;
    std::array<tpm_handle, 3> handles{};
    std::size_t handle_count = 0;
    std::size_t session_count = 0;
    std::optional<tpm_handle> response_handle;
    /// Per handle: its authorization came from a policy session (NV access rules, Part 3 §31).
    std::array<bool, 3> policy_auth{};
    /// Set by a handler whose command is not command-audited this time (Part 3 §21.2: a
    /// SetCommandCodeAuditStatus that changes the audit hash).
    bool skip_command_audit = false;
};

template <class Platform>
class engine {
public:
    using platform_type = Platform;
    using crypto_type = typename Platform::crypto;
    static_assert(crypto::backend<crypto_type>, "Platform::crypto must model vtpm::crypto::backend");
    using hash_state = crypto::hash_state_t<crypto_type>;
    using sequence = sequence_object<hash_state, crypto::hmac_state_t<crypto_type>>;
    static constexpr const config::profile& profile = Platform::profile;
    static constexpr unsigned pcr_count = profile.limits.pcr_count;
    static_assert(pcr_count <= engine_data::max_pcrs && pcr_count % 8 == 0, "PCR count must be a multiple of 8, at most 32");

    engine() = default;
    explicit engine(crypto_type c) : crypto(std::move(c)) {}

    crypto_type crypto{};

    // --- lifetime-grouped data ---------------------------------------------------------
    engine_data::persistent nv{};
    engine_data::state_save saved{};
    engine_data::state_clear sc{};
    engine_data::state_reset sr{};
    engine_data::dictionary_attack da{};
    engine_data::command_audit audit{}; // NV (its own block in the state format)
    engine_data::commit_state commit{};
    engine_data::pp_command_list pp{};  // NV (its own block in the state format)
    engine_data::read_only_mode ro{};   // state-clear (its own block in the state format)

    // --- volatile -----------------------------------------------------------------------
    bool manufactured = false;
    bool powered = false;
    bool started = false;
    bool nv_available = true;
    bool physical_presence = false;
    bool cancel_flag = false;
    bool failure_mode = false;
    std::uint32_t failure_reason = 0;
    bool self_tested = false;
    bool last_startup_orderly = false;
    std::array<engine_data::pcr_bank, engine_data::max_banks> banks{};
    /// Transient object slots: empty, a hash/event sequence, or a loaded object (key, data).
    std::array<std::variant<std::monostate, sequence, loaded_object>, profile.limits.max_loaded_objects> objects{};
    /// Sessions by handle index (handle & 0xFFFFFF): loaded ones hold their state; a saved
    /// one (ContextSave) keeps its handle through saved_session_seq (its context sequence).
    std::array<std::optional<auth_session>, profile.limits.max_active_sessions> sessions{};
    std::array<std::uint64_t, profile.limits.max_active_sessions> saved_session_seq{};
    std::array<bool, profile.limits.max_active_sessions> saved_session_policy{};
    std::uint64_t context_sequence = 0; // TPMS_CONTEXT.sequence of the last saved context
    /// The current exclusive audit session (Part 1 §17.2), or 0.
    tpm_handle exclusive_audit_session = 0;
    std::uint64_t clock_base = 0;   // Clock at the last power-on or ClockSet
    std::uint64_t ticks_base = 0;   // platform milliseconds at that moment
    std::uint64_t time_base = 0;    // platform milliseconds at _TPM_Init
    std::uint64_t da_heal_base = 0;      // Time from which the next failedTries decrement counts
    std::uint64_t lockout_locked_at = 0; // Time of the lockoutAuth failure being waited out
    unmarshal_context uctx{};
    /// _TPM_Hash_Start .. _TPM_Hash_End in progress (one state per PCR bank).
    std::optional<sequence> crtm_sequence;
    /// RSA primary keys recently derived, by (seed, template): CreatePrimary repeats are fast.
    object::rsa_primary_cache primary_cache;
    /// Digests of an H-CRTM sequence completed before TPM2_Startup, per bank (Part 1 §34.2).
    std::optional<std::array<std::array<std::uint8_t, limits::max_digest>, engine_data::max_banks>> hcrtm_digests;

    // --- manufacture and power --------------------------------------------------------

    /// TPM manufacture: fresh seeds and proofs, default authorizations and PCR allocation.
    void manufacture() {
        nv = {};
        saved = {};
        da = {};
        // Command audit: SetCommandCodeAuditStatus is always audited (Part 3 §21.1).
        audit = {};
        audit.alg = alg::sha256;
        audit.set(cc::set_command_code_audit_status, true);
        commit = {};
        pp = {};
        ro = {};
        for (auto* s : {&nv.eps, &nv.sps, &nv.pps}) crypto.random(*s);
        for (auto* p : {&nv.eh_proof, &nv.sh_proof, &nv.ph_proof}) crypto.random(*p);
        std::size_t i = 0;
        for (auto a : profile.default_pcr_banks)
            if (a != 0 && profile.has_alg(a) && i < nv.pcr_banks.size()) nv.pcr_banks[i++] = a;
        manufactured = true;
        powered = false;
        started = false;
    }

    /// _TPM_Init: the TPM powers on (or is reset) and waits for TPM2_Startup.
    void power_on() {
        if (!manufactured) manufacture();
        powered = true;
        started = false;
        failure_mode = false;
        self_tested = false;
        time_base = now_ms();
        da_heal_base = 0; // DA recovery counts powered time only (Part 1 §16.8.2)
        lockout_locked_at = 0;
        clock_base = nv.clock;
        ticks_base = time_base;
        for (auto& o : objects) o = std::monostate{};
        for (auto& x : sessions) x.reset(); // saved session contexts stay valid (Part 1 §27.5)
        crtm_sequence.reset();
        hcrtm_digests.reset();
        uctx.self = this;
        uctx.pcr_count = pcr_count;
        uctx.alg_enabled = [](const void*, tpm_alg_id a) { return profile.has_alg(a); };
    }

    /// Power removed: volatile state is lost; Clock is recorded.
    void power_off() {
        if (powered) nv.clock = clock();
        powered = false;
        started = false;
        for (auto& o : objects) o = std::monostate{};
    }

    // --- H-CRTM / DRTM event sequences (Part 1 §34; _TPM_Hash_Start/Data/End) -------------

    /// The banks an event sequence hashes for: the allocated ones (before Startup, the
    /// allocation that Startup will use).
    [[nodiscard]] std::array<tpm_alg_id, engine_data::max_banks> event_algs() const noexcept {
        std::array<tpm_alg_id, engine_data::max_banks> a{};
        for (std::size_t i = 0; i < a.size(); ++i) {
            tpm_alg_id x = started ? banks[i].alg : (nv.pcr_allocation_pending ? nv.pcr_banks_pending[i] : nv.pcr_banks[i]);
            a[i] = (x == 0 || x == alg::null) ? alg::null : x;
        }
        return a;
    }
    void crtm_hash_start() {
        sequence s;
        s.type = sequence::kind::event;
        s.algs = event_algs();
        for (std::size_t i = 0; i < s.algs.size(); ++i)
            if (s.algs[i] != alg::null) s.states[i].emplace(crypto.hash_start(s.algs[i]));
        crtm_sequence = std::move(s);
    }
    void crtm_hash_data(byte_view data) {
        if (!crtm_sequence) return;
        for (auto& st : crtm_sequence->states)
            if (st) st->update(data);
    }
    void crtm_hash_end() {
        if (!crtm_sequence) return;
        std::array<std::array<std::uint8_t, limits::max_digest>, engine_data::max_banks> d{};
        for (std::size_t i = 0; i < d.size(); ++i)
            if (auto& st = crtm_sequence->states[i]) st->finish(d[i]);
        const auto algs = crtm_sequence->algs;
        crtm_sequence.reset();
        if (!started) {
            hcrtm_digests = d; // applied to PCR 0 by TPM2_Startup
            return;
        }
        // DRTM: PCR 17 := 0 then extended, PCR 18-22 := 0 (PC Client profile).
        for (std::size_t i = 0; i < algs.size(); ++i) {
            auto* b = bank(algs[i]);
            if (!b) continue;
            for (unsigned p = 17; p <= 22 && p < pcr_count; ++p) b->values[p].fill(0);
            extend(*b, 17, byte_view{d[i].data(), hash_digest_size(algs[i])});
        }
        pcr_changed(17);
    }

    void enter_failure_mode(std::uint32_t reason) noexcept {
        failure_mode = true;
        failure_reason = reason;
    }

    // --- clock and time (Part 1 §36) ----------------------------------------------------

    static std::uint64_t now_ms() noexcept {
        if constexpr (requires { Platform::now_ms(); }) {
            return Platform::now_ms();
        } else {
            using namespace std::chrono;
            return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
        }
    }
    [[nodiscard]] std::uint64_t clock() const noexcept {
        std::uint64_t elapsed = now_ms() - ticks_base;
        // TPM2_ClockRateAdjust: each step changes the rate by a small fraction (Part 2 §6.7).
        std::int64_t adj = static_cast<std::int64_t>(elapsed) * nv.clock_adjust / 1000;
        return clock_base + static_cast<std::uint64_t>(static_cast<std::int64_t>(elapsed) + adj);
    }
    [[nodiscard]] std::uint64_t time() const noexcept { return now_ms() - time_base; }
    void set_clock(std::uint64_t v) noexcept {
        clock_base = v;
        ticks_base = now_ms();
        nv.clock = v;
        nv.clock_safe = true;
    }
    [[nodiscard]] tpms_clock_info clock_info() const noexcept {
        tpms_clock_info ci;
        ci.clock = clock();
        ci.reset_count = nv.reset_count;
        ci.restart_count = nv.restart_count;
        ci.safe.value = nv.clock_safe ? 1 : 0;
        return ci;
    }

    // --- hierarchies --------------------------------------------------------------------

    [[nodiscard]] bool hierarchy_enabled(tpm_handle h) const noexcept {
        switch (h) {
        case rh::owner: return sc.sh_enable;
        case rh::endorsement: return sc.eh_enable;
        case rh::platform: return sc.ph_enable;
        case rh::null: return true;
        default: return false;
        }
    }
    /// The proof value of a hierarchy (Part 1 §14.4), used for tickets.
    [[nodiscard]] byte_view proof(tpm_handle h) const noexcept {
        switch (h) {
        case rh::owner: return nv.sh_proof;
        case rh::endorsement: return nv.eh_proof;
        case rh::platform: return nv.ph_proof;
        default: return sr.null_proof;
        }
    }

    // --- PCR banks ----------------------------------------------------------------------

    [[nodiscard]] engine_data::pcr_bank* bank(tpm_alg_id a) noexcept {
        for (auto& b : banks)
            if (b.alg == a && a != alg::null) return &b;
        return nullptr;
    }
    [[nodiscard]] std::size_t bank_count() const noexcept {
        return static_cast<std::size_t>(std::count_if(banks.begin(), banks.end(), [](auto& b) { return b.alg != alg::null; }));
    }
    /// Extend one PCR in one bank: PCR := H(PCR || digest) (Part 1 §17.7).
    void extend(engine_data::pcr_bank& b, unsigned pcr, byte_view digest) {
        const auto n = hash_digest_size(b.alg);
        std::array<std::uint8_t, 2 * limits::max_digest> buf{}; // PCR || digest (zero padded)
        std::memcpy(buf.data(), b.values[pcr].data(), n);
        std::memcpy(buf.data() + n, digest.data(), std::min(digest.size(), n));
        crypto.hash(b.alg, byte_view{buf.data(), 2 * n}, byte_span{b.values[pcr].data(), n});
    }
    void pcr_changed(unsigned pcr) noexcept {
        if (!pcr_attr::of(pcr).no_increment) ++sr.pcr_update_counter;
    }
    /// Value of a PCR after TPM Reset / Restart (Part 1 §17.6; PC Client: DRTM PCRs are all ones).
    void pcr_initial(engine_data::pcr_bank& b, unsigned pcr, std::uint8_t startup_locality) noexcept {
        auto& v = b.values[pcr];
        v.fill(pcr_attr::of(pcr).drtm ? 0xFF : 0x00);
        if (pcr == 0 && startup_locality == 3) v[hash_digest_size(b.alg) - 1] = 3;
        if (pcr == 0 && hcrtm_digests) {
            // H-CRTM before Startup: PCR 0 starts at locality 4 and holds the H-CRTM digest.
            v[hash_digest_size(b.alg) - 1] = 4;
            for (std::size_t i = 0; i < banks.size(); ++i)
                if (&banks[i] == &b) extend(b, 0, byte_view{(*hcrtm_digests)[i].data(), hash_digest_size(b.alg)});
        }
    }
    [[nodiscard]] bool pcr_extend_allowed(unsigned pcr, std::uint8_t locality) const noexcept {
        return locality < 5 && (pcr_attr::of(pcr).extend_mask >> locality & 1);
    }
    [[nodiscard]] bool pcr_reset_allowed(unsigned pcr, std::uint8_t locality) const noexcept {
        return locality < 5 && (pcr_attr::of(pcr).reset_mask >> locality & 1);
    }

    // --- transient objects ----------------------------------------------------------------

    static constexpr tpm_handle object_handle(std::size_t slot) noexcept {
        return hr::transient_first + static_cast<tpm_handle>(slot);
    }
    [[nodiscard]] std::optional<std::size_t> object_slot(tpm_handle h) const noexcept {
        if (handle_type(h) != ht::transient) return std::nullopt;
        auto i = h - hr::transient_first;
        if (i >= objects.size() || std::holds_alternative<std::monostate>(objects[i])) return std::nullopt;
        return i;
    }
    [[nodiscard]] std::optional<std::size_t> free_object_slot() const noexcept {
        for (std::size_t i = 0; i < objects.size(); ++i)
            if (std::holds_alternative<std::monostate>(objects[i])) return i;
        return std::nullopt;
    }
    [[nodiscard]] sequence* sequence_at(tpm_handle h) noexcept {
        auto s = object_slot(h);
        return s ? std::get_if<sequence>(&objects[*s]) : nullptr;
    }
    [[nodiscard]] loaded_object* object_at(tpm_handle h) noexcept {
        if (handle_type(h) == ht::persistent) return persistent_object_at(h);
        auto s = object_slot(h);
        return s ? std::get_if<loaded_object>(&objects[*s]) : nullptr;
    }
    [[nodiscard]] const loaded_object* object_at(tpm_handle h) const noexcept {
        return const_cast<engine*>(this)->object_at(h);
    }

    // --- persistent objects and NV indices -------------------------------------------------

    /// Whether a persistent object is reachable: its hierarchy must be enabled.
    [[nodiscard]] bool persistent_object_accessible(const loaded_object& o) const noexcept {
        return hierarchy_enabled(o.hierarchy);
    }
    /// A persistent object by its handle (null if none or its hierarchy is disabled).
    [[nodiscard]] loaded_object* persistent_object_at(tpm_handle h) noexcept {
        auto* o = nv.persistent_objects.find(h);
        return o && persistent_object_accessible(*o) ? o : nullptr;
    }
    /// A defined NV index that is accessible (Part 3 §31.1: not when the hierarchy that
    /// created it is disabled), or null.
    [[nodiscard]] nv::index* nv_index_at(tpm_handle h) noexcept {
        if (handle_type(h) != ht::nv_index) return nullptr;
        auto* x = nv.nv_indices.find(h);
        if (!x) return nullptr;
        if (x->has(nv_attr::platformcreate) ? !sc.ph_enable_nv : !sc.sh_enable) return nullptr;
        return x;
    }
    [[nodiscard]] const nv::index* nv_index_at(tpm_handle h) const noexcept {
        return const_cast<engine*>(this)->nv_index_at(h);
    }
    /// PIN Pass / PIN Fail indices (Part 1 §34.2): authValue authorization is available only
    /// while the index is written and pinCount < pinLimit; its outcome moves pinCount.
    [[nodiscard]] bool nv_pin_index(tpm_handle h) const noexcept {
        const auto* x = nv_index_at(h);
        return x && (x->type() == nt::pin_pass || x->type() == nt::pin_fail);
    }
    [[nodiscard]] bool nv_pin_available(tpm_handle h) const noexcept {
        const auto* x = nv_index_at(h);
        if (!x || !x->has(nv_attr::written) || x->data.size() != 8) return false;
        return load_be32(x->data.data()) < load_be32(x->data.data() + 4);
    }
    /// Record an authValue authorization of a PIN index: a PIN Fail index counts failures and
    /// is reset by a success; a PIN Pass index counts successes.
    void nv_pin_result(tpm_handle h, bool ok) noexcept {
        auto* x = nv_index_at(h);
        if (!x || x->data.size() != 8) return;
        const auto count = load_be32(x->data.data());
        if (x->type() == nt::pin_fail) store_be32(x->data.data(), ok ? 0 : count + 1);
        else if (x->type() == nt::pin_pass && ok) store_be32(x->data.data(), count + 1);
    }
    [[nodiscard]] std::size_t loaded_object_count() const noexcept {
        return static_cast<std::size_t>(std::count_if(objects.begin(), objects.end(),
            [](auto& o) { return !std::holds_alternative<std::monostate>(o); }));
    }

    // --- sessions -------------------------------------------------------------------------

    /// The loaded session a handle names (HMAC handles name HMAC sessions, policy handles
    /// policy and trial sessions), or null.
    [[nodiscard]] auth_session* session_at(tpm_handle h) noexcept {
        const auto t = handle_type(h);
        if (t != ht::hmac_session && t != ht::policy_session) return nullptr;
        const auto i = h & 0x00FFFFFF;
        if (i >= sessions.size() || !sessions[i]) return nullptr;
        auto& s = *sessions[i];
        if ((t == ht::policy_session) != s.is_policy()) return nullptr;
        return &s;
    }
    /// A handle index that no loaded or saved session uses.
    [[nodiscard]] std::optional<std::size_t> free_session_slot() const noexcept {
        for (std::size_t i = 0; i < sessions.size(); ++i)
            if (!sessions[i] && saved_session_seq[i] == 0) return i;
        return std::nullopt;
    }
    static constexpr tpm_handle session_handle(std::size_t slot, bool policy) noexcept {
        return (policy ? hr::policy_session_first : hr::hmac_session_first) + static_cast<tpm_handle>(slot);
    }
    [[nodiscard]] std::size_t loaded_session_count() const noexcept {
        return static_cast<std::size_t>(std::count_if(sessions.begin(), sessions.end(), [](auto& x) { return x.has_value(); }));
    }
    [[nodiscard]] std::size_t saved_session_count() const noexcept {
        return static_cast<std::size_t>(std::count_if(saved_session_seq.begin(), saved_session_seq.end(), [](auto v) { return v != 0; }));
    }
    /// Room for one more loaded session (TPM_RC_SESSION_MEMORY otherwise).
    [[nodiscard]] bool session_memory_available() const noexcept {
        return loaded_session_count() < profile.limits.max_loaded_sessions;
    }

    /// The Name of an entity (Part 1 §16): the handle for permanent entities, PCRs and
    /// sessions; the object's Name for an object; the Empty Buffer for a sequence object
    /// (Part 3 §17.7.1: its Name in cpHash and rpHash is the Empty Buffer).
    [[nodiscard]] tpm2b_name entity_name(tpm_handle h) const noexcept {
        if (const auto* o = object_at(h)) return o->name;
        if (const auto* x = nv_index_at(h)) return x->name;
        tpm2b_name n;
        if (auto slot = object_slot(h); slot && std::holds_alternative<sequence>(objects[*slot])) return n;
        store_be32(n.resize(4).data(), h);
        return n;
    }
    /// The authPolicy of an entity and its hash algorithm, or null if it has none.
    [[nodiscard]] std::optional<engine_data::hierarchy_policy> auth_policy(tpm_handle h) const noexcept {
        switch (h) {
        case rh::owner: return nv.owner_policy;
        case rh::endorsement: return nv.endorsement_policy;
        case rh::lockout: return nv.lockout_policy;
        case rh::platform: return sc.platform_policy;
        default: break;
        }
        if (handle_type(h) == ht::pcr && h < pcr_count && pcr_attr::of(h).policy_group) return nv.pcr_policies[h];
        if (const auto* o = object_at(h)) return engine_data::hierarchy_policy{o->pub.name_alg.value, o->pub.auth_policy};
        if (const auto* x = nv_index_at(h)) return engine_data::hierarchy_policy{x->pub.name_alg.value, x->pub.auth_policy};
        return std::nullopt;
    }

    // --- authorization --------------------------------------------------------------------

    /// The authValue of an entity (Part 1 §19.6), or null if the entity has none reachable.
    [[nodiscard]] const tpm2b_auth* auth_value(tpm_handle h) const noexcept {
        static const tpm2b_auth empty{};
        switch (h) {
        case rh::owner: return &nv.owner_auth;
        case rh::endorsement: return &nv.endorsement_auth;
        case rh::platform: return &sc.platform_auth;
        case rh::lockout: return &nv.lockout_auth;
        case rh::null: return &empty;
        default: break;
        }
        if (handle_type(h) == ht::pcr && h < pcr_count) {
            return pcr_attr::of(h).auth_group ? &sc.pcr_auth[h] : &empty;
        }
        if (auto slot = object_slot(h)) {
            if (auto* s = std::get_if<sequence>(&objects[*slot])) return &s->auth;
            if (auto* o = std::get_if<loaded_object>(&objects[*slot]))
                return o->has_sensitive ? &o->sens.auth_value : nullptr;
        }
        if (const auto* o = object_at(h)) return o->has_sensitive ? &o->sens.auth_value : nullptr;
        if (const auto* x = nv_index_at(h)) return &x->auth;
        return nullptr;
    }
    /// Whether failed authorizations of the entity count against dictionary-attack protection.
    [[nodiscard]] bool da_protected(tpm_handle h) const noexcept {
        if (const auto* o = object_at(h)) return !o->has(object_attr::no_da);
        if (const auto* x = nv_index_at(h)) return !x->has(nv_attr::no_da);
        return h == rh::lockout;
    }

    // --- dictionary-attack protection (Part 1 §16.8) -------------------------------------

    /// Apply self-healing: failedTries drops by one per recoveryTime seconds of powered Time
    /// without a failure; a lockoutAuth failure is forgiven after lockoutRecovery seconds.
    void da_refresh() noexcept {
        const std::uint64_t t = time();
        if (da.recovery_time != 0 && da.failed_tries > 0) {
            const std::uint64_t period = std::uint64_t{da.recovery_time} * 1000;
            const std::uint64_t n = (t - std::min(t, da_heal_base)) / period;
            if (n > 0) {
                da.failed_tries -= static_cast<std::uint32_t>(std::min<std::uint64_t>(n, da.failed_tries));
                da_heal_base += n * period;
            }
        } else {
            da_heal_base = t;
        }
        if (da.lockout_auth_locked && da.lockout_recovery != 0 &&
            t - std::min(t, lockout_locked_at) >= std::uint64_t{da.lockout_recovery} * 1000)
            da.lockout_auth_locked = false;
    }
    /// Whether using the authValue of a DA-protected entity is refused (TPM_RC_LOCKOUT).
    [[nodiscard]] bool da_locked_out(tpm_handle h) noexcept {
        da_refresh();
        if (h == rh::lockout) return da.lockout_auth_locked;
        return da.in_lockout();
    }
    /// Record an authorization failure of a DA-protected entity; the RC to return.
    rc da_failure(tpm_handle h) noexcept {
        da_refresh();
        if (h == rh::lockout) {
            da.lockout_auth_locked = true;
            lockout_locked_at = time();
            return rc::auth_fail;
        }
        if (da.recovery_time == 0) return rc::bad_auth; // DA protection off: failures are not counted
        if (da.failed_tries < da.max_tries) ++da.failed_tries;
        da_heal_base = time();
        return rc::auth_fail;
    }

    /// Flush the loaded transient objects of a hierarchy (disabled, cleared or re-seeded).
    void flush_hierarchy_objects(tpm_handle hierarchy) noexcept {
        for (auto& o : objects)
            if (auto* lo = std::get_if<loaded_object>(&o); lo && lo->hierarchy == hierarchy) o = std::monostate{};
    }
};

} // namespace vtpm
