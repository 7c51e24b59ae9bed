#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <cstdint>

struct EchoOptions {
    std::uint16_t port = 7777;
};

// Sends back everything the client sends, until it closes the connection.
asio::awaitable<void> echo_session(asio::ip::tcp::socket& client);
