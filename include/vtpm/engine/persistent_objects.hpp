// Persistent objects (Part 1 §27.4, Part 3 §28.5 TPM2_EvictControl): copies of loaded objects
// the TPM keeps in NV under a persistent handle (0x81xxxxxx), ordered by handle.
#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "vtpm/core/rc.hpp"
#include "vtpm/engine/object.hpp"
#include "vtpm/marshal/codec.hpp"

namespace vtpm::persistent {

/// Owner persistent handles 0x81000000-0x817FFFFF; platform ones 0x81800000-0x81FFFFFF
/// (Part 2 §7.5, TCG handle registry).
[[nodiscard]] constexpr bool platform_range(tpm_handle h) noexcept {
    return h >= hr::platform_persistent_first && h <= hr::persistent_last;
}
[[nodiscard]] constexpr bool owner_range(tpm_handle h) noexcept {
    return h >= hr::persistent_first && h < hr::platform_persistent_first;
}

struct entry {
    tpm_handle handle = 0;
    loaded_object obj;
};

struct store {
    std::vector<entry> objects;

    [[nodiscard]] loaded_object* find(tpm_handle h) noexcept {
        auto it = std::lower_bound(objects.begin(), objects.end(), h, [](const entry& e, tpm_handle v) { return e.handle < v; });
        return it != objects.end() && it->handle == h ? &it->obj : nullptr;
    }
    [[nodiscard]] const loaded_object* find(tpm_handle h) const noexcept { return const_cast<store*>(this)->find(h); }
    void insert(tpm_handle h, const loaded_object& o) {
        auto it = std::lower_bound(objects.begin(), objects.end(), h, [](const entry& e, tpm_handle v) { return e.handle < v; });
        it = objects.insert(it, entry{h, o});
        it->obj.evict_handle = h;
    }
    void erase(tpm_handle h) {
        objects.erase(std::remove_if(objects.begin(), objects.end(), [h](const entry& e) { return e.handle == h; }),
                      objects.end());
    }

    // State format (engine/serialize.hpp block persistent_objects): u32 count, then per
    // object: u32 handle, u32 hierarchy, u8 flags (hasSensitive, primary, stClear),
    // TPMT_PUBLIC, TPMT_SENSITIVE, Name and Qualified Name.
    static constexpr std::uint32_t max_stored = 4096;
    void marshal(writer& w) const noexcept {
        w.u32(static_cast<std::uint32_t>(objects.size()));
        for (const auto& e : objects) {
            w.u32(e.handle);
            w.u32(e.obj.hierarchy);
            w.u8(static_cast<std::uint8_t>((e.obj.has_sensitive ? 1 : 0) | (e.obj.primary ? 2 : 0) | (e.obj.st_clear ? 4 : 0)));
            vtpm::marshal(w, e.obj.pub);
            vtpm::marshal(w, e.obj.sens);
            vtpm::marshal(w, e.obj.name);
            vtpm::marshal(w, e.obj.qualified_name);
        }
    }
    rc unmarshal(reader& r) noexcept {
        std::uint32_t n;
        if (!r.u32(n)) return rc::insufficient;
        if (n > max_stored) return rc::size;
        std::vector<entry> v;
        try {
            v.reserve(std::min<std::size_t>(n, r.remaining() / 32));
            for (std::uint32_t i = 0; i < n; ++i) {
                entry e;
                std::uint8_t flags;
                if (!r.u32(e.handle) || !r.u32(e.obj.hierarchy) || !r.u8(flags)) return rc::insufficient;
                if (handle_type(e.handle) != ht::persistent || (flags & ~7u) != 0) return rc::value;
                if (!v.empty() && v.back().handle >= e.handle) return rc::value;
                e.obj.has_sensitive = flags & 1;
                e.obj.primary = flags & 2;
                e.obj.st_clear = flags & 4;
                e.obj.evict_handle = e.handle;
                rc x = vtpm::unmarshal(r, e.obj.pub);
                if (x.ok()) x = vtpm::unmarshal(r, e.obj.sens);
                if (x.ok()) x = vtpm::unmarshal(r, e.obj.name);
                if (x.ok()) x = vtpm::unmarshal(r, e.obj.qualified_name);
                if (!x.ok()) return x;
                v.push_back(std::move(e));
            }
        } catch (...) {
            return rc::memory;
        }
        objects = std::move(v);
        return rc::success;
    }
};

} // namespace vtpm::persistent
