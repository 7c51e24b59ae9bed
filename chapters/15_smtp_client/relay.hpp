#pragma once

#include "dns_client.hpp"
#include "local_delivery.hpp"
#include "smtp_client.hpp"

#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace relay {

struct Options {
    std::uint16_t port = 25; // where MX hosts listen (--relay-port)
    std::vector<asio::ip::udp::endpoint> dns_servers;
    ClientOptions client;    // SMTP client timeouts
};

// Hands `text` to the most preferred MX host of the recipients' domain (RFC 5321 5.1), at
// once: every recipient of `envelope` must have that one domain. The reply is the first
// refusal, for a recipient or for the message, or the server's reply to the message if it took
// them all. A DNS or network failure is a 4xx or 5xx of our own. No queue yet (chapter 16):
// our client waits while we talk to the MX host.
asio::awaitable<Reply> relay_now(const smtp::Envelope& envelope, std::string_view text, const Options& options,
                                 const mailsteps::Logger& log);

} // namespace relay
