#pragma once

#include "line_stream.hpp"

#include <asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>

struct EchoOptions {
    std::uint16_t port = 7777;
    std::size_t max_line = 1000; // octets, including CRLF
};

// Sends every line back to the client, until it closes or sends too long a line.
asio::awaitable<void> echo_session(mailsteps::LineStream& client, const EchoOptions& options);
