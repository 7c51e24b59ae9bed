#include "server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <iostream>
#include <stdexcept>

namespace mailsteps {

using asio::experimental::as_tuple;
using asio::use_awaitable;

namespace {

// After the grace period, sessions are told to stop; this is how long they get to say goodbye.
constexpr Duration goodbye_time = std::chrono::seconds(5);
constexpr Duration busy_reply_timeout = std::chrono::seconds(5);
constexpr Duration accept_retry_pause = std::chrono::milliseconds(100);

} // namespace

Server::Server(const ServerOptions& options)
    : options_(options), io_(1), disk_(options.disk_threads), strand_(asio::make_strand(io_)),
      signals_(strand_, SIGINT, SIGTERM), shutdown_timer_(strand_) {
    // Threads sharing one io_context pass a session's work between them, and each pass wakes the
    // other thread. With an io_context each, a session stays on its thread from accept to close.
    for (unsigned i = 1; i < options.threads; ++i) {
        keep_running_.push_back(asio::make_work_guard(other_contexts_.emplace_back(1)));
    }
    configure_logging(options.verbose, options.trace);
    // Every connection is a descriptor. The soft limit is often 1024 while the hard limit allows
    // far more; raise it (as nginx and Go do), so that --max-connections is what limits us.
    if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

asio::ip::tcp::endpoint Server::listen(const std::string& protocol, std::uint16_t port, std::string busy_reply,
                                       SessionHandler session) {
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options_.listen), port);
    auto listener = std::make_unique<Listener>(
        Listener{protocol, asio::ip::tcp::acceptor(strand_), std::move(session), std::move(busy_reply)});
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
    asio::co_spawn(strand_, accept_loop(*listener), asio::detached);
    listeners_.push_back(std::move(listener));
    return bound;
}

int Server::run() {
    signals_.async_wait([this](const asio::error_code& error, int signal) { on_signal(error, signal); });
    std::vector<std::thread> workers;
    for (auto& context : other_contexts_) {
        workers.emplace_back([&context] { context.run(); });
    }
    io_.run();
    for (auto& worker : workers) {
        worker.join();
    }
    // A forced shutdown does not wait for the disk: a session may still be storing a message,
    // and calling into what the program destroys once run() returns (the relay). So
    // run() returns only when no disk job is running, and none will start.
    disk_.stop();
    log_.info("stopped");
    return 0;
}

// The threads take the connections in turn.
asio::io_context& Server::next_context() {
    auto turn = next_context_++ % (other_contexts_.size() + 1);
    return turn == 0 ? io_ : other_contexts_[turn - 1];
}

asio::awaitable<void> Server::accept_loop(Listener& listener) {
    for (;;) {
        auto [error, socket] = co_await listener.acceptor.async_accept(next_context(), as_tuple(use_awaitable));
        if (shutting_down_) {
            co_return;
        }
        if (error) {
            // For example EMFILE: wait a moment instead of spinning.
            log_.warning("accept on ", listener.protocol, " failed: ", error.message());
            asio::steady_timer pause(strand_, accept_retry_pause);
            co_await pause.async_wait(as_tuple(use_awaitable));
            continue;
        }
        auto client = std::make_shared<LineStream>(std::move(socket), Logger("c" + std::to_string(next_connection_id_++)));
        std::lock_guard lock(sessions_mutex_);
        if (sessions_.size() >= options_.max_connections) {
            asio::co_spawn(client->get_executor(),
                           refuse(client, listener.busy_reply,
                                  std::to_string(options_.max_connections) + " connections already"),
                           asio::detached);
            continue;
        }
        // One host must not take every place (like Postfix's smtpd_client_connection_count_limit).
        auto& from_address = sessions_per_address_[client->remote_endpoint().address()];
        if (from_address >= options_.max_connections_per_address) {
            asio::co_spawn(client->get_executor(),
                           refuse(client, listener.busy_reply,
                                  std::to_string(from_address) + " connections from this address already"),
                           asio::detached);
            continue;
        }
        ++from_address;
        sessions_.insert(client);
        asio::co_spawn(client->get_executor(), serve(client, listener), asio::detached);
    }
}

asio::awaitable<void> Server::serve(std::shared_ptr<LineStream> client, Listener& listener) {
    client->log().info("connect from ", to_string(client->remote_endpoint()), " (", listener.protocol, ")");
    try {
        co_await listener.session(*client);
    } catch (const std::exception& bug) {
        client->log().error("session ended by an exception: ", bug.what());
    }
    co_await client->close_gracefully();
    client->log().info("disconnect from ", to_string(client->remote_endpoint()));
    session_ended(client);
}

asio::awaitable<void> Server::refuse(std::shared_ptr<LineStream> client, std::string busy_reply, std::string why) {
    client->log().warning("refusing ", to_string(client->remote_endpoint()), ": ", why);
    co_await client->write(busy_reply, busy_reply_timeout);
    co_await client->close_gracefully();
}

void Server::on_signal(const asio::error_code& error, int signal) {
    if (error) {
        return; // cancelled by finish_shutdown()
    }
    signals_.async_wait([this](const asio::error_code& error, int signal) { on_signal(error, signal); });
    if (shutting_down_) {
        log_.info("signal ", signal, " again: stopping sessions now");
        stop_sessions();
        return;
    }
    shutting_down_ = true;
    for (auto& listener : listeners_) {
        listener->acceptor.close();
    }
    for (auto& stop : shutdown_hooks_) {
        stop();
    }
    std::size_t open_sessions = 0;
    {
        std::lock_guard lock(sessions_mutex_);
        open_sessions = sessions_.size();
    }
    log_.info("signal ", signal, ": no longer accepting; ", open_sessions, " session(s) have ",
              format_duration(options_.shutdown_grace), " to finish");
    if (open_sessions == 0) {
        finish_shutdown();
        return;
    }
    shutdown_timer_.expires_after(options_.shutdown_grace);
    shutdown_timer_.async_wait([this](const asio::error_code& error) {
        if (!error) {
            stop_sessions();
        }
    });
}

void Server::stop_sessions() {
    {
        std::lock_guard lock(sessions_mutex_);
        for (const auto& client : sessions_) {
            client->stop();
        }
    }
    // A session that cannot even say goodbye in time is abandoned with the io_context.
    shutdown_timer_.expires_after(goodbye_time);
    shutdown_timer_.async_wait([this](const asio::error_code& error) {
        if (!error) {
            log_.warning("sessions did not stop in time; exiting anyway");
            stop_threads();
        }
    });
}

void Server::session_ended(const std::shared_ptr<LineStream>& client) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(client);
    if (auto from_address = sessions_per_address_.find(client->remote_endpoint().address());
        --from_address->second == 0) {
        sessions_per_address_.erase(from_address); // only addresses with sessions are remembered
    }
    if (sessions_.empty()) {
        asio::post(strand_, [this] {
            std::lock_guard lock(sessions_mutex_);
            if (shutting_down_ && sessions_.empty()) {
                finish_shutdown();
            }
        });
    }
}

// Every session has ended: stop the io_context, abandoning any other work still under way
// (chapter 17's outbound deliveries are in a durable queue and resume after a restart).
void Server::finish_shutdown() {
    signals_.cancel();
    shutdown_timer_.cancel();
    stop_threads();
}

void Server::stop_threads() {
    for (auto& context : other_contexts_) {
        context.stop();
    }
    io_.stop();
}

} // namespace mailsteps
