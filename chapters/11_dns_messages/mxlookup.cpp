// Chapter 11: mxlookup, so far the query it would send: a whole DNS message in hex.
//
//   mxlookup example.test      the MX query for example.test, octet by octet

#include "dns_message.hpp"

#include "shared/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <variant>

namespace {

enum ExitStatus {
    answered = 0,
    bad_input = 2,
};

// Offset, then up to 8 octets in hex: the rows chapter 12 will annotate.
void print_rows(std::span<const std::uint8_t> wire) {
    for (std::size_t start = 0; start < wire.size(); start += 8) {
        std::printf("%04zx ", start);
        for (std::size_t i = start; i < std::min(start + 8, wire.size()); ++i) {
            std::printf(" %02x", wire[i]);
        }
        std::printf("\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 11: mxlookup, the DNS query for DOMAIN's MX records, in hex"};
    std::string domain_text;
    app.add_option("domain", domain_text, "the domain to look up")->required();

    return mailsteps::run_program(app, argc, argv, [&]() -> int {
        const auto domain = dns::Name::from_text(domain_text);
        if (!domain) {
            std::cerr << "mxlookup: not a valid domain name: " << domain_text << '\n';
            return bad_input;
        }
        const dns::Message query = dns::build_query(*domain, dns::Type::MX);
        const std::vector<std::uint8_t> wire = dns::encode(query);
        std::cout << ";; query, " << wire.size() << " octets\n";
        print_rows(wire);
        // The parser reads back what the builder wrote: the same header, question and OPT record.
        const auto parsed = dns::parse_message(wire);
        const bool same = std::holds_alternative<dns::Message>(parsed) && std::get<dns::Message>(parsed) == query;
        std::cout << ";; parsed back: " << (same ? "the same message" : "DIFFERENT (a bug)") << '\n';
        return answered;
    });
}
