// Chapter 10: mxlookup, so far a domain name as a DNS message carries it (RFC 1035 3.1).
//
//   mxlookup example.test      its labels on the wire, octet by octet

#include "dns_name.hpp"

#include "shared/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace {

enum ExitStatus {
    answered = 0,
    bad_input = 2,
};

// One row per label: its length octet and its octets in hex, then the label as text.
void print_labels(std::span<const std::uint8_t> wire) {
    for (std::size_t at = 0; at < wire.size(); at += 1 + wire[at]) {
        std::string row;
        for (std::size_t i = at; i <= at + wire[at]; ++i) {
            char octet[4];
            std::snprintf(octet, sizeof octet, "%02x ", wire[i]);
            row += octet;
        }
        row.resize(std::max<std::size_t>(row.size(), 3 * 8), ' ');
        const auto label = wire.subspan(at + 1, wire[at]);
        std::cout << "  " << row << ' '
                  << (label.empty() ? "the root: end of name"
                                    : "label " + dns::escape_label(std::string(label.begin(), label.end())))
                  << '\n';
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 10: mxlookup, DOMAIN in DNS wire format"};
    std::string domain_text;
    app.add_option("domain", domain_text, "the domain to look up")->required();

    return mailsteps::run_program(app, argc, argv, [&]() -> int {
        const auto domain = dns::Name::from_text(domain_text);
        if (!domain) {
            std::cerr << "mxlookup: not a valid domain name: " << domain_text << '\n';
            return bad_input;
        }
        std::vector<std::uint8_t> wire;
        dns::write_name(wire, *domain);
        std::cout << domain->to_text() << " on the wire, " << wire.size() << " octets:\n";
        print_labels(wire);
        // The reader takes back what the writer wrote: the same name, and every octet used.
        dns::Reader in(wire);
        const dns::Name read = dns::read_name(in);
        std::cout << "read back: " << read.to_text() << (in.ok() && in.remaining() == 0 ? "\n" : " (a bug)\n");
        return answered;
    });
}
