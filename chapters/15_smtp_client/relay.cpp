#include "relay.hpp"

#include "line_stream.hpp"
#include "mx_resolver.hpp"

#include <algorithm>

namespace relay {

asio::awaitable<Reply> relay_now(const smtp::Envelope& envelope, std::string_view text, const Options& options,
                                 const mailsteps::Logger& log) {
    const std::string& domain = envelope.recipients.front().domain;
    auto name = dns::Name::from_text(domain);
    if (!name) {
        co_return Reply{550, "5.1.2 Bad destination domain: " + domain};
    }
    dns::ClientOptions dns_options;
    dns_options.servers = options.dns_servers;
    auto plan = co_await dns::resolve_mx(*name, dns_options, dns::max_mx_hosts);
    if (plan.status == dns::PlanStatus::temporary_failure) {
        co_return Reply{451, "4.4.3 DNS lookup failed: " + plan.reason};
    }
    if (dns::is_permanent(plan.status)) { // RFC 7505: null MX, or NXDOMAIN
        co_return Reply{550, "5.1.2 " + domain + " does not accept mail: " + plan.reason};
    }
    auto host = std::find_if(plan.hosts.begin(), plan.hosts.end(),
                             [](const dns::MxHost& host) { return !host.addresses.empty(); });
    if (host == plan.hosts.end()) {
        co_return Reply{451, "4.4.3 No address for the MX hosts of " + domain};
    }
    asio::ip::tcp::endpoint server{host->addresses.front(), options.port};
    auto attempt = co_await deliver_to_server(server, envelope.sender, envelope.recipients, text, options.client, log);
    for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
        const Reply& reply = outcome_for(attempt, i);
        if (reply.code == 0) { // RFC 5321 4.2.5: no answer means no delivery: try again later
            co_return Reply{451, "4.4.1 " + mailsteps::to_string(server) + ": " + reply.text};
        }
        if (reply.code >= 300) {
            co_return reply;
        }
    }
    co_return attempt.session_reply;
}

} // namespace relay
