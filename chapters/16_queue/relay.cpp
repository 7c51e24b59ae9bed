#include "relay.hpp"

#include "shared/ascii.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <algorithm>
#include <map>

namespace relay {

Relay::Relay(asio::io_context& io, const Options& options, const smtp::Options& smtp)
    : options_(options), smtp_(smtp), strand_(asio::make_strand(io)), queue_(options.queue_dir) {}

std::error_code Relay::submit(const smtp::Envelope& envelope, const mailsteps::Spool& text, const std::string& id) {
    QueueEntry entry;
    entry.id = id;
    entry.sender = envelope.sender;
    for (const auto& recipient : envelope.recipients) {
        entry.recipients.push_back({recipient, RecipientStatus::pending, ""});
    }
    // RFC 5321 4.4: our Received: header goes on top of the message we pass on.
    const smtp::Mailbox* only = envelope.recipients.size() == 1 ? &envelope.recipients.front() : nullptr;
    std::string received = smtp::received_header(envelope, only, smtp_.hostname, id, std::time(nullptr));
    if (auto error = queue_.add(entry, received, text)) {
        return error;
    }
    asio::co_spawn(strand_, attempt(std::move(entry)), asio::detached);
    return {};
}

// One delivery attempt of one message: each domain of its pending recipients in turn.
asio::awaitable<void> Relay::attempt(QueueEntry entry) {
    auto message = queue_.read_message(entry.id);
    if (auto* error = std::get_if<std::error_code>(&message)) {
        log_.error("id=", entry.id, " cannot read the queued message: ", error->message());
        co_return;
    }
    std::map<std::string, std::vector<std::size_t>> by_domain; // RFC 5321 5.1: one plan per domain
    for (std::size_t i = 0; i < entry.recipients.size(); ++i) {
        if (entry.recipients[i].status == RecipientStatus::pending) {
            by_domain[mailsteps::lowercase(entry.recipients[i].address.domain)].push_back(i);
        }
    }
    for (const auto& [domain, recipients] : by_domain) {
        co_await deliver_to_domain(entry, recipients, std::get<std::string>(message));
    }
    finish(entry);
}

// RFC 5321 5.1: the MX host the domain prefers most among those with an address (an ok plan
// has one, if not always the first). Chapter 18 tries the others too.
asio::awaitable<void> Relay::deliver_to_domain(QueueEntry& entry, const std::vector<std::size_t>& recipients,
                                               std::string_view text) {
    const std::string& domain = entry.recipients[recipients.front()].address.domain;
    auto mark_all = [&](RecipientStatus status, const std::string& reply) {
        for (auto i : recipients) {
            auto& recipient = entry.recipients[i];
            recipient.last_reply = reply;
            recipient.status = status;
            log_.info("id=", entry.id, " to=<", smtp::to_string(recipient.address), "> status=",
                      status == RecipientStatus::failed ? "failed" : "deferred", " (", reply, ")");
        }
    };
    auto name = dns::Name::from_text(domain);
    if (!name) {
        mark_all(RecipientStatus::failed, "550 5.1.2 Bad destination domain: " + domain);
        co_return;
    }
    dns::ClientOptions dns_options;
    dns_options.servers = options_.dns_servers;
    auto plan = co_await dns::resolve_mx(*name, dns_options, dns::max_mx_hosts);
    if (plan.status == dns::PlanStatus::temporary_failure) {
        mark_all(RecipientStatus::pending, "451 4.4.3 DNS lookup failed: " + plan.reason);
        co_return;
    }
    if (dns::is_permanent(plan.status)) { // RFC 7505: null MX, or NXDOMAIN
        mark_all(RecipientStatus::failed, "550 5.1.2 " + domain + " does not accept mail: " + plan.reason);
        co_return;
    }
    const auto& host = *std::find_if(plan.hosts.begin(), plan.hosts.end(),
                                     [](const dns::MxHost& host) { return !host.addresses.empty(); });
    std::string host_name = host.name.to_text();
    if (host_name.ends_with('.')) {
        host_name.pop_back();
    }
    std::vector<smtp::Mailbox> addresses;
    for (auto i : recipients) {
        addresses.push_back(entry.recipients[i].address);
    }
    asio::ip::tcp::endpoint server{host.addresses.front(), options_.port};
    std::string relay_name = host_name + "[" + server.address().to_string() + "]:" + std::to_string(options_.port);
    auto result = co_await deliver_to_server(server, entry.sender, addresses, text, options_.client,
                                             mailsteps::Logger("relay " + entry.id));
    record(entry, recipients, result, relay_name);
}

// What the server said about each of `pending`: delivered, failed for good (RFC 5321 4.2.1: a
// 5xx is final), or still to do.
void Relay::record(QueueEntry& entry, const std::vector<std::size_t>& pending, const Attempt& result,
                   const std::string& relay_name) {
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
        } else if (reply.code >= 500) {
            recipient.status = RecipientStatus::failed;
            status = "failed";
        }
        log_.info("id=", entry.id, " to=<", smtp::to_string(recipient.address), "> relay=", relay_name,
                  " status=", status, " (", reply_text, ")");
    }
}

// After an attempt: a message with nothing pending leaves the queue. What failed for good is
// only logged (chapter 19 tells the sender); what is pending stays on disk: chapter 17 tries it
// again at the next start, chapter 18 on a schedule.
void Relay::finish(QueueEntry& entry) {
    bool pending = std::any_of(entry.recipients.begin(), entry.recipients.end(),
                               [](const QueuedRecipient& r) { return r.status == RecipientStatus::pending; });
    if (pending) {
        return;
    }
    if (auto error = queue_.remove(entry.id)) {
        log_.error("id=", entry.id, " cannot remove from the queue: ", error.message());
    } else {
        log_.info("id=", entry.id, " removed from the queue");
    }
}

} // namespace relay
