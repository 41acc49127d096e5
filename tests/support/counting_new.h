// counting_new.h — replaces the global allocation functions with malloc/free-based ones that
// count every allocation, so a test or benchmark can assert "no allocation per event".
// Include it in exactly ONE translation unit of an executable (it defines the replacement
// functions, which must exist once per program). Every form is replaced, the nothrow and
// array ones included: a form left to the runtime (ASan's operator new) would be freed by
// this file's operator delete (alloc-dealloc mismatch). Test/bench only; thread safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace vigil::testing {
inline std::atomic<uint64_t> g_allocations{0};
inline uint64_t AllocationCount() noexcept { return g_allocations.load(std::memory_order_relaxed); }
inline void* CountedAlloc(std::size_t n) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
}  // namespace vigil::testing

// GCC flags the free() calls once it inlines these; they are matched malloc/free pairs.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (void* p = vigil::testing::CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = vigil::testing::CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return vigil::testing::CountedAlloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return vigil::testing::CountedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop
