#pragma once

#include "line_stream.hpp"
#include "server_options.hpp"

#include "shared/duration.hpp"
#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace mailsteps {

// A protocol's conversation with one client, from accept to close.
using SessionHandler = std::function<asio::awaitable<void>(LineStream& client)>;

// The TCP server runtime every chapter uses: an io_context run by one thread, one coroutine
// per connection, and connection limits (in all and per client address).
class Server {
public:
    explicit Server(const ServerOptions& options);

    // Listens on --listen and `port` (0: the OS picks) and prints the readiness line
    // "listening on <protocol> ADDR:PORT". Past --max-connections, or past
    // --max-connections-per-address from its own address, a client gets `busy_reply` and is
    // closed. Returns the address and port bound; throws when the port cannot be bound.
    asio::ip::tcp::endpoint listen(const std::string& protocol, std::uint16_t port, std::string busy_reply,
                                   SessionHandler session);

    // Runs until SIGINT or SIGTERM; returns the exit code.
    int run();

private:
    struct Listener {
        std::string protocol;
        asio::ip::tcp::acceptor acceptor;
        SessionHandler session;
        std::string busy_reply;
    };

    asio::awaitable<void> accept_loop(Listener& listener);
    asio::awaitable<void> serve(std::shared_ptr<LineStream> client, Listener& listener);
    asio::awaitable<void> refuse(std::shared_ptr<LineStream> client, std::string busy_reply, std::string why);
    void session_ended(const std::shared_ptr<LineStream>& client);

    ServerOptions options_;
    asio::io_context io_;
    asio::signal_set signals_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    Logger log_;

    std::set<std::shared_ptr<LineStream>> sessions_;
    std::map<asio::ip::address, std::size_t> sessions_per_address_;
    std::uint64_t next_connection_id_ = 1;
};

} // namespace mailsteps
