#pragma once

// Where to deliver mail for a domain: the delivery plan of RFC 5321 5.1 and RFC 7505.

#include "dns_client.hpp"
#include "dns_name.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dns {

inline constexpr int max_cname_hops = 8;  // longer alias chains are treated as loops

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
    std::vector<MxHost> hosts;  // ok and implicit_mx only: the order to try them in
    std::string reason;         // what went wrong, for a bounce message or a log line
};

// True when retrying later cannot help: the relay bounces instead of queueing.
bool is_permanent(PlanStatus status);

// MX records by preference, equal preferences in random order, each host with its A and
// AAAA addresses. Arguments by value: see query().
asio::awaitable<DeliveryPlan> resolve_mx(Name domain, ClientOptions options);

}  // namespace dns
