#pragma once

#include "server_options.hpp"

#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mailsteps {

// A protocol's conversation with one client, from accept to close.
using SessionHandler = std::function<asio::awaitable<void>(asio::ip::tcp::socket& client)>;

// The TCP server runtime every chapter uses: an io_context run by one thread, and one
// coroutine per connection.
class Server {
public:
    explicit Server(const ServerOptions& options);

    // Listens on --listen and `port` (0: the OS picks) and prints the readiness line
    // "listening on <protocol> ADDR:PORT". Returns the address and port bound; throws when the
    // port cannot be bound.
    asio::ip::tcp::endpoint listen(const std::string& protocol, std::uint16_t port, SessionHandler session);

    // Runs until SIGINT or SIGTERM; returns the exit code.
    int run();

private:
    struct Listener {
        std::string protocol;
        asio::ip::tcp::acceptor acceptor;
        SessionHandler session;
    };

    asio::awaitable<void> accept_loop(Listener& listener);
    asio::awaitable<void> serve(asio::ip::tcp::socket socket, Listener& listener);

    ServerOptions options_;
    asio::io_context io_;
    asio::signal_set signals_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    Logger log_;
    std::uint64_t next_connection_id_ = 1;
};

// "127.0.0.1:25", "[::1]:25"
std::string to_string(const asio::ip::tcp::endpoint& endpoint);

} // namespace mailsteps
