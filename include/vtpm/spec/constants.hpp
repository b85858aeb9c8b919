// Numbers from TPM 2.0 Library Part 2 (Structures): algorithm ids, command codes, tags,
// handles, capabilities and properties. Names follow the spec with the prefix as namespace:
// TPM_ALG_SHA256 -> alg::sha256, TPM_CC_GetRandom -> cc::get_random.
#pragma once
#include <cstdint>

namespace vtpm {

using tpm_handle = std::uint32_t;
using tpm_alg_id = std::uint16_t;
using tpm_cc = std::uint32_t;

inline constexpr std::uint32_t tpm_generated_value = 0xff544347; // Part 2 §6.2

/// TPM_ALG_ID (Part 2 §6.3)
namespace alg {
inline constexpr tpm_alg_id error = 0x0000, rsa = 0x0001, tdes = 0x0003, sha1 = 0x0004,
    hmac = 0x0005, aes = 0x0006, mgf1 = 0x0007, keyedhash = 0x0008, xor_ = 0x000A,
    sha256 = 0x000B, sha384 = 0x000C, sha512 = 0x000D, sha256_192 = 0x000E, null = 0x0010,
    sm3_256 = 0x0012, sm4 = 0x0013, rsassa = 0x0014, rsaes = 0x0015, rsapss = 0x0016,
    oaep = 0x0017, ecdsa = 0x0018, ecdh = 0x0019, ecdaa = 0x001A, sm2 = 0x001B,
    ecschnorr = 0x001C, ecmqv = 0x001D, kdf1_sp800_56a = 0x0020, kdf2 = 0x0021,
    kdf1_sp800_108 = 0x0022, ecc = 0x0023, symcipher = 0x0025, camellia = 0x0026,
    sha3_256 = 0x0027, sha3_384 = 0x0028, sha3_512 = 0x0029, shake128 = 0x002A,
    shake256 = 0x002B, cmac = 0x003F, ctr = 0x0040, ofb = 0x0041, cbc = 0x0042, cfb = 0x0043,
    ecb = 0x0044;
} // namespace alg

/// TPM_ECC_CURVE (Part 2 §6.4)
namespace ecc_curve {
inline constexpr std::uint16_t none = 0x0000, nist_p192 = 0x0001, nist_p224 = 0x0002,
    nist_p256 = 0x0003, nist_p384 = 0x0004, nist_p521 = 0x0005, bn_p256 = 0x0010,
    bn_p638 = 0x0011, sm2_p256 = 0x0020;
} // namespace ecc_curve

/// TPM_CC (Part 2 §6.5.2), generated from the command list in the spec.
namespace cc {
inline constexpr std::uint32_t nv_undefine_space_special = 0x0000011F; // TPM_CC_NV_UndefineSpaceSpecial
inline constexpr std::uint32_t evict_control = 0x00000120; // TPM_CC_EvictControl
inline constexpr std::uint32_t hierarchy_control = 0x00000121; // TPM_CC_HierarchyControl
inline constexpr std::uint32_t nv_undefine_space = 0x00000122; // TPM_CC_NV_UndefineSpace
inline constexpr std::uint32_t change_eps = 0x00000124; // TPM_CC_ChangeEPS
inline constexpr std::uint32_t change_pps = 0x00000125; // TPM_CC_ChangePPS
inline constexpr std::uint32_t clear = 0x00000126; // TPM_CC_Clear
inline constexpr std::uint32_t clear_control = 0x00000127; // TPM_CC_ClearControl
inline constexpr std::uint32_t clock_set = 0x00000128; // TPM_CC_ClockSet
inline constexpr std::uint32_t hierarchy_change_auth = 0x00000129; // TPM_CC_HierarchyChangeAuth
inline constexpr std::uint32_t nv_define_space = 0x0000012A; // TPM_CC_NV_DefineSpace
inline constexpr std::uint32_t pcr_allocate = 0x0000012B; // TPM_CC_PCR_Allocate
inline constexpr std::uint32_t pcr_set_auth_policy = 0x0000012C; // TPM_CC_PCR_SetAuthPolicy
inline constexpr std::uint32_t pp_commands = 0x0000012D; // TPM_CC_PP_Commands
inline constexpr std::uint32_t set_primary_policy = 0x0000012E; // TPM_CC_SetPrimaryPolicy
inline constexpr std::uint32_t field_upgrade_start = 0x0000012F; // TPM_CC_FieldUpgradeStart
inline constexpr std::uint32_t clock_rate_adjust = 0x00000130; // TPM_CC_ClockRateAdjust
inline constexpr std::uint32_t create_primary = 0x00000131; // TPM_CC_CreatePrimary
inline constexpr std::uint32_t nv_global_write_lock = 0x00000132; // TPM_CC_NV_GlobalWriteLock
inline constexpr std::uint32_t get_command_audit_digest = 0x00000133; // TPM_CC_GetCommandAuditDigest
inline constexpr std::uint32_t nv_increment = 0x00000134; // TPM_CC_NV_Increment
inline constexpr std::uint32_t nv_set_bits = 0x00000135; // TPM_CC_NV_SetBits
inline constexpr std::uint32_t nv_extend = 0x00000136; // TPM_CC_NV_Extend
inline constexpr std::uint32_t nv_write = 0x00000137; // TPM_CC_NV_Write
inline constexpr std::uint32_t nv_write_lock = 0x00000138; // TPM_CC_NV_WriteLock
inline constexpr std::uint32_t dictionary_attack_lock_reset = 0x00000139; // TPM_CC_DictionaryAttackLockReset
inline constexpr std::uint32_t dictionary_attack_parameters = 0x0000013A; // TPM_CC_DictionaryAttackParameters
inline constexpr std::uint32_t nv_change_auth = 0x0000013B; // TPM_CC_NV_ChangeAuth
inline constexpr std::uint32_t pcr_event = 0x0000013C; // TPM_CC_PCR_Event
inline constexpr std::uint32_t pcr_reset = 0x0000013D; // TPM_CC_PCR_Reset
inline constexpr std::uint32_t sequence_complete = 0x0000013E; // TPM_CC_SequenceComplete
inline constexpr std::uint32_t set_algorithm_set = 0x0000013F; // TPM_CC_SetAlgorithmSet
inline constexpr std::uint32_t set_command_code_audit_status = 0x00000140; // TPM_CC_SetCommandCodeAuditStatus
inline constexpr std::uint32_t field_upgrade_data = 0x00000141; // TPM_CC_FieldUpgradeData
inline constexpr std::uint32_t incremental_self_test = 0x00000142; // TPM_CC_IncrementalSelfTest
inline constexpr std::uint32_t self_test = 0x00000143; // TPM_CC_SelfTest
inline constexpr std::uint32_t startup = 0x00000144; // TPM_CC_Startup
inline constexpr std::uint32_t shutdown = 0x00000145; // TPM_CC_Shutdown
inline constexpr std::uint32_t stir_random = 0x00000146; // TPM_CC_StirRandom
inline constexpr std::uint32_t activate_credential = 0x00000147; // TPM_CC_ActivateCredential
inline constexpr std::uint32_t certify = 0x00000148; // TPM_CC_Certify
inline constexpr std::uint32_t policy_nv = 0x00000149; // TPM_CC_PolicyNV
inline constexpr std::uint32_t certify_creation = 0x0000014A; // TPM_CC_CertifyCreation
inline constexpr std::uint32_t duplicate = 0x0000014B; // TPM_CC_Duplicate
inline constexpr std::uint32_t get_time = 0x0000014C; // TPM_CC_GetTime
inline constexpr std::uint32_t get_session_audit_digest = 0x0000014D; // TPM_CC_GetSessionAuditDigest
inline constexpr std::uint32_t nv_read = 0x0000014E; // TPM_CC_NV_Read
inline constexpr std::uint32_t nv_read_lock = 0x0000014F; // TPM_CC_NV_ReadLock
inline constexpr std::uint32_t object_change_auth = 0x00000150; // TPM_CC_ObjectChangeAuth
inline constexpr std::uint32_t policy_secret = 0x00000151; // TPM_CC_PolicySecret
inline constexpr std::uint32_t rewrap = 0x00000152; // TPM_CC_Rewrap
inline constexpr std::uint32_t create = 0x00000153; // TPM_CC_Create
inline constexpr std::uint32_t ecdh_zgen = 0x00000154; // TPM_CC_ECDH_ZGen
inline constexpr std::uint32_t hmac = 0x00000155; // TPM_CC_HMAC
inline constexpr std::uint32_t mac = 0x00000155; // TPM_CC_MAC
inline constexpr std::uint32_t import = 0x00000156; // TPM_CC_Import
inline constexpr std::uint32_t load = 0x00000157; // TPM_CC_Load
inline constexpr std::uint32_t quote = 0x00000158; // TPM_CC_Quote
inline constexpr std::uint32_t rsa_decrypt = 0x00000159; // TPM_CC_RSA_Decrypt
inline constexpr std::uint32_t hmac_start = 0x0000015B; // TPM_CC_HMAC_Start
inline constexpr std::uint32_t mac_start = 0x0000015B; // TPM_CC_MAC_Start
inline constexpr std::uint32_t sequence_update = 0x0000015C; // TPM_CC_SequenceUpdate
inline constexpr std::uint32_t sign = 0x0000015D; // TPM_CC_Sign
inline constexpr std::uint32_t unseal = 0x0000015E; // TPM_CC_Unseal
inline constexpr std::uint32_t policy_signed = 0x00000160; // TPM_CC_PolicySigned
inline constexpr std::uint32_t context_load = 0x00000161; // TPM_CC_ContextLoad
inline constexpr std::uint32_t context_save = 0x00000162; // TPM_CC_ContextSave
inline constexpr std::uint32_t ecdh_keygen = 0x00000163; // TPM_CC_ECDH_KeyGen
inline constexpr std::uint32_t encrypt_decrypt = 0x00000164; // TPM_CC_EncryptDecrypt
inline constexpr std::uint32_t flush_context = 0x00000165; // TPM_CC_FlushContext
inline constexpr std::uint32_t load_external = 0x00000167; // TPM_CC_LoadExternal
inline constexpr std::uint32_t make_credential = 0x00000168; // TPM_CC_MakeCredential
inline constexpr std::uint32_t nv_read_public = 0x00000169; // TPM_CC_NV_ReadPublic
inline constexpr std::uint32_t policy_authorize = 0x0000016A; // TPM_CC_PolicyAuthorize
inline constexpr std::uint32_t policy_auth_value = 0x0000016B; // TPM_CC_PolicyAuthValue
inline constexpr std::uint32_t policy_command_code = 0x0000016C; // TPM_CC_PolicyCommandCode
inline constexpr std::uint32_t policy_counter_timer = 0x0000016D; // TPM_CC_PolicyCounterTimer
inline constexpr std::uint32_t policy_cp_hash = 0x0000016E; // TPM_CC_PolicyCpHash
inline constexpr std::uint32_t policy_locality = 0x0000016F; // TPM_CC_PolicyLocality
inline constexpr std::uint32_t policy_name_hash = 0x00000170; // TPM_CC_PolicyNameHash
inline constexpr std::uint32_t policy_or = 0x00000171; // TPM_CC_PolicyOR
inline constexpr std::uint32_t policy_ticket = 0x00000172; // TPM_CC_PolicyTicket
inline constexpr std::uint32_t read_public = 0x00000173; // TPM_CC_ReadPublic
inline constexpr std::uint32_t rsa_encrypt = 0x00000174; // TPM_CC_RSA_Encrypt
inline constexpr std::uint32_t start_auth_session = 0x00000176; // TPM_CC_StartAuthSession
inline constexpr std::uint32_t verify_signature = 0x00000177; // TPM_CC_VerifySignature
inline constexpr std::uint32_t ecc_parameters = 0x00000178; // TPM_CC_ECC_Parameters
inline constexpr std::uint32_t firmware_read = 0x00000179; // TPM_CC_FirmwareRead
inline constexpr std::uint32_t get_capability = 0x0000017A; // TPM_CC_GetCapability
inline constexpr std::uint32_t get_random = 0x0000017B; // TPM_CC_GetRandom
inline constexpr std::uint32_t get_test_result = 0x0000017C; // TPM_CC_GetTestResult
inline constexpr std::uint32_t hash = 0x0000017D; // TPM_CC_Hash
inline constexpr std::uint32_t pcr_read = 0x0000017E; // TPM_CC_PCR_Read
inline constexpr std::uint32_t policy_pcr = 0x0000017F; // TPM_CC_PolicyPCR
inline constexpr std::uint32_t policy_restart = 0x00000180; // TPM_CC_PolicyRestart
inline constexpr std::uint32_t read_clock = 0x00000181; // TPM_CC_ReadClock
inline constexpr std::uint32_t pcr_extend = 0x00000182; // TPM_CC_PCR_Extend
inline constexpr std::uint32_t pcr_set_auth_value = 0x00000183; // TPM_CC_PCR_SetAuthValue
inline constexpr std::uint32_t nv_certify = 0x00000184; // TPM_CC_NV_Certify
inline constexpr std::uint32_t event_sequence_complete = 0x00000185; // TPM_CC_EventSequenceComplete
inline constexpr std::uint32_t hash_sequence_start = 0x00000186; // TPM_CC_HashSequenceStart
inline constexpr std::uint32_t policy_physical_presence = 0x00000187; // TPM_CC_PolicyPhysicalPresence
inline constexpr std::uint32_t policy_duplication_select = 0x00000188; // TPM_CC_PolicyDuplicationSelect
inline constexpr std::uint32_t policy_get_digest = 0x00000189; // TPM_CC_PolicyGetDigest
inline constexpr std::uint32_t test_parms = 0x0000018A; // TPM_CC_TestParms
inline constexpr std::uint32_t commit = 0x0000018B; // TPM_CC_Commit
inline constexpr std::uint32_t policy_password = 0x0000018C; // TPM_CC_PolicyPassword
inline constexpr std::uint32_t zgen_2phase = 0x0000018D; // TPM_CC_ZGen_2Phase
inline constexpr std::uint32_t ec_ephemeral = 0x0000018E; // TPM_CC_EC_Ephemeral
inline constexpr std::uint32_t policy_nv_written = 0x0000018F; // TPM_CC_PolicyNvWritten
inline constexpr std::uint32_t policy_template = 0x00000190; // TPM_CC_PolicyTemplate
inline constexpr std::uint32_t create_loaded = 0x00000191; // TPM_CC_CreateLoaded
inline constexpr std::uint32_t policy_authorize_nv = 0x00000192; // TPM_CC_PolicyAuthorizeNV
inline constexpr std::uint32_t encrypt_decrypt2 = 0x00000193; // TPM_CC_EncryptDecrypt2
inline constexpr std::uint32_t ac_get_capability = 0x00000194; // TPM_CC_AC_GetCapability
inline constexpr std::uint32_t ac_send = 0x00000195; // TPM_CC_AC_Send
inline constexpr std::uint32_t policy_ac_send_select = 0x00000196; // TPM_CC_Policy_AC_SendSelect
inline constexpr std::uint32_t certify_x509 = 0x00000197; // TPM_CC_CertifyX509
inline constexpr std::uint32_t act_set_timeout = 0x00000198; // TPM_CC_ACT_SetTimeout
inline constexpr std::uint32_t ecc_encrypt = 0x00000199; // TPM_CC_ECC_Encrypt
inline constexpr std::uint32_t ecc_decrypt = 0x0000019A; // TPM_CC_ECC_Decrypt
inline constexpr std::uint32_t policy_capability = 0x0000019B; // TPM_CC_PolicyCapability
inline constexpr std::uint32_t policy_parameters = 0x0000019C; // TPM_CC_PolicyParameters
inline constexpr std::uint32_t nv_define_space2 = 0x0000019D; // TPM_CC_NV_DefineSpace2
inline constexpr std::uint32_t nv_read_public2 = 0x0000019E; // TPM_CC_NV_ReadPublic2
inline constexpr std::uint32_t set_capability = 0x0000019F; // TPM_CC_SetCapability
inline constexpr std::uint32_t read_only_control = 0x000001A0; // TPM_CC_ReadOnlyControl
inline constexpr std::uint32_t policy_transport_spdm = 0x000001A1; // TPM_CC_PolicyTransportSPDM
inline constexpr std::uint32_t verify_sequence_complete = 0x000001A3; // TPM_CC_VerifySequenceComplete
inline constexpr std::uint32_t sign_sequence_complete = 0x000001A4; // TPM_CC_SignSequenceComplete
inline constexpr std::uint32_t verify_digest_signature = 0x000001A5; // TPM_CC_VerifyDigestSignature
inline constexpr std::uint32_t sign_digest = 0x000001A6; // TPM_CC_SignDigest
inline constexpr std::uint32_t encapsulate = 0x000001A7; // TPM_CC_Encapsulate
inline constexpr std::uint32_t decapsulate = 0x000001A8; // TPM_CC_Decapsulate
inline constexpr std::uint32_t verify_sequence_start = 0x000001A9; // TPM_CC_VerifySequenceStart
inline constexpr std::uint32_t sign_sequence_start = 0x000001AA; // TPM_CC_SignSequenceStart
inline constexpr std::uint32_t vendor_tcg_test = 0x20000000; // TPM_CC_Vendor_TCG_Test
inline constexpr std::uint32_t first = 0x0000011F;
inline constexpr std::uint32_t last = 0x000001AA;
} // namespace cc

/// TPM_ST (Part 2 §6.9)
namespace st {
inline constexpr std::uint16_t rsp_command = 0x00C4, null = 0x8000, no_sessions = 0x8001,
    sessions = 0x8002, attest_nv = 0x8014, attest_command_audit = 0x8015,
    attest_session_audit = 0x8016, attest_certify = 0x8017, attest_quote = 0x8018,
    attest_time = 0x8019, attest_creation = 0x801A, attest_nv_digest = 0x801C,
    creation = 0x8021, verified = 0x8022, auth_secret = 0x8023, hashcheck = 0x8024,
    auth_signed = 0x8025, fu_manifest = 0x8029;
} // namespace st

/// TPM_SU (Part 2 §6.10)
namespace su {
inline constexpr std::uint16_t clear = 0x0000, state = 0x0001;
}

/// TPM_SE (Part 2 §6.11)
namespace se {
inline constexpr std::uint8_t hmac = 0x00, policy = 0x01, trial = 0x03;
}

/// TPM_CAP (Part 2 §6.12)
namespace cap {
inline constexpr std::uint32_t algs = 0, handles = 1, commands = 2, pp_commands = 3,
    audit_commands = 4, pcrs = 5, tpm_properties = 6, pcr_properties = 7, ecc_curves = 8,
    auth_policies = 9, act = 10, last = 10, vendor_property = 0x100;
} // namespace cap

/// TPM_PT (Part 2 §6.13)
namespace pt {
inline constexpr std::uint32_t none = 0, pt_group = 0x100, pt_fixed = 0x100, pt_var = 0x200;
inline constexpr std::uint32_t family_indicator = 0x100, level = 0x101, revision = 0x102,
    day_of_year = 0x103, year = 0x104, manufacturer = 0x105, vendor_string_1 = 0x106,
    vendor_string_2 = 0x107, vendor_string_3 = 0x108, vendor_string_4 = 0x109,
    vendor_tpm_type = 0x10A, firmware_version_1 = 0x10B, firmware_version_2 = 0x10C,
    input_buffer = 0x10D, hr_transient_min = 0x10E, hr_persistent_min = 0x10F,
    hr_loaded_min = 0x110, active_sessions_max = 0x111, pcr_count = 0x112,
    pcr_select_min = 0x113, context_gap_max = 0x114, nv_counters_max = 0x116,
    nv_index_max = 0x117, memory = 0x118, clock_update = 0x119, context_hash = 0x11A,
    context_sym = 0x11B, context_sym_size = 0x11C, orderly_count = 0x11D,
    max_command_size = 0x11E, max_response_size = 0x11F, max_digest = 0x120,
    max_object_context = 0x121, max_session_context = 0x122, ps_family_indicator = 0x123,
    ps_level = 0x124, ps_revision = 0x125, ps_day_of_year = 0x126, ps_year = 0x127,
    split_max = 0x128, total_commands = 0x129, library_commands = 0x12A,
    vendor_commands = 0x12B, nv_buffer_max = 0x12C, modes = 0x12D, max_cap_buffer = 0x12E,
    firmware_svn = 0x12F, firmware_max_svn = 0x130;
inline constexpr std::uint32_t permanent = 0x200, startup_clear = 0x201, hr_nv_index = 0x202,
    hr_loaded = 0x203, hr_loaded_avail = 0x204, hr_active = 0x205, hr_active_avail = 0x206,
    hr_transient_avail = 0x207, hr_persistent = 0x208, hr_persistent_avail = 0x209,
    nv_counters = 0x20A, nv_counters_avail = 0x20B, algorithm_set = 0x20C,
    loaded_curves = 0x20D, lockout_counter = 0x20E, max_auth_fail = 0x20F,
    lockout_interval = 0x210, lockout_recovery = 0x211, nv_write_recovery = 0x212,
    audit_counter_0 = 0x213, audit_counter_1 = 0x214;
} // namespace pt

/// TPM_PT_PCR (Part 2 §6.14)
namespace pt_pcr {
inline constexpr std::uint32_t save = 0x00, extend_l0 = 0x01, reset_l0 = 0x02,
    extend_l1 = 0x03, reset_l1 = 0x04, extend_l2 = 0x05, reset_l2 = 0x06, extend_l3 = 0x07,
    reset_l3 = 0x08, extend_l4 = 0x09, reset_l4 = 0x0A, no_increment = 0x11,
    drtm_reset = 0x12, policy = 0x13, auth = 0x14, last = 0x14;
} // namespace pt_pcr

/// TPM_HT (Part 2 §7.2)
namespace ht {
inline constexpr std::uint8_t pcr = 0x00, nv_index = 0x01, hmac_session = 0x02,
    loaded_session = 0x02, policy_session = 0x03, saved_session = 0x03, permanent = 0x40,
    transient = 0x80, persistent = 0x81, ac = 0x90;
}
[[nodiscard]] constexpr std::uint8_t handle_type(tpm_handle h) noexcept {
    return static_cast<std::uint8_t>(h >> 24);
}

/// TPM_RH / TPM_RS (Part 2 §7.4)
namespace rh {
inline constexpr tpm_handle srk = 0x40000000, owner = 0x40000001, revoke = 0x40000002,
    transport = 0x40000003, operator_ = 0x40000004, admin = 0x40000005, ek = 0x40000006,
    null = 0x40000007, unassigned = 0x40000008, pw = 0x40000009, lockout = 0x4000000A,
    endorsement = 0x4000000B, platform = 0x4000000C, platform_nv = 0x4000000D,
    auth_00 = 0x40000010, auth_ff = 0x4000010F, act_0 = 0x40000110, act_f = 0x4000011F;
}

/// Handle ranges (Part 2 §7.5)
namespace hr {
inline constexpr tpm_handle pcr_first = 0x00000000, nv_index_first = 0x01000000,
    nv_index_last = 0x01FFFFFF, hmac_session_first = 0x02000000,
    policy_session_first = 0x03000000, transient_first = 0x80000000,
    persistent_first = 0x81000000, persistent_last = 0x81FFFFFF,
    platform_persistent_first = 0x81800000;
} // namespace hr

/// TPMA_ALGORITHM bits (Part 2 §8.2)
namespace tpma_algorithm {
inline constexpr std::uint32_t asymmetric = 1u << 0, symmetric = 1u << 1, hash = 1u << 2,
    object = 1u << 3, signing = 1u << 8, encrypting = 1u << 9, method = 1u << 10;
}

/// TPMA_SESSION bits (Part 2 §8.4)
namespace tpma_session {
inline constexpr std::uint8_t continue_session = 1u << 0, audit_exclusive = 1u << 1,
    audit_reset = 1u << 2, reserved = 0x18, decrypt = 1u << 5, encrypt = 1u << 6,
    audit = 1u << 7;
}

/// TPMA_PERMANENT bits (Part 2 §8.6)
namespace tpma_permanent {
inline constexpr std::uint32_t owner_auth_set = 1u << 0, endorsement_auth_set = 1u << 1,
    lockout_auth_set = 1u << 2, disable_clear = 1u << 8, in_lockout = 1u << 9,
    tpm_generated_eps = 1u << 10;
}

/// TPMA_STARTUP_CLEAR bits (Part 2 §8.7)
namespace tpma_startup_clear {
inline constexpr std::uint32_t ph_enable = 1u << 0, sh_enable = 1u << 1, eh_enable = 1u << 2,
    ph_enable_nv = 1u << 3, orderly = 1u << 31;
inline constexpr std::uint32_t read_only = 1u << 4; // v1.85
}

/// TPMA_CC fields (Part 2 §8.9)
namespace tpma_cc {
inline constexpr std::uint32_t command_index = 0xFFFF, nv = 1u << 22, extensive = 1u << 23,
    flushed = 1u << 24, c_handles_shift = 25, r_handle = 1u << 28, v = 1u << 29;
}

/// TPMA_MODES bits (Part 2 §8.10)
namespace tpma_modes {
inline constexpr std::uint32_t fips_140_2 = 1u << 0, fips_140_3 = 1u << 1;
}

} // namespace vtpm
