// tpm<Platform>: one TPM instance. No globals: any number of instances can live in one
// process. Include the handlers of the commands the profile enables before instantiating
// (vtpm/vtpm.hpp includes all of them).
#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>

#include "vtpm/engine/engine.hpp"
#include "vtpm/engine/execute.hpp"
#include "vtpm/engine/serialize.hpp"

namespace vtpm {

/// Largest command and response a TPM instance handles (TPM_PT_MAX_COMMAND/RESPONSE_SIZE).
inline constexpr std::size_t max_response_size = 4096;

template <class Platform>
class tpm {
public:
    using platform_type = Platform;
    using crypto_type = typename Platform::crypto;

    tpm() = default;
    explicit tpm(crypto_type c) : e_(std::move(c)) {}

    /// TPM manufacture: new seeds and proofs, default settings. Erases everything.
    void manufacture();
    /// _TPM_Init after power-on (TPM_SIGNAL_POWER_ON). A no-op if already powered.
    void power_on();
    /// Power loss (TPM_SIGNAL_POWER_OFF): volatile state is gone.
    void power_off();
    /// _TPM_Init without a power cycle (TPM_SIGNAL_RESET).
    void reset();
    /// _TPM_Hash_Start / _TPM_Hash_Data / _TPM_Hash_End (Part 3 §6): an H-CRTM sequence
    /// before TPM2_Startup (measured into PCR 0) or a DRTM sequence after it (PCR 17).
    void hash_start() {
        if (e_.powered) e_.crtm_hash_start();
    }
    void hash_data(std::span<const std::uint8_t> data) {
        if (e_.powered) e_.crtm_hash_data(data);
    }
    void hash_end() {
        if (e_.powered) e_.crtm_hash_end();
    }
    void set_physical_presence(bool on) noexcept { e_.physical_presence = on; }
    void set_cancel(bool on) noexcept { e_.cancel_flag = on; }
    void set_nv_available(bool on) noexcept { e_.nv_available = on; }
    [[nodiscard]] bool powered() const noexcept { return e_.powered; }
    [[nodiscard]] bool started() const noexcept { return e_.started; }
    [[nodiscard]] bool in_failure_mode() const noexcept { return e_.failure_mode; }
    /// Enter failure mode (the simulator's TPM_TEST_FAILURE_MODE signal).
    void force_failure() noexcept { e_.enter_failure_mode(0xF0F0); }

    /// Execute one command; the response goes to `response`, its length is returned.
    /// Never throws: errors become TPM responses; an internal fault enters failure mode.
    std::size_t execute(std::span<const std::uint8_t> command, std::span<std::uint8_t> response,
                        std::uint8_t locality = 0) noexcept;

    /// What the TPM keeps across power loss, in the versioned state format
    /// (engine/serialize.hpp).
    [[nodiscard]] bytes save_state();
    /// Replace this TPM's NV state with a saved one; the TPM is left powered off. Returns
    /// an error message (and changes nothing) if the state cannot be loaded.
    [[nodiscard]] std::optional<std::string> load_state(std::span<const std::uint8_t> state);

    /// The engine behind this instance (for tests and tools).
    engine<Platform>& internals() noexcept { return e_; }
    const engine<Platform>& internals() const noexcept { return e_; }

private:
    engine<Platform> e_;
};

// The members that instantiate the engine are defined out of the class (not inline), so a
// program can instantiate tpm<P> once (`template class vtpm::tpm<P>;` in one file) and declare
// it `extern template class vtpm::tpm<P>;` everywhere else.

template <class Platform>
void tpm<Platform>::manufacture() {
    e_.manufacture();
}

template <class Platform>
void tpm<Platform>::power_on() {
    if (!e_.powered) e_.power_on();
}

template <class Platform>
void tpm<Platform>::power_off() {
    e_.power_off();
}

template <class Platform>
void tpm<Platform>::reset() {
    e_.power_off();
    e_.power_on();
}

template <class Platform>
std::size_t tpm<Platform>::execute(std::span<const std::uint8_t> command, std::span<std::uint8_t> response,
                                   std::uint8_t locality) noexcept {
    try {
        return execute_command(e_, command, response, locality);
    } catch (...) {
        e_.enter_failure_mode(0xE0E0);
        if (response.size() < 10) return 0;
        writer w{response};
        detail::write_error(w, rc::failure);
        return w.size();
    }
}

template <class Platform>
bytes tpm<Platform>::save_state() {
    return state_format::save(e_);
}

template <class Platform>
std::optional<std::string> tpm<Platform>::load_state(std::span<const std::uint8_t> state) {
    return state_format::load(e_, state);
}

} // namespace vtpm
