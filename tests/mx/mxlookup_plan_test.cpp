// End-to-end tests of chapter 14's mxlookup: the delivery plan it prints for the test zone
// of a real name server (dnsmasq) on 127.0.0.1. The exit codes are the contract's
// (tests/dns/mxlookup_testing.hpp).
#include "dns/mxlookup_testing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace {

using namespace dns::tests;

// The host lines of a delivery plan, "PREFERENCE HOST ADDRESS...", in order, normalised.
std::vector<std::string> plan_hosts(const std::string& out) {
    std::vector<std::string> hosts;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        const auto fields = words_of(line);
        if (fields.size() >= 2 && std::all_of(fields[0].begin(), fields[0].end(), is_digit)) {
            hosts.push_back(join(fields));
        }
    }
    return hosts;
}

// ---- The delivery plan (no --type) --------------------------------------------------------------

TEST(MxlookupPlan, ListsMxHostsByPreferenceWithTheirAddresses) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"example.test"});
    EXPECT_EQ(result.exit_code, answered) << result.err;
    // RFC 5321 5.1: the lowest preference first; each host's IPv4 addresses, then IPv6
    EXPECT_EQ(plan_hosts(result.out), (std::vector<std::string>{"10 mx1.example.test. 127.0.0.2 ::2",
                                                                "20 mx2.example.test. 127.0.0.3"}))
        << result.out;
}

TEST(MxlookupPlan, ShufflesMxHostsOfEqualPreference) {
    Dnsmasq dns(zone());
    const std::set<std::string> both{"5 a.equal.test. 127.0.0.5", "5 b.equal.test. 127.0.0.6"};
    std::set<std::vector<std::string>> orders;
    for (int attempt = 0; attempt < 30 && orders.size() < 2; ++attempt) {
        const auto result = mxlookup(dns.server(), {"equal.test"});
        ASSERT_EQ(result.exit_code, answered) << result.err;
        const auto hosts = plan_hosts(result.out);
        ASSERT_EQ(std::set<std::string>(hosts.begin(), hosts.end()), both) << result.out;
        ASSERT_EQ(hosts.size(), 2U) << result.out;
        orders.insert(hosts);
    }
    // RFC 5321 5.1: equal preferences in random order. A fair shuffle gives the same order
    // 30 times in a row once in 2^29 runs.
    EXPECT_EQ(orders.size(), 2U) << "30 lookups, always the same order";
}

// RFC 5321 5.1 lets a client limit the MX hosts it tries: mxlookup prints the relay's plan,
// so it shows the same cut, and says what was left out.
TEST(MxlookupPlan, ShowsOnlyTheMxHostsTheRelayTries) {
    std::vector<std::string> seven_hosts;  // h1.more.test (preference 1, 127.0.0.11) to h7
    for (int i = 1; i <= 7; ++i) {
        const std::string host = "h" + std::to_string(i) + ".more.test";
        seven_hosts.push_back("--mx-host=more.test," + host + "," + std::to_string(i));
        seven_hosts.push_back("--host-record=" + host + ",127.0.0.1" + std::to_string(i));
    }
    Dnsmasq dns(seven_hosts);
    const auto result = mxlookup(dns.server(), {"more.test"});
    EXPECT_EQ(result.exit_code, answered) << result.err;
    EXPECT_EQ(plan_hosts(result.out),
              (std::vector<std::string>{"1 h1.more.test. 127.0.0.11", "2 h2.more.test. 127.0.0.12",
                                        "3 h3.more.test. 127.0.0.13", "4 h4.more.test. 127.0.0.14",
                                        "5 h5.more.test. 127.0.0.15"}))
        << result.out;
    EXPECT_NE(result.out.find("\n  (2 more MX hosts not tried: the relay tries at most 5)\n"), npos) << result.out;
}

TEST(MxlookupPlan, DomainWithoutMxIsItsOwnMailHost) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"nomx.test"});
    EXPECT_EQ(result.exit_code, answered) << result.err;
    EXPECT_NE(result.out.find("implicit MX"), npos) << result.out;
    EXPECT_EQ(plan_hosts(result.out), std::vector<std::string>{"0 nomx.test. 127.0.0.4"}) << result.out;
}

TEST(MxlookupPlan, NullMxMeansTheDomainAcceptsNoMail) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"nullmx.test"});
    EXPECT_EQ(result.exit_code, no_answer) << result.err;
    EXPECT_NE(result.out.find("does not accept mail"), npos) << result.out;
    EXPECT_TRUE(plan_hosts(result.out).empty()) << result.out;
}

TEST(MxlookupPlan, NxdomainExitsOne) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"nowhere.test"});
    EXPECT_EQ(result.exit_code, no_answer) << result.err;
    EXPECT_NE(result.out.find("NXDOMAIN"), npos) << result.out;
}

}  // namespace
