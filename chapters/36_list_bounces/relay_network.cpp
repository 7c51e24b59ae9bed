#include "relay_network.hpp"

#include <array>
#include <charconv>
#include <string>

namespace relay {
namespace {

// IPv4 clients may arrive as IPv4-mapped IPv6 addresses (::ffff:127.0.0.1).
asio::ip::address unmapped(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    return address;
}

template <std::size_t N> bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                                          unsigned bits) {
    for (std::size_t i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
        unsigned mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
        if ((a[i] & mask) != (b[i] & mask)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool Network::contains(const asio::ip::address& candidate) const {
    auto address = unmapped(candidate);
    if (address.is_v4() && base.is_v4()) {
        return same_prefix(address.to_v4().to_bytes(), base.to_v4().to_bytes(), prefix_length);
    }
    if (address.is_v6() && base.is_v6()) {
        return same_prefix(address.to_v6().to_bytes(), base.to_v6().to_bytes(), prefix_length);
    }
    return false;
}

std::optional<Network> parse_network(std::string_view text) {
    auto slash = text.find('/');
    asio::error_code error;
    auto base = asio::ip::make_address(std::string(text.substr(0, slash)), error);
    if (error) {
        return std::nullopt;
    }
    unsigned max_length = base.is_v4() ? 32 : 128;
    unsigned length = max_length;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        auto [end, parse_error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
        if (parse_error != std::errc{} || end != digits.data() + digits.size() || digits.empty() || length > max_length) {
            return std::nullopt;
        }
    }
    return Network{base, length};
}

bool contains(const std::vector<Network>& networks, const asio::ip::address& address) {
    for (const auto& network : networks) {
        if (network.contains(address)) {
            return true;
        }
    }
    return false;
}

} // namespace relay
