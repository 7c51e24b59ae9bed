#pragma once

// Records as text, the way zone files (RFC 1035 5.1) and dig show them.

#include "dns_message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace dns {

std::string to_string(Type type);         // "MX", or "TYPE65534" (RFC 3597 5)
std::string to_string(Rcode rcode);       // "NXDOMAIN", or "RCODE11"
std::string class_to_string(std::uint16_t klass);  // "IN", or "CLASS3" (RFC 3597 5)
std::optional<Type> type_from_string(std::string_view text);  // "mx" -> Type::MX

// The RDATA alone: "10 mx1.example.test.", "\"v=spf1 -all\"", "\\# 4 0A000001".
std::string to_text(const Rdata& data);

// One line of dig's answer section: "example.test.\t0\tIN\tMX\t10 mx1.example.test."
std::string to_text(const Record& record);

}  // namespace dns
