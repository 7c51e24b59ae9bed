#pragma once

#include <asio/ip/address.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace relay {

// An address block such as 127.0.0.0/8 or ::1/128: the clients allowed to relay.
struct Network {
    asio::ip::address base;
    unsigned prefix_length = 0;

    bool contains(const asio::ip::address& address) const;
};

// "192.0.2.0/24", "2001:db8::/32", or a single address (all bits significant).
std::optional<Network> parse_network(std::string_view text);

bool contains(const std::vector<Network>& networks, const asio::ip::address& address);

} // namespace relay
