// Chapter 12: mxlookup, so far the query it would send, explained field by field.
//
//   mxlookup example.test              the MX query for example.test, as an annotated hex dump
//   mxlookup example.test --type A     an A query instead

#include "dns_explain.hpp"
#include "dns_message.hpp"
#include "dns_text.hpp"

#include "shared/cli.hpp"

#include <iostream>

namespace {

enum ExitStatus {
    answered = 0,
    bad_input = 2,
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mailsteps chapter 12: mxlookup, a DNS query for DOMAIN explained field by field"};
    std::string domain_text;
    std::string type_text = "MX";
    app.add_option("domain", domain_text, "the domain to look up")->required();
    app.add_option("--type", type_text, "the type of records to ask for")
        ->check(CLI::IsMember({"MX", "A", "AAAA", "CNAME", "TXT"}, CLI::ignore_case));

    return mailsteps::run_program(app, argc, argv, [&]() -> int {
        const auto domain = dns::Name::from_text(domain_text);
        if (!domain) {
            std::cerr << "mxlookup: not a valid domain name: " << domain_text << '\n';
            return bad_input;
        }
        const dns::Message query = dns::build_query(*domain, *dns::type_from_string(type_text));
        const std::vector<std::uint8_t> wire = dns::encode(query);
        std::cout << ";; query, " << wire.size() << " octets\n" << dns::explain(wire);
        return answered;
    });
}
