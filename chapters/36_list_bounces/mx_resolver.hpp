#pragma once

// Where to deliver mail for a domain: the delivery plan of RFC 5321 5.1 and RFC 7505.

#include "dns_client.hpp"
#include "dns_name.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dns {

inline constexpr int max_cname_hops = 8;  // longer alias chains are treated as loops

// RFC 5321 5.1 lets a client limit the alternatives it tries. The relay (chapter 15) tries at
// most this many MX hosts, as Postfix's smtp_mx_session_limit does; mxlookup shows the same cut.
inline constexpr std::size_t max_mx_hosts = 5;

struct MxHost {
    Name name;
    std::uint16_t preference = 0;
    std::vector<asio::ip::address> addresses;  // IPv4 first, then IPv6; empty: skip this host
};

enum class PlanStatus {
    ok,                 // MX hosts in the order to try (RFC 5321 5.1)
    implicit_mx,        // no MX records: the domain itself is the one host (RFC 5321 5.1)
    null_mx,            // "MX 0 .": the domain accepts no mail (RFC 7505 3); permanent
    permanent_failure,  // NXDOMAIN, or no host with an address: bounce the message
    temporary_failure,  // SERVFAIL, REFUSED, timeout: queue and retry later (RFC 5321 4.5.4.1)
};

struct DeliveryPlan {
    PlanStatus status = PlanStatus::temporary_failure;
    std::vector<MxHost> hosts;       // ok and implicit_mx only: the order to try them in
    std::string reason;              // what went wrong, for a bounce message or a log line
    std::size_t hosts_left_out = 0;  // MX hosts past the limit: never looked up, never tried
};

// True when retrying later cannot help: the relay bounces instead of queueing.
bool is_permanent(PlanStatus status);

// MX records by preference, equal preferences in random order, cut to the first `max_hosts`;
// only those are looked up, each host's A and AAAA addresses. So however many MX records a
// zone lists, a plan costs at most 1 + 2 * max_hosts lookups. Arguments by value: see query().
asio::awaitable<DeliveryPlan> resolve_mx(Name domain, ClientOptions options, std::size_t max_hosts);

}  // namespace dns
