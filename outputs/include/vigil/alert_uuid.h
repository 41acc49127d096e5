// alert_uuid.h — generates the idempotency key (`Alert::uuid`, an RFC 4122 version-4
// UUID) that every alert carries in its JSON output, so receivers can drop the duplicates
// at-least-once delivery may produce (a retry after an ambiguous failure, a replay of the
// disk spool after a crash).
// Owner: OutputManager (one generator, called under its mutex). Not thread safe.
// Event path: no syscall, no allocation (a seeded 64-bit PRNG, 128 bits per UUID).
#pragma once

#include <array>
#include <cstdint>
#include <random>

namespace vigil {

class AlertUuidGenerator {
 public:
  // Seeded from the kernel's random source (getrandom via std::random_device).
  AlertUuidGenerator();
  // Writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower-case hex) into *out.
  void Fill(std::array<char, 36>* out) noexcept;

 private:
  std::mt19937_64 rng_;
};

}  // namespace vigil
