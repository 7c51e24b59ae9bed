// Chapter 13's DNS client (dns_client): one question to a name server, against a scripted
// server in the same process (tests/dns/fake_server.hpp): forged answers ignored, timeouts and
// retries, TCP after a truncated answer, RCODEs told apart; and its configuration.

#include "dns/fake_server.hpp"

#include <sstream>

namespace {

using namespace dns::tests;
using asio::ip::udp;
using dns::Type;
using namespace std::chrono_literals;

// ---- The transport -------------------------------------------------------------------------

TEST_F(ClientTest, ForgedAndStrayResponsesAreIgnored) {
    FakeServer server(io_, [](const dns::Message& query, bool) {
        auto answer_with = [&](std::string_view address) {
            auto response = response_to(query);
            response.answers = {a("www.example.test", address)};
            return response;
        };
        auto wrong_id = answer_with("127.9.9.1");
        wrong_id.header.id ^= 1;
        auto wrong_question = answer_with("127.9.9.2");
        wrong_question.questions.front().name = name("evil.test");
        auto not_a_response = answer_with("127.9.9.4");
        not_a_response.header.qr = false;
        return std::vector<Reply>{reply(wrong_id),
                                  reply(wrong_question),
                                  {dns::encode(answer_with("127.9.9.3")), true},
                                  reply(not_a_response),
                                  {{0x12, 0x34, 0x81}, false},
                                  reply(answer_with("127.0.0.2"))};
    });
    auto options = options_for(server);
    std::vector<std::string> ignored;
    options.trace = [&](std::string_view what, std::span<const std::uint8_t>) {
        if (what.starts_with("ignored")) {
            ignored.emplace_back(what);
        }
    };
    const auto result = run(dns::query(name("www.example.test"), Type::A, options));
    ASSERT_EQ(result.outcome, dns::Outcome::answer) << result.detail;
    EXPECT_EQ(std::get<dns::rdata::A>(result.response->answers.at(0).data).address.to_string(), "127.0.0.2");
    ASSERT_EQ(ignored.size(), 5u);
    EXPECT_NE(ignored[0].find("wrong ID"), std::string::npos) << ignored[0];
    EXPECT_NE(ignored[1].find("not an answer to our question"), std::string::npos) << ignored[1];
    EXPECT_NE(ignored[2].find("a datagram from 127.0.0.1:"), std::string::npos) << ignored[2];
    EXPECT_NE(ignored[3].find("not a response"), std::string::npos) << ignored[3];
    EXPECT_NE(ignored[4].find("malformed: truncated flags"), std::string::npos) << ignored[4];
}

// A server that only sends garbage gets no answer accepted, and the timeout says what came instead.
TEST_F(ClientTest, AMalformedAnswerIsIgnoredAndNamedInTheTimeout) {
    FakeServer server(io_, [](const dns::Message&, bool) { return std::vector<Reply>{{{0x12, 0x34, 0x81}, false}}; });
    auto options = options_for(server);
    options.timeout = 300ms;
    options.attempts = 2;
    const auto result = run(dns::query(name("www.example.test"), Type::A, options));
    EXPECT_EQ(result.outcome, dns::Outcome::timeout);
    EXPECT_NE(result.detail.find("within 150 ms; ignored: malformed: truncated flags at offset 2"), std::string::npos)
        << result.detail;
    EXPECT_NE(result.detail.find("(2 attempts, 300 ms in all)"), std::string::npos) << result.detail;
}

TEST_F(ClientTest, TruncatedUdpAnswerIsAskedAgainOverTcp) {
    const std::vector<std::string> big(6, std::string(255, 'x'));
    FakeServer server(io_, [&](const dns::Message& query, bool over_tcp) {
        auto response = response_to(query);
        if (over_tcp) {
            response.answers = {txt("big.test", big)};
        } else {
            response.header.tc = true;  // RFC 2181 9: too big for UDP
        }
        return std::vector<Reply>{reply(response)};
    });
    const auto result = run(dns::query(name("big.test"), Type::TXT, options_for(server)));
    ASSERT_EQ(result.outcome, dns::Outcome::answer) << result.detail;
    EXPECT_EQ(std::get<dns::rdata::Txt>(result.response->answers.at(0).data).strings, big);
    EXPECT_EQ(server.udp_queries.size(), 1u);
    EXPECT_EQ(server.tcp_queries.size(), 1u);
}

TEST_F(ClientTest, TcpOnlyNeverUsesUdp) {
    FakeServer server(io_, Zone{{a("www.example.test", "127.0.0.2")}});
    auto options = options_for(server);
    options.tcp_only = true;
    const auto result = run(dns::query(name("www.example.test"), Type::A, options));
    EXPECT_EQ(result.outcome, dns::Outcome::answer) << result.detail;
    EXPECT_EQ(server.udp_queries.size(), 0u);
    EXPECT_EQ(server.tcp_queries.size(), 1u);
}

TEST_F(ClientTest, SilentTcpServerTimesOut) {
    FakeServer server(io_, [](const dns::Message&, bool) { return std::vector<Reply>{}; });
    auto options = options_for(server);
    options.tcp_only = true;
    options.timeout = 300ms;
    options.attempts = 1;
    const auto start = std::chrono::steady_clock::now();
    const auto result = run(dns::query(name("www.example.test"), Type::A, options));
    EXPECT_EQ(result.outcome, dns::Outcome::timeout);
    EXPECT_EQ(server.tcp_queries.size(), 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(ClientTest, RetriesGoRoundTheServers) {
    FakeServer silent(io_, [](const dns::Message&, bool) { return std::vector<Reply>{}; });
    FakeServer working(io_, Zone{{a("www.example.test", "127.0.0.2")}});
    dns::ClientOptions options;
    options.servers = {silent.endpoint(), working.endpoint()};
    options.timeout = 900ms;
    options.attempts = 3;
    const auto result = run(dns::query(name("www.example.test"), Type::A, options));
    EXPECT_EQ(result.outcome, dns::Outcome::answer) << result.detail;
    EXPECT_EQ(silent.udp_queries.size(), 1u);
    EXPECT_EQ(working.udp_queries.size(), 1u);
}

TEST_F(ClientTest, RcodesAreDistinctOutcomes) {
    FakeServer server(io_, [](const dns::Message& query, bool) {
        const std::string label = query.questions.front().name.labels().front();
        auto response = response_to(query);
        if (label == "answer") {
            response.answers = {a("answer.test", "127.0.0.2")};
        } else if (label == "nxdomain") {
            response.header.rcode = dns::Rcode::NXDOMAIN;
        } else if (label == "servfail") {
            response.header.rcode = dns::Rcode::SERVFAIL;
        } else if (label == "refused") {
            response.header.rcode = dns::Rcode::REFUSED;
        } else if (label == "notimp") {
            response.header.rcode = dns::Rcode::NOTIMP;
        }
        return std::vector<Reply>{reply(response)};
    });
    const std::pair<const char*, dns::Outcome> cases[] = {
        {"answer.test", dns::Outcome::answer},          {"nodata.test", dns::Outcome::no_data},
        {"nxdomain.test", dns::Outcome::nx_domain},     {"servfail.test", dns::Outcome::server_failure},
        {"refused.test", dns::Outcome::refused},        {"notimp.test", dns::Outcome::other_rcode},
    };
    for (const auto& [domain, outcome] : cases) {
        EXPECT_EQ(run(dns::query(name(domain), Type::A, options_for(server))).outcome, outcome) << domain;
    }
}

// ---- Configuration ---------------------------------------------------------------------------

TEST(ResolvConf, ReadsTheFirstThreeNameservers) {
    std::istringstream conf(
        "# generated\nsearch example.test\nnameserver 127.0.0.53\n; comment\nnameserver ::1\n"
        "nameserver not-an-address\nnameserver 127.0.0.2 # trailing comment\nnameserver 127.0.0.3\n");
    const auto servers = dns::read_resolv_conf(conf);
    ASSERT_EQ(servers.size(), 3u);
    EXPECT_EQ(servers[0], udp::endpoint(asio::ip::make_address("127.0.0.53"), 53));
    EXPECT_EQ(servers[1], udp::endpoint(asio::ip::make_address("::1"), 53));
    EXPECT_EQ(servers[2], udp::endpoint(asio::ip::make_address("127.0.0.2"), 53));
}

TEST(ResolvConf, WithoutNameserversAsksTheLocalHost) {
    std::istringstream conf("search example.test\n");
    EXPECT_EQ(dns::read_resolv_conf(conf), (std::vector{udp::endpoint(asio::ip::address_v4::loopback(), 53)}));
}

TEST(ParseServer, AddressesWithAndWithoutPorts) {
    EXPECT_EQ(dns::parse_server("127.0.0.1"), udp::endpoint(asio::ip::make_address("127.0.0.1"), 53));
    EXPECT_EQ(dns::parse_server("127.0.0.1:5353"), udp::endpoint(asio::ip::make_address("127.0.0.1"), 5353));
    EXPECT_EQ(dns::parse_server("::1"), udp::endpoint(asio::ip::make_address("::1"), 53));
    EXPECT_EQ(dns::parse_server("[::1]:5353"), udp::endpoint(asio::ip::make_address("::1"), 5353));
    EXPECT_EQ(dns::parse_server("[::1]"), udp::endpoint(asio::ip::make_address("::1"), 53));
    for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:53x",
                            "[::1", "[::1]5353", "1.2.3"}) {
        EXPECT_FALSE(dns::parse_server(bad)) << bad;
    }
}

}  // namespace
