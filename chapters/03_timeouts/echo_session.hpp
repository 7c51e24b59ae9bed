#pragma once

#include "line_stream.hpp"

#include "shared/duration.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

struct EchoOptions {
    std::uint16_t port = 7777;
    std::size_t max_line = 1000; // octets, including CRLF
    mailsteps::Duration idle_timeout = std::chrono::seconds(300);
};

// Sends every line back to the client, until it closes, idles or sends too long a line.
asio::awaitable<void> echo_session(mailsteps::LineStream& client, const EchoOptions& options);
