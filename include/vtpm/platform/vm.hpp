// A host's vTPM platform: key providers, VMs, their TPMs and EK certificates, clone and
// migration (docs/platform.md).
//
// Layout of a host directory (HOME):
//   HOME/providers/          provider_store (native key providers, default provider)
//   HOME/ca/                 the local EK CA (ek::local_ca)
//   HOME/clone-policy        the default TPM provision policy of clones: copy | replace
//   HOME/vms/NAME/vm.conf    id=UUID, name=NAME, eks=rsa2048,ecc256 (the TPM's EKs)
//   HOME/vms/NAME/tpm.nvram  the encrypted NVRAM file (nvram.hpp); present = the VM has a TPM
//   HOME/vms/NAME/ek-KIND.crt  EK certificates (DER)
//   HOME/vms/NAME/lock       flock()ed by whoever runs the TPM (vtpm-server takes DIR/lock)
//
// This header runs TPMs of the botan_file platform, so it includes every command handler
// (vtpm/vtpm.hpp): include it only where VMs are managed.
#pragma once
#include <botan/auto_rng.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <botan/rng.h>

#include "vtpm/engine/tpm.hpp"
#include "vtpm/vtpm.hpp"
#include "vtpm/platform/atomic_file.hpp"
#include "vtpm/platform/ek.hpp"
#include "vtpm/platform/error.hpp"
#include "vtpm/platform/key_provider.hpp"
#include "vtpm/platform/nvram.hpp"
#include "vtpm/platform/provider_store.hpp"
#include "vtpm/platforms/botan_file.hpp"
#include "vtpm/testing/command.hpp"

namespace vtpm::platform {

/// The TPM of a VM: the platform vtpm-server runs.
using vm_tpm = tpm<platforms::botan_file>;

enum class clone_policy {
    copy,    // the clone gets an identical TPM: same seeds, EKs, NV contents, keys
    replace, // the clone gets a new TPM: new seeds, new EKs and certificates, nothing of the source
};
inline std::optional<clone_policy> clone_policy_from(std::string_view s) {
    if (s == "copy") return clone_policy::copy;
    if (s == "replace") return clone_policy::replace;
    return std::nullopt;
}
inline const char* to_string(clone_policy p) { return p == clone_policy::copy ? "copy" : "replace"; }

struct vm_record {
    std::string id;
    std::string name;
    std::filesystem::path dir;
    std::vector<ek::kind> eks;
};

/// An exclusive flock() on VM_DIR/lock, as vtpm-server takes on its state directory.
class vm_lock {
public:
    explicit vm_lock(const std::filesystem::path& dir, const std::string& vm_name) {
        const auto p = dir / "lock";
        fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) throw error(errc::io, "vtpm: cannot open " + p.string() + "; check the permissions of " + dir.string());
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd_);
            throw error(errc::in_use, "vtpm: the TPM of VM '" + vm_name + "' is in use (" + p.string() +
                                          " is locked by a running vtpm-server); power off the VM and stop its server first");
        }
    }
    vm_lock(const vm_lock&) = delete;
    vm_lock& operator=(const vm_lock&) = delete;
    ~vm_lock() { ::close(fd_); }

private:
    int fd_ = -1;
};

/// The default EKs of a new TPM: the low range (RSA 2048, ECC P-256).
inline std::vector<ek::kind> default_eks() { return {ek::kind::rsa2048, ek::kind::ecc_p256}; }

class host;

/// A VM's TPM opened to run it: holds the VM lock until destroyed (so the TPM cannot be
/// removed, replaced or migrated meanwhile) and writes the state back under the same
/// provider and data key. The TPM is loaded and powered off; the caller powers it on.
/// Made by host::open_session(); what a server serving a VM's TPM needs.
class vm_session {
public:
    [[nodiscard]] vm_tpm& tpm() noexcept { return *tpm_; }
    [[nodiscard]] const vm_record& vm() const noexcept { return vm_; }
    /// Encrypt the TPM's current state and replace the NVRAM file atomically.
    void save(Botan::RandomNumberGenerator& rng) { save(tpm_->save_state(), rng); }
    /// Encrypt a state of this VM's TPM (tpm::save_state() of the TPM that runs it) and replace
    /// the NVRAM file atomically.
    void save(bytes state, Botan::RandomNumberGenerator& rng) {
        try {
            nvram::store(vm_.dir / "tpm.nvram", provider_, vm_.id, data_key_, state, rng);
        } catch (...) {
            secure_zero(state.data(), state.size());
            throw;
        }
        secure_zero(state.data(), state.size());
    }

private:
    friend class host;
    vm_session(vm_record vm, std::unique_ptr<vm_lock> lock, native_key_provider p, secret key, std::unique_ptr<vm_tpm> t)
        : vm_(std::move(vm)), lock_(std::move(lock)), provider_(std::move(p)), data_key_(std::move(key)), tpm_(std::move(t)) {}
    vm_record vm_;
    std::unique_ptr<vm_lock> lock_;
    native_key_provider provider_;
    secret data_key_;
    std::unique_ptr<vm_tpm> tpm_;
};

class host {
public:
    explicit host(std::filesystem::path home, host_tpm_check check = host_has_tpm2)
        : home_(std::move(home)), providers_(home_ / "providers", check) {}

    [[nodiscard]] const std::filesystem::path& home() const noexcept { return home_; }
    provider_store& providers() noexcept { return providers_; }
    [[nodiscard]] const provider_store& providers() const noexcept { return providers_; }

    // --- VMs ------------------------------------------------------------------------------

    vm_record create_vm(const std::string& name, Botan::RandomNumberGenerator& rng) {
        if (!valid_name(name)) throw error(errc::invalid_argument, "vtpm: '" + name + "' is not a valid VM name; use 1-64 printable characters without spaces or '/'");
        const auto dir = vms_dir() / name;
        if (std::filesystem::exists(dir)) throw error(errc::exists, "vtpm: VM '" + name + "' exists already; choose another name");
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) throw error(errc::io, "vtpm: cannot create " + dir.string() + ": " + ec.message());
        vm_record vm{make_provider_id(rng), name, dir, {}};
        write_conf(vm);
        return vm;
    }

    [[nodiscard]] std::vector<vm_record> list_vms() const {
        std::vector<vm_record> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(vms_dir(), ec))
            if (std::filesystem::exists(e.path() / "vm.conf")) out.push_back(read_conf(e.path()));
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        return out;
    }

    [[nodiscard]] vm_record get_vm(std::string_view name) const {
        if (!valid_name(name) || !std::filesystem::exists(vms_dir() / std::string(name) / "vm.conf"))
            throw error(errc::not_found, "vtpm: there is no VM '" + std::string(name) + "' in " + vms_dir().string() + "; see vtpmctl vm list");
        return read_conf(vms_dir() / std::string(name));
    }

    /// Remove a VM and its TPM (refused while its TPM is running).
    void remove_vm(std::string_view name) {
        const auto vm = get_vm(name);
        vm_lock lock(vm.dir, vm.name);
        std::filesystem::remove_all(vm.dir);
    }

    // --- TPMs -----------------------------------------------------------------------------

    [[nodiscard]] static bool has_tpm(const vm_record& vm) { return std::filesystem::exists(nvram_path(vm)); }
    [[nodiscard]] static std::filesystem::path nvram_path(const vm_record& vm) { return vm.dir / "tpm.nvram"; }
    [[nodiscard]] static std::filesystem::path cert_path(const vm_record& vm, ek::kind k) {
        return vm.dir / ("ek-" + std::string(ek::spec_of(k).name) + ".crt");
    }

    /// The local EK CA of this host (created on first use).
    ek::local_ca ca(Botan::RandomNumberGenerator& rng) { return ek::local_ca::open_or_create(home_ / "ca", rng); }

    /// Give a VM a new TPM: new seeds, the EKs of `eks` with certificates from `signer` (the
    /// local CA if null), the state encrypted under `provider` (the default one if empty).
    /// Refused while the VM's TPM is running, if the VM has a TPM, or if the provider has not
    /// been backed up.
    void add_tpm(std::string_view vm_name, std::string_view provider, const std::vector<ek::kind>& eks,
                 Botan::RandomNumberGenerator& rng, ek::cert_signer* signer = nullptr) {
        auto vm = get_vm(vm_name);
        vm_lock lock(vm.dir, vm.name);
        if (has_tpm(vm)) throw error(errc::exists, "vtpm: VM '" + vm.name + "' has a TPM already; remove it first (vtpmctl tpm remove " + vm.name + ")");
        const auto p = providers_.resolve(provider);
        p.require_ready_for_new_vtpm();
        provision(vm, p, eks, nvram::new_data_key(rng), rng, signer);
    }

    /// Remove a VM's TPM: its state and EK certificates are deleted. Everything the guest
    /// protected with the TPM (disk encryption keys sealed to it, credentials) is lost.
    void remove_tpm(std::string_view vm_name) {
        auto vm = get_vm(vm_name);
        vm_lock lock(vm.dir, vm.name);
        if (!has_tpm(vm)) throw error(errc::not_found, "vtpm: VM '" + vm.name + "' has no TPM");
        std::filesystem::remove(nvram_path(vm));
        for (const auto& s : ek::specs) std::filesystem::remove(cert_path(vm, s.k));
        vm.eks.clear();
        write_conf(vm);
    }

    /// The header of a VM's NVRAM file (no key needed).
    [[nodiscard]] nvram::header tpm_header(const vm_record& vm) const {
        require_tpm(vm);
        return nvram::read_header(read_file(nvram_path(vm)), nvram_path(vm).string());
    }

    /// Decrypt a VM's TPM state.
    [[nodiscard]] nvram::opened open_tpm(const vm_record& vm) const {
        require_tpm(vm);
        return nvram::load(nvram_path(vm), vm.id, finder());
    }

    /// The VM's TPM, loaded, powered on and started (TPM2_Startup(CLEAR)).
    [[nodiscard]] std::unique_ptr<vm_tpm> start_tpm(const vm_record& vm) const {
        const auto o = open_tpm(vm);
        auto t = std::make_unique<vm_tpm>();
        if (auto err = t->load_state(byte_view{o.state.data(), o.state.size()}))
            throw error(errc::bad_format, "vtpm: the TPM state of VM '" + vm.name + "' cannot be loaded: " + *err);
        t->power_on();
        const auto r = testing::run(*t, testing::startup_command());
        if (r.rc != 0) throw error(errc::tpm_error, "vtpm: TPM2_Startup of VM '" + vm.name + "' failed");
        return t;
    }

    /// Open a VM's TPM to run it (see vm_session). Refused while another holder has the lock.
    [[nodiscard]] vm_session open_session(std::string_view vm_name) const {
        auto vm = get_vm(vm_name);
        auto lock = std::make_unique<vm_lock>(vm.dir, vm.name);
        auto o = open_tpm(vm);
        auto p = providers_.get(o.hdr.provider_id);
        auto t = std::make_unique<vm_tpm>();
        if (auto err = t->load_state(byte_view{o.state.data(), o.state.size()}))
            throw error(errc::bad_format, "vtpm: the TPM state of VM '" + vm.name + "' cannot be loaded: " + *err);
        return vm_session(std::move(vm), std::move(lock), std::move(p), std::move(o.data_key), std::move(t));
    }

    /// Write a TPM's state back to the VM's NVRAM file, under the same provider and data key
    /// (what a server running the VM's TPM does after commands that change NV).
    void save_tpm(const vm_record& vm, vm_tpm& t, Botan::RandomNumberGenerator& rng) const {
        const auto o = open_tpm(vm);
        const auto p = providers_.get(o.hdr.provider_id);
        bytes state = t.save_state();
        try {
            nvram::store(nvram_path(vm), p, vm.id, o.data_key, state, rng);
        } catch (...) {
            secure_zero(state.data(), state.size());
            throw;
        }
        secure_zero(state.data(), state.size());
    }

    /// The EKs of a VM's TPM (re-derived by TPM2_CreatePrimary).
    [[nodiscard]] std::vector<ek::public_key> eks(const vm_record& vm) const {
        auto t = start_tpm(vm);
        std::vector<ek::public_key> out;
        for (auto k : vm.eks) out.push_back(ek::create(*t, k));
        return out;
    }
    [[nodiscard]] ek::public_key ek_of(const vm_record& vm, ek::kind k) const {
        require_ek(vm, k);
        auto t = start_tpm(vm);
        return ek::create(*t, k);
    }
    [[nodiscard]] std::string csr(const vm_record& vm, ek::kind k, Botan::RandomNumberGenerator& rng) const {
        require_ek(vm, k);
        auto t = start_tpm(vm);
        return ek::make_csr(*t, k, rng, vm.name);
    }
    /// Replace an EK certificate (e.g. with one of an enterprise CA): refused unless it
    /// certifies that EK's public key.
    void set_certificate(std::string_view vm_name, ek::kind k, const Botan::X509_Certificate& cert) {
        const auto vm = get_vm(vm_name);
        vm_lock lock(vm.dir, vm.name);
        ek::check_certificate(cert, ek_of(vm, k));
        const auto der = cert.BER_encode();
        // The NV index too: undefined (platform authorization) and defined again with the new
        // certificate; the state is written back under the same provider and data key.
        auto t = start_tpm(vm);
        const std::uint32_t index = ek::spec_of(k).cert_index;
        (void)testing::run(*t, testing::command_builder(cc::nv_undefine_space).handle(rh::platform).handle(index).password().build());
        ek::write_certificates_to_nv(*t, {{k, bytes(der.begin(), der.end())}});
        Botan::AutoSeeded_RNG rng;
        save_tpm(vm, *t, rng);
        write_file_atomic(cert_path(vm, k), der);
    }

    // --- lifecycle ------------------------------------------------------------------------

    [[nodiscard]] clone_policy default_clone_policy() const {
        std::error_code ec;
        if (!std::filesystem::exists(home_ / "clone-policy", ec)) return clone_policy::copy;
        auto b = read_file(home_ / "clone-policy");
        std::string s(b.begin(), b.end());
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        if (auto p = clone_policy_from(s)) return *p;
        throw error(errc::bad_format, "vtpm: " + (home_ / "clone-policy").string() + " must say copy or replace");
    }
    void set_default_clone_policy(clone_policy p) {
        std::error_code ec;
        std::filesystem::create_directories(home_, ec);
        const std::string s = std::string(to_string(p)) + "\n";
        write_file_atomic(home_ / "clone-policy", byte_view{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    }

    /// Clone VM `src` as `dst`. copy: the same TPM state (re-encrypted for the new VM id,
    /// under the same provider, with a new data key) and the same certificates. replace: a
    /// new TPM with the source's EK kinds, under the same provider.
    vm_record clone_vm(std::string_view src, const std::string& dst, clone_policy policy, Botan::RandomNumberGenerator& rng,
                       ek::cert_signer* signer = nullptr) {
        const auto from = get_vm(src);
        std::optional<nvram::opened> state;
        std::optional<native_key_provider> p;
        if (has_tpm(from)) {
            state = open_tpm(from);
            p = providers_.get(state->hdr.provider_id);
            if (policy == clone_policy::replace) p->require_ready_for_new_vtpm();
        }
        auto to = create_vm(dst, rng);
        try {
            if (state && policy == clone_policy::copy) {
                for (auto k : from.eks)
                    if (std::filesystem::exists(cert_path(from, k))) std::filesystem::copy_file(cert_path(from, k), cert_path(to, k));
                nvram::store(nvram_path(to), *p, to.id, nvram::new_data_key(rng), byte_view{state->state.data(), state->state.size()}, rng);
                to.eks = from.eks;
                write_conf(to);
            } else if (state) {
                provision(to, *p, from.eks, nvram::new_data_key(rng), rng, signer);
            }
        } catch (...) {
            std::error_code ec;
            std::filesystem::remove_all(to.dir, ec);
            throw;
        }
        return to;
    }

    /// Move VM `name` to host `target` (another host directory). Without `target_provider`
    /// the file moves as it is and the target must have the same key provider (same id, same
    /// key); with it, the state is re-encrypted under that provider of the target (the native
    /// key provider of this host must be able to open it). The source is removed only after
    /// the target has its copy; on any error the source is unchanged.
    vm_record migrate_vm(std::string_view name, host& target, std::string_view target_provider, Botan::RandomNumberGenerator& rng) {
        const auto vm = get_vm(name);
        vm_lock lock(vm.dir, vm.name);
        if (std::filesystem::exists(target.vms_dir() / vm.name))
            throw error(errc::exists, "vtpm: VM '" + vm.name + "' exists already on the target host " + target.home().string());
        std::optional<bytes> file;
        if (has_tpm(vm)) {
            if (target_provider.empty()) {
                const auto h = tpm_header(vm);
                const auto tp = target.providers().find(h.provider_id);
                if (!tp)
                    throw error(errc::provider_not_found, "vtpm: the target host " + target.home().string() + " does not have key provider " +
                                                              h.provider_id + " that protects VM '" + vm.name +
                                                              "'; restore that provider's backup there, or re-encrypt with --to-provider");
                if (!ct_equal(tp->key_check_value(), h.key_check))
                    throw error(errc::wrong_provider, "vtpm: key provider " + h.provider_id + " on the target host has another key; restore the right backup there");
                file = read_file(nvram_path(vm));
            } else {
                const auto o = open_tpm(vm);
                const auto tp = target.providers().get(target_provider);
                file = nvram::seal(tp, vm.id, nvram::new_data_key(rng), byte_view{o.state.data(), o.state.size()}, rng);
            }
        }
        const auto tmp = target.vms_dir() / ("." + vm.name + ".incoming");
        std::error_code ec;
        std::filesystem::remove_all(tmp, ec);
        std::filesystem::create_directories(tmp, ec);
        if (ec) throw error(errc::io, "vtpm: cannot create " + tmp.string() + ": " + ec.message());
        try {
            for (auto k : vm.eks)
                if (std::filesystem::exists(cert_path(vm, k))) std::filesystem::copy_file(cert_path(vm, k), tmp / cert_path(vm, k).filename());
            vm_record moved{vm.id, vm.name, tmp, vm.eks};
            if (file) write_file_atomic(nvram_path(moved), *file);
            write_conf(moved);
            std::filesystem::rename(tmp, target.vms_dir() / vm.name);
        } catch (...) {
            std::filesystem::remove_all(tmp, ec);
            throw;
        }
        std::filesystem::remove_all(vm.dir, ec);
        return target.get_vm(vm.name);
    }

    [[nodiscard]] std::filesystem::path vms_dir() const { return home_ / "vms"; }

    /// Providers of this host by id, for nvram::open().
    [[nodiscard]] std::function<std::optional<native_key_provider>(std::string_view)> finder() const {
        return [this](std::string_view id) { return providers_.find(id); };
    }

private:
    void require_tpm(const vm_record& vm) const {
        if (!has_tpm(vm)) throw error(errc::not_found, "vtpm: VM '" + vm.name + "' has no TPM; add one (vtpmctl tpm add " + vm.name + ")");
    }
    static void require_ek(const vm_record& vm, ek::kind k) {
        if (std::find(vm.eks.begin(), vm.eks.end(), k) == vm.eks.end())
            throw error(errc::not_found, "vtpm: the TPM of VM '" + vm.name + "' has no " + std::string(ek::spec_of(k).name) +
                                             " EK; EKs are made when the TPM is added (vtpmctl tpm add --ek ...)");
    }

    void provision(vm_record& vm, const native_key_provider& p, const std::vector<ek::kind>& eks, const secret& data_key,
                   Botan::RandomNumberGenerator& rng, ek::cert_signer* signer) {
        auto t = std::make_unique<vm_tpm>();
        t->manufacture();
        t->power_on();
        if (testing::run(*t, testing::startup_command()).rc != 0) throw error(errc::tpm_error, "vtpm: TPM2_Startup of the new TPM failed");
        std::optional<ek::local_ca> local;
        if (!signer) signer = &local.emplace(ca(rng));
        const auto id = ek::identity_of(platforms::botan_file::profile);
        try {
            std::vector<std::pair<ek::kind, bytes>> certs;
            for (auto k : eks) {
                const auto key = ek::create(*t, k);
                const auto cert = ek::issue_certificate(*signer, key, id, rng);
                const auto der = cert.BER_encode();
                write_file_atomic(cert_path(vm, k), der);
                certs.emplace_back(k, bytes(der.begin(), der.end()));
            }
            // The certificates at the TCG NV indices (0x01C00002 RSA, 0x01C0000A ECC, ...),
            // where tpm2_getekcertificate and the guest's TSS look for them.
            ek::write_certificates_to_nv(*t, certs);
            bytes state = t->save_state();
            try {
                nvram::store(nvram_path(vm), p, vm.id, data_key, state, rng);
            } catch (...) {
                secure_zero(state.data(), state.size());
                throw;
            }
            secure_zero(state.data(), state.size());
        } catch (...) {
            for (auto k : eks) std::filesystem::remove(cert_path(vm, k));
            throw;
        }
        vm.eks = eks;
        write_conf(vm);
    }

    static void write_conf(const vm_record& vm) {
        std::string s = "id=" + vm.id + "\nname=" + vm.name + "\neks=";
        for (std::size_t i = 0; i < vm.eks.size(); ++i) s += (i ? "," : "") + std::string(ek::spec_of(vm.eks[i]).name);
        s += "\n";
        write_file_atomic(vm.dir / "vm.conf", byte_view{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    }
    static vm_record read_conf(const std::filesystem::path& dir) {
        const auto b = read_file(dir / "vm.conf");
        std::istringstream in(std::string(b.begin(), b.end()));
        vm_record vm;
        vm.dir = dir;
        std::string line;
        while (std::getline(in, line)) {
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            const auto key = line.substr(0, eq), value = line.substr(eq + 1);
            if (key == "id") vm.id = value;
            else if (key == "name") vm.name = value;
            else if (key == "eks") {
                std::istringstream l(value);
                std::string k;
                while (std::getline(l, k, ','))
                    if (auto kk = ek::kind_from_name(k)) vm.eks.push_back(*kk);
            }
        }
        if (vm.id.empty() || vm.name.empty())
            throw error(errc::bad_format, "vtpm: " + (dir / "vm.conf").string() + " lacks the VM id or name");
        return vm;
    }

    std::filesystem::path home_;
    provider_store providers_;
};

} // namespace vtpm::platform
