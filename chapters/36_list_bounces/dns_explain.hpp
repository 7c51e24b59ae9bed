#pragma once

// An annotated hex dump of a DNS message, for learning the wire format: every header
// field and bit, every label and compression pointer, every record field.

#include <cstdint>
#include <span>
#include <string>

namespace dns {

// One row per field: offset, octets (8 a row), meaning. A malformed packet is dumped
// raw, followed by the parse error.
std::string explain(std::span<const std::uint8_t> wire);

}  // namespace dns
