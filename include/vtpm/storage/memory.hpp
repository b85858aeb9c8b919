// storage::memory: blobs in RAM (tests, fuzzing, embedded use without persistence).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "vtpm/storage/concepts.hpp"

namespace vtpm::storage {

class memory {
public:
    [[nodiscard]] std::optional<bytes> get(std::string_view name) const {
        auto it = blobs_.find(name);
        if (it == blobs_.end()) return std::nullopt;
        return it->second;
    }
    bool put(std::string_view name, byte_view data) {
        blobs_.insert_or_assign(std::string{name}, bytes(data.begin(), data.end()));
        return true;
    }
    bool remove(std::string_view name) {
        auto it = blobs_.find(name);
        if (it != blobs_.end()) blobs_.erase(it);
        return true;
    }
    [[nodiscard]] std::size_t size() const noexcept { return blobs_.size(); }

private:
    std::map<std::string, bytes, std::less<>> blobs_;
};
static_assert(backend<memory>);

} // namespace vtpm::storage
