#include "vigil/alert_uuid.h"

namespace vigil {

AlertUuidGenerator::AlertUuidGenerator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
  rng_.seed(seed);
}

void AlertUuidGenerator::Fill(std::array<char, 36>* out) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  uint8_t bytes[16];
  const uint64_t hi = rng_();
  const uint64_t lo = rng_();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(hi >> (8 * i));
    bytes[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) (*out)[pos++] = '-';
    (*out)[pos++] = kHex[bytes[i] >> 4];
    (*out)[pos++] = kHex[bytes[i] & 0x0f];
  }
}

}  // namespace vigil
