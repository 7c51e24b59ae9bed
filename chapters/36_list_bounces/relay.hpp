#pragma once

#include "bounce.hpp"
#include "dns_client.hpp"
#include "local_delivery.hpp"
#include "mx_resolver.hpp"
#include "queue.hpp"
#include "retry_schedule.hpp"
#include "smtp_client.hpp"
#include "smtp_session.hpp"

#include "shared/duration.hpp"
#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

namespace relay {

struct Options {
    std::uint16_t port = 25; // where MX hosts listen (--relay-port)
    std::vector<asio::ip::udp::endpoint> dns_servers;
    std::filesystem::path queue_dir = "./var/queue";
    RetrySchedule retry_schedule = *RetrySchedule::parse(default_retry_schedule);
    mailsteps::Duration max_lifetime = std::chrono::hours(24 * 5);
    mailsteps::Duration max_attempt_time = std::chrono::minutes(10); // then the rest waits for the next attempt
    std::size_t max_outbound = 20; // messages being delivered at once, one connection each
    ClientOptions client;          // SMTP client timeouts
    asio::ip::tcp::endpoint self;  // our own SMTP listener: never relay to it
};

// The outbound half of the mail server: a durable queue, and a runner that hands what is in
// it to the MX hosts of each recipient's domain, retrying (RFC 5321 4.5.4.1) and bouncing
// (RFC 5321 6.1, RFC 3464) until every recipient has a final answer.
class Relay {
public:
    Relay(asio::io_context& io, const Options& options, const smtp::Options& smtp);

    // Queues a message for `envelope`'s recipients: on disk before it returns. Thread-safe.
    std::error_code submit(const smtp::Envelope& envelope, const mailsteps::Spool& text, const std::string& id);

    void start(); // loads what a previous run left in the queue, then delivers
    void stop();  // no new attempts; what is under way stays queued if cut off

private:
    asio::awaitable<void> run();
    asio::awaitable<void> attempt(QueueEntry entry);
    asio::awaitable<void> deliver_to_domain(QueueEntry& entry, const std::vector<std::size_t>& recipients,
                                            std::string_view text, std::chrono::steady_clock::time_point deadline);
    void record(QueueEntry& entry, const std::vector<std::size_t>& pending, const Attempt& result,
                const std::string& host_name, const std::string& relay_name);
    void finish(QueueEntry& entry, std::string_view text);
    bool bounce(const QueueEntry& entry, std::string_view text, const std::vector<FailedRecipient>& failures);
    bool is_self(const dns::MxHost& host) const;

    Options options_;
    const smtp::Options& smtp_;
    asio::strand<asio::io_context::executor_type> strand_; // everything below is used on it
    asio::steady_timer wake_;
    Queue queue_;
    std::map<std::string, QueueEntry> waiting_; // by id: entries not being delivered right now
    std::size_t in_flight_ = 0;
    bool stopping_ = false;
    mailsteps::Logger log_{"relay"};
};

} // namespace relay
