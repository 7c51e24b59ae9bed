// Chapter 14: mxlookup, where does mail for a domain go? A DNS client built from scratch.
//
//   mxlookup example.test --server 127.0.0.1:5353             the delivery plan
//   mxlookup example.test --type MX --server 127.0.0.1:5353   one query, printed like dig
//   mxlookup example.test --explain ...                       every packet, annotated

#include "dns_client.hpp"
#include "dns_explain.hpp"
#include "dns_text.hpp"
#include "mx_resolver.hpp"

#include "shared/cli.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <iostream>

namespace {

enum ExitStatus {
    answered = 0,
    no_answer = 1,  // NXDOMAIN, no data, null MX: asking again will not help
    bad_input = 2,
    failed = 3,     // timeout or server failure: asking later might
};

asio::awaitable<int> print_records(dns::Name name, dns::Type type, dns::ClientOptions options) {
    const dns::QueryResult result = co_await dns::query(name, type, options);
    switch (result.outcome) {
    case dns::Outcome::answer:
        for (const auto& record : result.response->answers) {
            std::cout << dns::to_text(record) << '\n';
        }
        co_return answered;
    case dns::Outcome::no_data:
        std::cout << name.to_text() << " has no " << dns::to_string(type) << " records\n";
        co_return no_answer;
    case dns::Outcome::nx_domain:
        std::cout << name.to_text() << " does not exist (NXDOMAIN)\n";
        co_return no_answer;
    default:
        std::cerr << "mxlookup: " << dns::to_string(result.outcome) << ": " << result.detail << '\n';
        co_return failed;
    }
}

void print_hosts(const std::vector<dns::MxHost>& hosts) {
    for (const auto& host : hosts) {
        std::cout << "  " << host.preference << "  " << host.name.to_text() << ' ';
        for (const auto& address : host.addresses) {
            std::cout << ' ' << address.to_string();
        }
        std::cout << (host.addresses.empty() ? " (no address: skipped)\n" : "\n");
    }
}

asio::awaitable<int> print_plan(dns::Name domain, dns::ClientOptions options) {
    const dns::DeliveryPlan plan = co_await dns::resolve_mx(domain, options, dns::max_mx_hosts);
    switch (plan.status) {
    case dns::PlanStatus::ok:
        std::cout << domain.to_text() << " MX hosts, in the order to try:\n";
        print_hosts(plan.hosts);
        if (plan.hosts_left_out > 0) {
            std::cout << "  (" << plan.hosts_left_out << (plan.hosts_left_out == 1 ? " more MX host" : " more MX hosts")
                      << " not tried: the relay tries at most " << dns::max_mx_hosts << ")\n";
        }
        co_return answered;
    case dns::PlanStatus::implicit_mx:
        std::cout << domain.to_text() << " has no MX records; implicit MX (RFC 5321 5.1):\n";
        print_hosts(plan.hosts);
        co_return answered;
    case dns::PlanStatus::null_mx:
        std::cout << domain.to_text() << " does not accept mail (null MX, RFC 7505)\n";
        co_return no_answer;
    case dns::PlanStatus::permanent_failure:
        std::cout << "permanent failure: " << plan.reason << '\n';
        co_return no_answer;
    case dns::PlanStatus::temporary_failure:
        std::cerr << "mxlookup: temporary failure: " << plan.reason << '\n';
        co_return failed;
    }
    co_return failed;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 14: mxlookup, where does mail for DOMAIN go? A DNS client written from scratch."};
    std::string domain_text;
    std::string type_text;
    std::string server_text;
    mailsteps::Duration timeout = std::chrono::seconds(5);
    bool tcp = false;
    bool explain = false;
    app.add_option("domain", domain_text, "the domain to look up")->required();
    app.add_option("--type", type_text, "send one query of this type and print the answer like dig")
        ->check(CLI::IsMember({"MX", "A", "AAAA", "CNAME", "TXT"}, CLI::ignore_case));
    app.add_option("--server", server_text, "name server as HOST:PORT (default: /etc/resolv.conf)");
    mailsteps::add_duration_option(app, "--timeout", timeout, "per query, all retries together");
    app.add_flag("--tcp", tcp, "query over TCP only");
    app.add_flag("--explain", explain, "print every packet as an annotated hex dump");

    return mailsteps::run_program(app, argc, argv, [&]() -> int {
        const auto domain = dns::Name::from_text(domain_text);
        const auto server = server_text.empty() ? std::nullopt : dns::parse_server(server_text);
        if (!domain) {
            std::cerr << "mxlookup: not a valid domain name: " << domain_text << '\n';
            return bad_input;
        }
        if (!server_text.empty() && !server) {
            std::cerr << "mxlookup: not an address: " << server_text << " (try 127.0.0.1:5353 or [::1]:53)\n";
            return bad_input;
        }
        if (timeout <= mailsteps::Duration::zero()) {
            std::cerr << "mxlookup: the timeout must be longer than 0\n";
            return bad_input;
        }

        dns::ClientOptions options;
        options.servers = server ? std::vector{*server} : dns::read_resolv_conf();
        options.timeout = timeout;
        options.tcp_only = tcp;
        if (explain) {
            options.trace = [](std::string_view what, std::span<const std::uint8_t> wire) {
                std::cout << ";; " << what << ", " << wire.size() << " octets\n" << dns::explain(wire) << '\n';
            };
        }

        asio::io_context io;
        auto status = type_text.empty()
                          ? asio::co_spawn(io, print_plan(*domain, options), asio::use_future)
                          : asio::co_spawn(io, print_records(*domain, *dns::type_from_string(type_text), options),
                                           asio::use_future);
        io.run();
        return status.get();
    });
}
