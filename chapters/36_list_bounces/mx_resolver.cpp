#include "mx_resolver.hpp"

#include "dns_text.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <random>

namespace dns {

namespace {

using namespace asio::experimental::awaitable_operators;

// What one lookup found, once aliases are followed.
enum class Found { records, no_data, nx_domain, temporary_failure, permanent_failure };

struct Lookup {
    Found found = Found::temporary_failure;
    Name owner;                  // where the CNAME chain ended
    std::vector<Rdata> records;  // the records of the type asked for, at `owner`
    std::string reason;          // when there are none: why
};

std::vector<Rdata> records_at(const std::vector<Record>& answers, const Name& owner, Type type) {
    std::vector<Rdata> found;
    for (const auto& record : answers) {
        if (record.type == type && record.name == owner) {
            found.push_back(record.data);
        }
    }
    return found;
}

std::optional<Name> alias_target(const std::vector<Record>& answers, const Name& owner) {
    for (const auto& record : answers) {
        const auto* cname = std::get_if<rdata::Cname>(&record.data);
        if (cname && record.name == owner) {
            return cname->target;
        }
    }
    return std::nullopt;
}

// RFC 1034 3.6.2: a CNAME makes its owner an alias; the lookup goes on at the target.
// Servers usually put the whole chain in one answer (RFC 1034 4.3.2), so the answer is
// walked first, and a new query is only sent where the chain leaves it.
asio::awaitable<Lookup> lookup(Name name, Type type, ClientOptions options) {
    const std::string what = to_string(type) + " lookup of " + name.to_text();
    int hops = 0;
    while (true) {
        const QueryResult result = co_await query(name, type, options);
        switch (result.outcome) {
        case Outcome::answer:
            break;
        case Outcome::no_data:
            co_return Lookup{Found::no_data, name, {}, name.to_text() + " has no " + to_string(type) + " records"};
        case Outcome::nx_domain:
            co_return Lookup{Found::nx_domain, name, {}, name.to_text() + " does not exist (NXDOMAIN)"};
        default:
            co_return Lookup{Found::temporary_failure, name, {},
                             what + ": " + to_string(result.outcome) + ", " + result.detail};
        }
        const auto& answers = result.response->answers;
        const Name asked = name;
        while (true) {
            auto records = records_at(answers, name, type);
            if (!records.empty()) {
                co_return Lookup{Found::records, name, std::move(records), {}};
            }
            const auto target = alias_target(answers, name);
            if (!target) {
                break;
            }
            if (++hops > max_cname_hops) {
                co_return Lookup{Found::permanent_failure, name, {},
                                 what + ": more than " + std::to_string(max_cname_hops) + " CNAMEs in a row"};
            }
            name = *target;
        }
        if (name == asked) {  // an answer, but nothing in it for this name and type
            co_return Lookup{Found::no_data, name, {}, name.to_text() + " has no " + to_string(type) + " records"};
        }
    }
}

struct HostAddresses {
    std::vector<asio::ip::address> addresses;
    bool temporary = false;  // when there are none: might a later try find some?
    std::string reason;
};

// A host's addresses are its A and AAAA records; `&&` sends both queries at once.
asio::awaitable<HostAddresses> addresses_of(Name host, ClientOptions options) {
    const auto [v4, v6] = co_await (lookup(host, Type::A, options) && lookup(host, Type::AAAA, options));
    HostAddresses result;
    for (const Lookup* found : {&v4, &v6}) {
        for (const auto& data : found->records) {
            if (const auto* a = std::get_if<rdata::A>(&data)) {
                result.addresses.emplace_back(a->address);
            } else if (const auto* aaaa = std::get_if<rdata::Aaaa>(&data)) {
                result.addresses.emplace_back(aaaa->address);
            }
        }
    }
    if (result.addresses.empty()) {
        const bool v4_temporary = v4.found == Found::temporary_failure;
        result.temporary = v4_temporary || v6.found == Found::temporary_failure;
        result.reason = (v4_temporary || !result.temporary) ? v4.reason : v6.reason;
    }
    co_return result;
}

// RFC 5321 5.1: lower preference first; equal preferences in random order, to spread load.
void sort_for_delivery(std::vector<rdata::Mx>& exchanges) {
    thread_local std::mt19937 random{std::random_device{}()};
    std::shuffle(exchanges.begin(), exchanges.end(), random);
    std::stable_sort(exchanges.begin(), exchanges.end(),
                     [](const rdata::Mx& a, const rdata::Mx& b) { return a.preference < b.preference; });
}

DeliveryPlan failure(bool temporary, std::string reason) {
    return {temporary ? PlanStatus::temporary_failure : PlanStatus::permanent_failure, {}, std::move(reason)};
}

// RFC 5321 5.1: "If an empty list of MXs is returned, the address is treated as if it was
// associated with an implicit MX RR, with a preference of 0, pointing to that host."
asio::awaitable<DeliveryPlan> implicit_mx(Name domain, ClientOptions options) {
    HostAddresses host = co_await addresses_of(domain, options);
    if (host.addresses.empty()) {
        co_return failure(host.temporary, "no MX records, and " + host.reason);
    }
    co_return DeliveryPlan{PlanStatus::implicit_mx, {MxHost{domain, 0, std::move(host.addresses)}}, {}};
}

}  // namespace

bool is_permanent(PlanStatus status) {
    return status == PlanStatus::null_mx || status == PlanStatus::permanent_failure;
}

asio::awaitable<DeliveryPlan> resolve_mx(Name domain, ClientOptions options, std::size_t max_hosts) {
    const Lookup mx = co_await lookup(domain, Type::MX, options);
    switch (mx.found) {
    case Found::records:
        break;
    case Found::no_data:  // RFC 5321 5.1: the name after any CNAME is "processed as if it were the initial name"
        co_return co_await implicit_mx(mx.owner, options);
    case Found::nx_domain:  // RFC 5321 5.1: "MUST be reported as an error"
    case Found::permanent_failure:
        co_return failure(false, mx.reason);
    case Found::temporary_failure:  // RFC 5321 5.1: "the message MUST be queued and retried later"
        co_return failure(true, mx.reason);
    }

    std::vector<rdata::Mx> exchanges;
    for (const auto& data : mx.records) {
        exchanges.push_back(std::get<rdata::Mx>(data));
    }
    // RFC 7505 3: one MX record, preference 0, exchange "." means "no mail here".
    if (exchanges.size() == 1 && exchanges.front().preference == 0 && exchanges.front().exchange.is_root()) {
        co_return DeliveryPlan{PlanStatus::null_mx, {}, domain.to_text() + " does not accept mail (null MX)"};
    }
    // "." names no host (RFC 7505 3), even among other MX records.
    std::erase_if(exchanges, [](const rdata::Mx& exchange) { return exchange.exchange.is_root(); });
    sort_for_delivery(exchanges);

    // Cut first, then look up addresses: a zone listing thousands of hosts that never answer
    // must not cost thousands of queries.
    DeliveryPlan plan{PlanStatus::ok, {}, {}};
    if (exchanges.size() > max_hosts) {
        plan.hosts_left_out = exchanges.size() - max_hosts;
        exchanges.resize(max_hosts);
    }
    std::optional<HostAddresses> temporary;
    for (const auto& exchange : exchanges) {
        HostAddresses host = co_await addresses_of(exchange.exchange, options);
        if (host.temporary) {
            temporary = host;
        }
        plan.hosts.push_back(MxHost{exchange.exchange, exchange.preference, std::move(host.addresses)});
    }
    // RFC 5321 5.1: "If MX records are present, but none of them are usable ... MUST be reported as an error."
    const auto usable = [](const MxHost& host) { return !host.addresses.empty(); };
    if (std::none_of(plan.hosts.begin(), plan.hosts.end(), usable)) {
        const std::string tried =
            plan.hosts_left_out == 0 ? "" : " among the " + std::to_string(plan.hosts.size()) + " most preferred";
        co_return temporary ? failure(true, "no MX host" + tried + " is usable now: " + temporary->reason)
                            : failure(false, "no MX host of " + domain.to_text() + tried + " has an address");
    }
    co_return plan;
}

}  // namespace dns
