// Errors of the platform layer (key providers, NVRAM files, EK provisioning, vtpmctl).
// Each error carries a code (for programs and tests) and a one-line message that says what
// failed, where, and what to do, starting with "vtpm:".
#pragma once
#include <stdexcept>
#include <string>

namespace vtpm::platform {

enum class errc {
    io = 1,                  // a file could not be read or written
    bad_format,              // a file is not what it claims to be (magic, version, sizes)
    provider_not_found,      // the key provider named by a file or a command does not exist
    provider_not_backed_up,  // a native key provider must be backed up before first use
    tpm_device_required,     // "use only on hosts with a hardware TPM" and the host has none
    wrong_provider,          // a provider with the right id but another key (unwrap failed)
    tampered,                // authentication of an NVRAM file failed
    other_vm,                // the NVRAM file belongs to another VM
    bad_password,            // the PKCS#12 MAC does not verify
    exists,                  // creating something that already exists
    not_found,               // a VM, TPM or certificate that does not exist
    in_use,                  // the VM's TPM state is locked by a running server
    key_mismatch,            // a certificate whose public key is not the EK's
    tpm_error,               // a TPM command failed
    invalid_argument,        // bad input from the caller
};

class error : public std::runtime_error {
public:
    error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    [[nodiscard]] errc code() const noexcept { return code_; }

private:
    errc code_;
};

} // namespace vtpm::platform
