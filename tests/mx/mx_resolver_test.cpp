// Chapter 14's delivery plan (mx_resolver): MX records in preference order, implicit MX, null
// MX, CNAMEs and failures, against a scripted name server in the same process
// (tests/dns/fake_server.hpp).

#include "dns/fake_server.hpp"
#include "mx_resolver.hpp"

namespace {

using namespace dns::tests;
using dns::PlanStatus;
using dns::Type;
using namespace std::chrono_literals;

std::vector<std::string> texts(const std::vector<asio::ip::address>& addresses) {
    std::vector<std::string> result;
    for (const auto& address : addresses) {
        result.push_back(address.to_string());
    }
    return result;
}

class ResolverTest : public ClientTest {
protected:
    dns::DeliveryPlan resolve(std::string_view domain, const dns::ClientOptions& options) {
        return run(dns::resolve_mx(name(domain), options, dns::max_mx_hosts));
    }
};

// ---- The delivery plan -------------------------------------------------------------------

TEST_F(ResolverTest, MxHostsInPreferenceOrderWithTheirAddresses) {
    FakeServer server(io_, Zone{{mx("example.test", 20, "mx2.example.test"), mx("example.test", 10, "mx1.example.test"),
                                 a("mx1.example.test", "127.0.0.2"), a("mx2.example.test", "127.0.0.3"),
                                 aaaa("mx2.example.test", "::1")}});
    const auto plan = resolve("example.test", options_for(server));
    ASSERT_EQ(plan.status, PlanStatus::ok) << plan.reason;
    ASSERT_EQ(plan.hosts.size(), 2u);
    EXPECT_EQ(plan.hosts[0].name, name("mx1.example.test"));
    EXPECT_EQ(plan.hosts[0].preference, 10);
    EXPECT_EQ(texts(plan.hosts[0].addresses), (std::vector<std::string>{"127.0.0.2"}));
    EXPECT_EQ(plan.hosts[1].name, name("mx2.example.test"));
    EXPECT_EQ(texts(plan.hosts[1].addresses), (std::vector<std::string>{"127.0.0.3", "::1"}));
}

TEST_F(ResolverTest, EqualPreferencesComeInRandomOrder) {
    FakeServer server(io_, Zone{{mx("example.test", 10, "a.example.test"), mx("example.test", 10, "b.example.test"),
                                 mx("example.test", 5, "first.example.test"), a("a.example.test", "127.0.0.2"),
                                 a("b.example.test", "127.0.0.3"), a("first.example.test", "127.0.0.4")}});
    int a_before_b = 0;
    int b_before_a = 0;
    for (int i = 0; i < 200; ++i) {
        const auto plan = resolve("example.test", options_for(server));
        ASSERT_EQ(plan.hosts.size(), 3u);
        EXPECT_EQ(plan.hosts[0].name, name("first.example.test"));
        (plan.hosts[1].name == name("a.example.test") ? a_before_b : b_before_a) += 1;
    }
    // Both orders have probability 1/2: seeing only one in 200 tries happens 1 in 2^199.
    EXPECT_GT(a_before_b, 0);
    EXPECT_GT(b_before_a, 0);
}

TEST_F(ResolverTest, NoMxRecordsMeanAnImplicitMx) {
    FakeServer server(io_, Zone{{a("nomx.test", "127.0.0.4"), aaaa("nomx.test", "::1")}});
    const auto plan = resolve("nomx.test", options_for(server));
    ASSERT_EQ(plan.status, PlanStatus::implicit_mx) << plan.reason;
    ASSERT_EQ(plan.hosts.size(), 1u);
    EXPECT_EQ(plan.hosts[0].name, name("nomx.test"));
    EXPECT_EQ(plan.hosts[0].preference, 0);
    EXPECT_EQ(texts(plan.hosts[0].addresses), (std::vector<std::string>{"127.0.0.4", "::1"}));
}

TEST_F(ResolverTest, NoMxAndNoAddressIsPermanent) {
    FakeServer server(io_, Zone{{txt("text.test", {"only text here"})}});
    const auto plan = resolve("text.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::permanent_failure);
    EXPECT_TRUE(plan.hosts.empty());
    EXPECT_NE(plan.reason.find("no MX records"), std::string::npos) << plan.reason;
}

TEST_F(ResolverTest, NullMxMeansNoMailAtAll) {
    FakeServer server(io_, Zone{{mx("nullmx.test", 0, "."), a("nullmx.test", "127.0.0.5")}});
    const auto plan = resolve("nullmx.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::null_mx);
    EXPECT_TRUE(dns::is_permanent(plan.status));
    EXPECT_TRUE(plan.hosts.empty());
    EXPECT_EQ(server.udp_queries.size(), 1u);  // no address lookups: there is no host
}

TEST_F(ResolverTest, NxDomainIsPermanent) {
    FakeServer server(io_, Zone{});
    const auto plan = resolve("nxd.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::permanent_failure);
    EXPECT_TRUE(dns::is_permanent(plan.status));
    EXPECT_NE(plan.reason.find("NXDOMAIN"), std::string::npos) << plan.reason;
}

TEST_F(ResolverTest, ServFailIsTemporary) {
    FakeServer server(io_, always(dns::Rcode::SERVFAIL));
    const auto plan = resolve("example.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::temporary_failure);
    EXPECT_FALSE(dns::is_permanent(plan.status));
    EXPECT_NE(plan.reason.find("SERVFAIL"), std::string::npos) << plan.reason;
    EXPECT_EQ(server.udp_queries.size(), 1u);  // an answer, even a failure, ends the query
}

TEST_F(ResolverTest, RefusedIsTemporary) {
    FakeServer server(io_, always(dns::Rcode::REFUSED));
    const auto plan = resolve("example.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::temporary_failure);
    EXPECT_NE(plan.reason.find("REFUSED"), std::string::npos) << plan.reason;
}

TEST_F(ResolverTest, SilentServerIsATemporaryFailureAfterBoundedRetries) {
    FakeServer server(io_, [](const dns::Message&, bool) { return std::vector<Reply>{}; });
    auto options = options_for(server);
    options.timeout = 600ms;
    options.attempts = 3;
    const auto start = std::chrono::steady_clock::now();
    const auto plan = resolve("example.test", options);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(plan.status, PlanStatus::temporary_failure);
    EXPECT_NE(plan.reason.find("timeout"), std::string::npos) << plan.reason;
    EXPECT_EQ(server.udp_queries.size(), 3u);
    EXPECT_GE(elapsed, 550ms);
    EXPECT_LT(elapsed, 1500ms);
}

TEST_F(ResolverTest, FollowsCnamesForTheDomainAndItsMxHosts) {
    FakeServer server(io_, Zone{{cname("alias.test", "real.test"), mx("real.test", 10, "mx.real.test"),
                                 cname("mx.real.test", "host.real.test"), a("host.real.test", "127.0.0.6")}});
    const auto plan = resolve("alias.test", options_for(server));
    ASSERT_EQ(plan.status, PlanStatus::ok) << plan.reason;
    ASSERT_EQ(plan.hosts.size(), 1u);
    EXPECT_EQ(plan.hosts[0].name, name("mx.real.test"));
    EXPECT_EQ(texts(plan.hosts[0].addresses), (std::vector<std::string>{"127.0.0.6"}));
}

TEST_F(ResolverTest, ACnameChainInOneAnswerNeedsNoSecondQuery) {
    FakeServer server(io_, [](const dns::Message& query, bool) {
        auto response = response_to(query);
        if (query.questions.front().type == Type::MX) {
            response.answers = {cname("alias.test", "real.test"), mx("real.test", 10, "mx.real.test")};
        } else if (query.questions.front().type == Type::A) {
            response.answers = {a("mx.real.test", "127.0.0.7")};
        }
        return std::vector<Reply>{reply(response)};
    });
    const auto plan = resolve("alias.test", options_for(server));
    ASSERT_EQ(plan.status, PlanStatus::ok) << plan.reason;
    EXPECT_EQ(plan.hosts.at(0).name, name("mx.real.test"));
    EXPECT_EQ(server.udp_queries.size(), 3u);  // MX, then A and AAAA of the host
}

TEST_F(ResolverTest, AnEndlessCnameChainIsCutOff) {
    // hop0.test -> hop1.test -> hop2.test -> ... for ever
    FakeServer server(io_, [](const dns::Message& query, bool) {
        const std::string label = query.questions.front().name.labels().front();
        const std::string next = "hop" + std::to_string(std::stoi(label.substr(3)) + 1) + ".test";
        auto response = response_to(query);
        response.answers = {cname(query.questions.front().name.to_text(), next)};
        return std::vector<Reply>{reply(response)};
    });
    const auto plan = resolve("hop0.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::permanent_failure);
    EXPECT_NE(plan.reason.find("CNAME"), std::string::npos) << plan.reason;
    EXPECT_EQ(server.udp_queries.size(), static_cast<std::size_t>(dns::max_cname_hops + 1));
}

TEST_F(ResolverTest, MxHostsWithoutAddressesAreKeptButEmpty) {
    FakeServer server(io_, Zone{{mx("example.test", 10, "gone.test"), mx("example.test", 20, "mx2.example.test"),
                                 a("mx2.example.test", "127.0.0.3")}});
    const auto plan = resolve("example.test", options_for(server));
    ASSERT_EQ(plan.status, PlanStatus::ok) << plan.reason;
    ASSERT_EQ(plan.hosts.size(), 2u);
    EXPECT_TRUE(plan.hosts[0].addresses.empty());
    EXPECT_EQ(texts(plan.hosts[1].addresses), (std::vector<std::string>{"127.0.0.3"}));
}

TEST_F(ResolverTest, NoUsableMxHostIsPermanent) {
    FakeServer server(io_, Zone{{mx("example.test", 10, "gone.test"), mx("example.test", 20, "gone2.test")}});
    const auto plan = resolve("example.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::permanent_failure);
    EXPECT_NE(plan.reason.find("no MX host"), std::string::npos) << plan.reason;
}

TEST_F(ResolverTest, MxHostLookupsFailingForNowAreTemporary) {
    FakeServer server(io_, [](const dns::Message& query, bool) {
        if (query.questions.front().type != Type::MX) {
            return std::vector<Reply>{reply(response_to(query, dns::Rcode::SERVFAIL))};
        }
        auto response = response_to(query);
        response.answers = {mx("example.test", 10, "mx1.example.test")};
        return std::vector<Reply>{reply(response)};
    });
    const auto plan = resolve("example.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::temporary_failure);
    EXPECT_NE(plan.reason.find("SERVFAIL"), std::string::npos) << plan.reason;
}

// A hostile zone lists 1,200 MX hosts (too many for UDP: they come over TCP), and a null MX
// record among them. Only the dns::max_mx_hosts most preferred hosts are looked up.
TEST_F(ResolverTest, OnlyTheMostPreferredMxHostsAreLookedUp) {
    constexpr int listed = 1200;  // as many as fit in one TCP message without name compression
    Zone zone{{mx("many.test", 0, ".")}};  // names no host: it must not take a place
    for (int i = 0; i < listed; ++i) {
        const std::string host = "mx" + std::to_string(i) + ".many.test";
        zone.records.push_back(mx("many.test", static_cast<std::uint16_t>(listed - i), host));  // mx1199 first
        zone.records.push_back(a(host, "127.0.0.2"));
    }
    FakeServer server(io_, [&zone](const dns::Message& query, bool over_tcp) {
        if (over_tcp || query.questions.front().type != Type::MX) {
            return zone(query, over_tcp);
        }
        auto truncated = response_to(query);
        truncated.header.tc = true;  // RFC 2181 9: too big for UDP
        return std::vector<Reply>{reply(truncated)};
    });
    const auto plan = resolve("many.test", options_for(server));
    ASSERT_EQ(plan.status, PlanStatus::ok) << plan.reason;
    ASSERT_EQ(plan.hosts.size(), dns::max_mx_hosts);
    for (std::size_t k = 0; k < plan.hosts.size(); ++k) {
        EXPECT_EQ(plan.hosts[k].name, name("mx" + std::to_string(listed - 1 - k) + ".many.test"));
        EXPECT_EQ(texts(plan.hosts[k].addresses), (std::vector<std::string>{"127.0.0.2"}));
    }
    EXPECT_EQ(plan.hosts_left_out, listed - dns::max_mx_hosts);
    EXPECT_EQ(server.tcp_queries.size(), 1u);                      // the MX answer
    EXPECT_EQ(server.udp_queries.size(), 1 + 2 * dns::max_mx_hosts);  // its truncated try, then A and AAAA per host
}

// The hosts past the limit are never tried, so they cannot make the domain usable.
TEST_F(ResolverTest, NoUsableHostAmongTheMostPreferredIsPermanent) {
    Zone zone{{mx("example.test", 100, "mx.example.test"), a("mx.example.test", "127.0.0.2")}};
    for (std::size_t i = 0; i < dns::max_mx_hosts; ++i) {
        zone.records.push_back(mx("example.test", static_cast<std::uint16_t>(i), "gone" + std::to_string(i) + ".test"));
    }
    FakeServer server(io_, zone);
    const auto plan = resolve("example.test", options_for(server));
    EXPECT_EQ(plan.status, PlanStatus::permanent_failure);
    EXPECT_NE(plan.reason.find("among the 5 most preferred"), std::string::npos) << plan.reason;
    EXPECT_EQ(server.udp_queries.size(), 1 + 2 * dns::max_mx_hosts);  // mx.example.test is never asked about
}

}  // namespace
