#include "relay.hpp"

#include "list_bounces.hpp"
#include "lists.hpp"

#include "shared/ascii.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <span>

namespace relay {
namespace {

using Clock = std::chrono::system_clock;
using asio::experimental::as_tuple;

constexpr std::size_t max_addresses_per_host = 10;

// "12s", for the log: how long the message has been with us.
std::string delay_since(Clock::time_point arrival) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - arrival);
    return std::to_string(seconds.count()) + "s";
}

} // namespace

Relay::Relay(asio::io_context& io, const Options& options, const smtp::Options& smtp)
    : options_(options), smtp_(smtp), strand_(asio::make_strand(io)), wake_(strand_), queue_(options.queue_dir) {}

std::error_code Relay::submit(const smtp::Envelope& envelope, const mailsteps::Spool& text, const std::string& id) {
    QueueEntry entry;
    entry.id = id;
    entry.sender = envelope.sender;
    for (const auto& recipient : envelope.recipients) {
        entry.recipients.push_back({recipient, RecipientStatus::pending, "", ""});
    }
    entry.arrival = entry.next_attempt = Clock::now();
    // RFC 5321 4.4: our Received: header goes on top of the message we pass on.
    const smtp::Mailbox* only = envelope.recipients.size() == 1 ? &envelope.recipients.front() : nullptr;
    std::string received = smtp::received_header(envelope, only, smtp_.hostname, id, std::time(nullptr));
    if (auto error = queue_.add(entry, received, text)) {
        return error;
    }
    asio::post(strand_, [this, entry] {
        waiting_[entry.id] = entry;
        wake_.cancel();
    });
    return {};
}

// Called before the server accepts anyone: load() must not race with sessions adding mail.
void Relay::start() {
    auto loaded = queue_.load();
    for (const auto& problem : loaded.problems) {
        log_.warning("queue: ", problem);
    }
    for (auto& entry : loaded.entries) {
        // What waited through a restart is tried again now: the restart may have been the fix.
        log_.info("id=", entry.id, " found in the queue, ", entry.recipients.size(), " recipient(s)");
        entry.next_attempt = Clock::now();
        waiting_[entry.id] = std::move(entry);
    }
    asio::co_spawn(strand_, run(), asio::detached);
}

void Relay::stop() {
    asio::post(strand_, [this] {
        stopping_ = true;
        wake_.cancel();
    });
}

// The queue runner: start every due attempt (at most max_outbound at once), then sleep until
// the next one is due, a message arrives or an attempt ends.
asio::awaitable<void> Relay::run() {
    while (!stopping_) {
        auto now = Clock::now();
        auto next = now + std::chrono::hours(1);
        for (auto it = waiting_.begin(); it != waiting_.end() && in_flight_ < options_.max_outbound;) {
            if (it->second.next_attempt <= now) {
                // Out of waiting_ first: the attempt may run, and put the entry back, at once.
                auto entry = std::move(it->second);
                it = waiting_.erase(it);
                ++in_flight_;
                asio::co_spawn(strand_, attempt(std::move(entry)), asio::detached);
            } else {
                next = std::min(next, it->second.next_attempt);
                ++it;
            }
        }
        wake_.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(next - now));
        co_await wake_.async_wait(as_tuple(asio::use_awaitable));
    }
}

// One delivery attempt of one message: each domain of its pending recipients in turn.
asio::awaitable<void> Relay::attempt(QueueEntry entry) {
    auto message = queue_.read_message(entry.id);
    if (auto* error = std::get_if<std::error_code>(&message)) {
        log_.error("id=", entry.id, " cannot read the queued message: ", error->message());
    } else {
        std::map<std::string, std::vector<std::size_t>> by_domain; // RFC 5321 5.1: one plan per domain
        for (std::size_t i = 0; i < entry.recipients.size(); ++i) {
            if (entry.recipients[i].status == RecipientStatus::pending) {
                by_domain[mailsteps::lowercase(entry.recipients[i].address.domain)].push_back(i);
            }
        }
        // What is still to do when the deadline passes waits for the next attempt: a domain whose
        // hosts never answer must not hold an outbound slot for hours.
        const auto deadline = std::chrono::steady_clock::now() + options_.max_attempt_time;
        for (const auto& [domain, recipients] : by_domain) {
            co_await deliver_to_domain(entry, recipients, std::get<std::string>(message), deadline);
            queue_.update(entry); // after a crash, only what is still pending is sent again
        }
    }
    ++entry.attempts;
    finish(entry, std::holds_alternative<std::string>(message) ? std::get<std::string>(message) : "");
    --in_flight_;
    wake_.cancel();
}

// RFC 5321 5.1: MX hosts in order of preference, each of their addresses in turn, until every
// recipient has had a final answer (2xx or 5xx), there is nobody left to ask, or the attempt's
// deadline has passed.
asio::awaitable<void> Relay::deliver_to_domain(QueueEntry& entry, const std::vector<std::size_t>& recipients,
                                               std::string_view text, std::chrono::steady_clock::time_point deadline) {
    const std::string& domain = entry.recipients[recipients.front()].address.domain;
    auto mark_all = [&](RecipientStatus status, const std::string& host, const std::string& reply) {
        for (auto i : recipients) {
            auto& recipient = entry.recipients[i];
            if (recipient.status != RecipientStatus::pending) {
                continue;
            }
            recipient.last_reply = reply;
            if (status == RecipientStatus::failed) {
                recipient.status = status;
                recipient.remote_host = host;
            }
            log_.info("id=", entry.id, " to=<", smtp::to_string(recipient.address), "> delay=",
                      delay_since(entry.arrival), " status=", status == RecipientStatus::failed ? "bounced" : "deferred",
                      " (", reply, ")");
        }
    };
    // Checked before each step (the lookup, each connection), which has a timeout of its own.
    auto defer_if_out_of_time = [&] {
        if (std::chrono::steady_clock::now() < deadline) {
            return false;
        }
        mark_all(RecipientStatus::pending, "", "451 4.4.0 Delivery attempt took longer than " +
                                                   mailsteps::format_duration(options_.max_attempt_time) +
                                                   ", will try again later");
        return true;
    };
    if (defer_if_out_of_time()) {
        co_return;
    }
    auto name = dns::Name::from_text(domain);
    if (!name) {
        mark_all(RecipientStatus::failed, "", "550 5.1.2 Bad destination domain: " + domain);
        co_return;
    }
    dns::ClientOptions dns_options;
    dns_options.servers = options_.dns_servers;
    auto plan = co_await dns::resolve_mx(*name, dns_options, dns::max_mx_hosts);
    if (plan.status == dns::PlanStatus::temporary_failure) {
        mark_all(RecipientStatus::pending, "", "451 4.4.3 DNS lookup failed: " + plan.reason);
        co_return;
    }
    if (dns::is_permanent(plan.status)) { // RFC 7505: null MX, or NXDOMAIN
        mark_all(RecipientStatus::failed, "", "550 5.1.2 " + domain + " does not accept mail: " + plan.reason);
        co_return;
    }
    for (const auto& host : plan.hosts) {
        // RFC 5321 5.1: we must not relay to ourselves, nor to hosts less preferred than us.
        if (is_self(host)) {
            if (&host == &plan.hosts.front()) { // nobody is more preferred: a configuration loop
                mark_all(RecipientStatus::failed, "", "554 5.4.6 mail for " + domain + " loops back to myself");
            }
            co_return;
        }
        std::string host_name = host.name.to_text();
        if (host_name.ends_with('.')) {
            host_name.pop_back();
        }
        auto addresses = std::span(host.addresses).first(std::min(host.addresses.size(), max_addresses_per_host));
        for (const auto& address : addresses) {
            std::vector<std::size_t> pending;
            for (auto i : recipients) {
                if (entry.recipients[i].status == RecipientStatus::pending) {
                    pending.push_back(i);
                }
            }
            if (pending.empty() || defer_if_out_of_time()) {
                co_return;
            }
            std::vector<smtp::Mailbox> addresses;
            for (auto i : pending) {
                addresses.push_back(entry.recipients[i].address);
            }
            asio::ip::tcp::endpoint server{address, options_.port};
            std::string relay_name = host_name + "[" + address.to_string() + "]:" + std::to_string(options_.port);
            // RFC 5321 6.1: the outcome goes to disk the moment the reply comes, before QUIT's round
            // trip; a crash between the server's 250 and this note would send the message twice.
            bool noted = false;
            OnAnswered note = [&](const Attempt& result) {
                noted = true;
                record(entry, pending, result, host_name, relay_name);
                queue_.update(entry);
            };
            auto result = co_await deliver_to_server(server, entry.sender, addresses, text, options_.client,
                                                     mailsteps::Logger("relay " + entry.id), note);
            if (!noted) {
                record(entry, pending, result, host_name, relay_name);
            }
        }
    }
}

// What one server said about each of `pending`: delivered, failed for good, or still to do. A
// server that would not talk to us at all (RFC 5321 3.1) leaves them to the next MX host, as
// Postfix's smtp_skip_5xx_greeting does; if it was the last, they wait for the next attempt.
void Relay::record(QueueEntry& entry, const std::vector<std::size_t>& pending, const Attempt& result,
                   const std::string& host_name, const std::string& relay_name) {
    for (std::size_t k = 0; k < pending.size(); ++k) {
        auto& recipient = entry.recipients[pending[k]];
        const Reply& reply = outcome_for(result, k);
        std::string reply_text = reply.code == 0 ? "connection failed: " + reply.text
                                                 : std::to_string(reply.code) + " " + reply.text;
        recipient.last_reply = relay_name + " said: " + reply_text;
        const char* status = "deferred";
        if (reply.code >= 200 && reply.code < 300) {
            recipient.status = RecipientStatus::delivered;
            status = "sent";
        } else if (result.lacks_8bitmime) { // our own verdict, not the server's reply: the reason names it
            recipient.status = RecipientStatus::failed;
            recipient.last_reply = reply_text + " (" + relay_name + ")";
            status = "bounced";
        } else if (reply.code >= 500 && !result.refused_to_talk) {
            recipient.status = RecipientStatus::failed; // the DSN quotes the reply and names the server
            recipient.last_reply = reply_text;
            recipient.remote_host = host_name;
            status = "bounced";
        }
        log_.info("id=", entry.id, " to=<", smtp::to_string(recipient.address), "> relay=", relay_name,
                  " delay=", delay_since(entry.arrival), " status=", status, " (", reply_text, ")");
    }
}

// After an attempt: bounce what failed for good (and what waited too long), then forget the
// message or schedule the next attempt. The failures are those of this attempt and any that a
// stop or crash kept from their DSN: every recipient still marked failed.
void Relay::finish(QueueEntry& entry, std::string_view text) {
    auto now = Clock::now();
    bool expired = now - entry.arrival >= options_.max_lifetime;
    std::vector<FailedRecipient> failures;
    bool pending = false;
    for (const auto& recipient : entry.recipients) {
        if (recipient.status == RecipientStatus::failed) {
            failures.push_back({recipient.address, Failure::rejected, recipient.remote_host, recipient.last_reply});
        } else if (recipient.status == RecipientStatus::pending && expired) {
            // RFC 5321 4.5.4.1: give up after several days
            failures.push_back({recipient.address, Failure::expired, "", recipient.last_reply});
        } else if (recipient.status == RecipientStatus::pending) {
            pending = true;
        }
    }
    if (!failures.empty()) {
        if (bounce(entry, text, failures)) {
            for (auto& recipient : entry.recipients) {
                if (recipient.status == RecipientStatus::failed) {
                    recipient.status = RecipientStatus::bounced; // the sender has been told
                }
            }
        } else if (!expired) {
            // The sender must hear of these failures: until the lifetime runs out, they wait on
            // disk for the next attempt, rather than vanish with the entry.
            pending = true;
        }
    }
    if (!pending) {
        if (auto error = queue_.remove(entry.id)) {
            log_.error("id=", entry.id, " cannot remove from the queue: ", error.message());
        } else {
            log_.info("id=", entry.id, " removed from the queue");
        }
        return;
    }
    entry.next_attempt = now + options_.retry_schedule.delay_after(entry.attempts);
    if (auto error = queue_.update(entry)) {
        log_.error("id=", entry.id, " cannot update the queue: ", error.message());
    }
    waiting_[entry.id] = entry;
}

// RFC 3464: tell the sender, through the normal path. Never to <>: a bounce is not bounced.
// False when the bounce could not be stored (a full disk, say).
bool Relay::bounce(const QueueEntry& entry, std::string_view text, const std::vector<FailedRecipient>& failures) {
    if (!entry.sender) {
        log_.info("id=", entry.id, " bounce dropped: the sender is <> (RFC 5321 6.1)");
        return true;
    }
    BounceInput input;
    input.sender = *entry.sender;
    input.hostname = smtp_.hostname;
    input.arrival = entry.arrival;
    input.original = text;
    input.recipients = failures;
    smtp::Envelope envelope;
    envelope.recipients = {*entry.sender};
    envelope.client_name = smtp_.hostname;
    envelope.client_address = asio::ip::make_address("127.0.0.1");
    std::string id = new_queue_id();
    bool local = std::any_of(smtp_.domains.begin(), smtp_.domains.end(),
                             [&](const std::string& d) { return mailsteps::equals_ci(d, entry.sender->domain); });
    mailsteps::Spool dsn(options_.queue_dir);
    auto error = dsn.append(make_bounce(input));
    // A list's bounce is the list's to count (chapter 36), like one that comes by SMTP.
    auto list = local ? lists::list_of_bounces(mailsteps::lowercase(smtp::to_string(*entry.sender))) : std::nullopt;
    if (!error && list && lists::list_exists(smtp_.lists_dir, *list)) {
        auto outcome = lists::take_bounce(smtp_.lists_dir, *list, dsn, std::time(nullptr));
        if (auto* problem = std::get_if<std::string>(&outcome)) {
            log_.error("id=", entry.id, " bounce for <", *list, "> failed: ", *problem);
            return false;
        }
        const auto& counted = std::get<lists::BounceOutcome>(outcome);
        for (const auto& [member, removed] : counted) {
            log_.info("id=", entry.id, " list=<", *list, "> bounce for <", member, ">",
                      removed ? ": removed after bounces on 5 days" : "");
        }
        if (!counted.empty()) {
            return true;
        }
        envelope.recipients = {smtp::Mailbox{"postmaster", entry.sender->domain}}; // for a person, as by SMTP
    }
    if (!error) {
        error = local ? smtp::deliver_locally(smtp_.maildir_root, envelope, dsn, smtp_.hostname, id)
                      : submit(envelope, dsn, id);
    }
    if (error) {
        log_.error("id=", entry.id, " bounce to <", smtp::to_string(*entry.sender), "> failed: ", error.message());
        return false;
    }
    log_.info("id=", entry.id, " bounce id=", id, " to <", smtp::to_string(*entry.sender), ">");
    return true;
}

bool Relay::is_self(const dns::MxHost& host) const {
    std::string name = host.name.to_text();
    if (name.ends_with('.')) {
        name.pop_back();
    }
    if (mailsteps::equals_ci(name, smtp_.hostname)) {
        return true;
    }
    return options_.port == options_.self.port() &&
           std::find(host.addresses.begin(), host.addresses.end(), options_.self.address()) != host.addresses.end();
}

} // namespace relay
