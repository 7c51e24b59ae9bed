#pragma once

#include "disk_threads.hpp"
#include "line_stream.hpp"
#include "server_options.hpp"

#include "shared/duration.hpp"
#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mailsteps {

// A protocol's conversation with one client, from accept to close.
using SessionHandler = std::function<asio::awaitable<void>(LineStream& client)>;

// The TCP server runtime every chapter uses: --threads threads, each running an io_context of
// its own, one coroutine per connection (each on one thread's io_context, so a session never
// runs on two threads at once, and nothing it does wakes another thread), connection limits (in all and per client address), and graceful shutdown on
// SIGINT/SIGTERM.
class Server {
public:
    explicit Server(const ServerOptions& options);

    // Listens on --listen and `port` (0: the OS picks) and prints the readiness line
    // "listening on <protocol> ADDR:PORT". Past --max-connections, or past
    // --max-connections-per-address from its own address, a client gets `busy_reply` and is
    // closed. Returns the address and port bound; throws when the port cannot be bound.
    asio::ip::tcp::endpoint listen(const std::string& protocol, std::uint16_t port, std::string busy_reply,
                                   SessionHandler session);

    // Runs until a signal asks to stop: stop accepting, give sessions --shutdown-grace to
    // finish, then stop the rest. Returns the exit code once no thread of the server, network
    // or disk, runs any more: after it, nothing runs (sessions cut off are only destroyed, with
    // the Server).
    int run();

    // For sessions' blocking file work (DiskThreads): --disk-threads threads of their own.
    DiskThreads& disk() { return disk_; }

    // For work besides the sessions (chapter 16's queue runner): run it on context() (the first
    // thread's), and
    // stop it in `stop` when shutdown begins, or run() never returns.
    asio::io_context& context() { return io_; }
    void on_shutdown(std::function<void()> stop) { shutdown_hooks_.push_back(std::move(stop)); }

private:
    struct Listener {
        std::string protocol;
        asio::ip::tcp::acceptor acceptor;
        SessionHandler session;
        std::string busy_reply;
    };

    asio::io_context& next_context();
    void stop_threads();
    asio::awaitable<void> accept_loop(Listener& listener);
    asio::awaitable<void> serve(std::shared_ptr<LineStream> client, Listener& listener);
    asio::awaitable<void> refuse(std::shared_ptr<LineStream> client, std::string busy_reply, std::string why);
    void on_signal(const asio::error_code& error, int signal);
    void stop_sessions();
    void session_ended(const std::shared_ptr<LineStream>& client);
    void finish_shutdown();

    ServerOptions options_;
    // One for each thread after the first: sessions only. Before io_, to outlive it: what io_ holds
    // when destroyed, such as a socket just accepted, may belong to one of them.
    std::deque<asio::io_context> other_contexts_;
    asio::io_context io_; // the first thread's: sessions, and besides them accepting, signals, the relay
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running_; // other_contexts_
    std::size_t next_context_ = 0; // on strand_
    DiskThreads disk_; // after io_: destroyed first, so the jobs it drops (sessions waiting on them) still find io_
    asio::strand<asio::io_context::executor_type> strand_; // acceptors, signals, shutdown
    asio::signal_set signals_;
    asio::steady_timer shutdown_timer_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::vector<std::function<void()>> shutdown_hooks_;
    bool shutting_down_ = false; // on strand_
    Logger log_;

    std::mutex sessions_mutex_;
    std::set<std::shared_ptr<LineStream>> sessions_;
    std::map<asio::ip::address, std::size_t> sessions_per_address_; // under sessions_mutex_ too
    std::atomic<std::uint64_t> next_connection_id_{1};
};

} // namespace mailsteps
