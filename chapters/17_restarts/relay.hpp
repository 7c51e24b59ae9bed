#pragma once

#include "dns_client.hpp"
#include "local_delivery.hpp"
#include "mx_resolver.hpp"
#include "queue.hpp"
#include "smtp_client.hpp"
#include "smtp_session.hpp"

#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/strand.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace relay {

struct Options {
    std::uint16_t port = 25; // where MX hosts listen (--relay-port)
    std::vector<asio::ip::udp::endpoint> dns_servers;
    std::filesystem::path queue_dir = "./var/queue";
    ClientOptions client;    // SMTP client timeouts
};

// The outbound half of the mail server: a durable queue, and a runner that hands what is in
// it to the MX host of each recipient's domain. A message is tried when it arrives and again
// at each start; chapter 18 adds retries on a schedule.
class Relay {
public:
    Relay(asio::io_context& io, const Options& options, const smtp::Options& smtp);

    // Queues a message for `envelope`'s recipients: on disk before it returns. Thread-safe.
    std::error_code submit(const smtp::Envelope& envelope, const mailsteps::Spool& text, const std::string& id);

    void start(); // tries again what a previous run left in the queue

private:
    asio::awaitable<void> attempt(QueueEntry entry);
    asio::awaitable<void> deliver_to_domain(QueueEntry& entry, const std::vector<std::size_t>& recipients,
                                            std::string_view text);
    void record(QueueEntry& entry, const std::vector<std::size_t>& pending, const Attempt& result,
                const std::string& relay_name);
    void finish(QueueEntry& entry);

    Options options_;
    const smtp::Options& smtp_;
    asio::strand<asio::io_context::executor_type> strand_; // attempts run on it
    Queue queue_;
    mailsteps::Logger log_{"relay"};
};

} // namespace relay
