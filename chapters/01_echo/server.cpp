#include "server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <iostream>
#include <stdexcept>

namespace mailsteps {

using asio::experimental::as_tuple;
using asio::use_awaitable;

Server::Server(const ServerOptions& options) : options_(options), signals_(io_, SIGINT, SIGTERM) {
    configure_logging(options.verbose, false);
}

asio::ip::tcp::endpoint Server::listen(const std::string& protocol, std::uint16_t port, SessionHandler session) {
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options_.listen), port);
    auto listener = std::make_unique<Listener>(Listener{protocol, asio::ip::tcp::acceptor(io_), std::move(session)});
    try {
        listener->acceptor.open(endpoint.protocol());
        listener->acceptor.set_option(asio::socket_base::reuse_address(true));
        listener->acceptor.bind(endpoint);
        listener->acceptor.listen();
    } catch (const std::system_error& error) {
        throw std::runtime_error("cannot listen on " + to_string(endpoint) + ": " + error.code().message());
    }
    // The readiness line: scripts and tests wait for it to learn the port.
    auto bound = listener->acceptor.local_endpoint();
    std::cout << "listening on " << protocol << ' ' << to_string(bound) << std::endl;
    asio::co_spawn(io_, accept_loop(*listener), asio::detached);
    listeners_.push_back(std::move(listener));
    return bound;
}

int Server::run() {
    signals_.async_wait([this](const asio::error_code&, int signal) {
        log_.info("signal ", signal, ": stopping");
        io_.stop();
    });
    io_.run();
    log_.info("stopped");
    return 0;
}

asio::awaitable<void> Server::accept_loop(Listener& listener) {
    for (;;) {
        auto [error, socket] = co_await listener.acceptor.async_accept(as_tuple(use_awaitable));
        if (error) {
            log_.warning("accept on ", listener.protocol, " failed: ", error.message());
            continue;
        }
        asio::co_spawn(io_, serve(std::move(socket), listener), asio::detached);
    }
}

asio::awaitable<void> Server::serve(asio::ip::tcp::socket socket, Listener& listener) {
    Logger log("c" + std::to_string(next_connection_id_++));
    asio::error_code ignored;
    auto remote = socket.remote_endpoint(ignored);
    log.info("connect from ", to_string(remote), " (", listener.protocol, ")");
    try {
        co_await listener.session(socket);
    } catch (const std::exception& bug) {
        log.error("session ended by an exception: ", bug.what());
    }
    socket.close(ignored);
    log.info("disconnect from ", to_string(remote));
}

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
    auto address = endpoint.address();
    std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return host + ":" + std::to_string(endpoint.port());
}

} // namespace mailsteps
