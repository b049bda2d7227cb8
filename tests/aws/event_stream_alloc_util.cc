// Replaces the global operator new/delete of ragd_aws_tests with malloc/free plus bookkeeping, so
// the event-stream tests can prove that corrupt lengths never turn into large allocations.
// Bookkeeping happens only on a thread inside an es_test::AllocationTracker; everywhere else these
// behave exactly like the defaults. (Replacement is binary-wide: no other file in this test binary
// may replace operator new.) The aligned forms are left alone: nothing here over-aligns.
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#include "tests/aws/event_stream_test_util.h"

namespace {

thread_local bool tracking = false;
thread_local size_t largest_request = 0;
thread_local size_t total_requested = 0;

void* Allocate(std::size_t n) {
  if (tracking) {
    if (n > largest_request) largest_request = n;
    total_requested += n;
  }
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AllocateNoThrow(std::size_t n) noexcept {
  if (tracking) {
    if (n > largest_request) largest_request = n;
    total_requested += n;
  }
  return std::malloc(n == 0 ? 1 : n);
}

}  // namespace

void* operator new(std::size_t n) { return Allocate(n); }
void* operator new[](std::size_t n) { return Allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return AllocateNoThrow(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return AllocateNoThrow(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace ragd::es_test {

AllocationTracker::AllocationTracker() {
  largest_request = 0;
  total_requested = 0;
  tracking = true;
}

AllocationTracker::~AllocationTracker() { tracking = false; }

size_t AllocationTracker::largest() const { return largest_request; }
size_t AllocationTracker::total() const { return total_requested; }

}  // namespace ragd::es_test
