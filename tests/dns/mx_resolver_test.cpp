// The transport (dns_client) and the delivery plan (mx_resolver), against a scripted
// name server running in the same process on 127.0.0.1.

#include "dns_client.hpp"
#include "dns_message.hpp"
#include "mx_resolver.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <gtest/gtest.h>

#include <sstream>

namespace {

using Bytes = std::vector<std::uint8_t>;
using asio::use_awaitable;
using asio::experimental::as_tuple;
using asio::ip::tcp;
using asio::ip::udp;
using dns::PlanStatus;
using dns::Type;
using namespace std::chrono_literals;

constexpr auto use_nothrow_awaitable = as_tuple(use_awaitable);

dns::Name name(std::string_view text) {
    return dns::Name::from_text(text).value();
}

// ---- A scripted name server --------------------------------------------------------------

struct Reply {
    Bytes wire;
    bool from_another_port = false;  // the source address will not match the server's
};

Reply reply(const dns::Message& message) {
    return {dns::encode(message), false};
}

dns::Message response_to(const dns::Message& query, dns::Rcode rcode = dns::Rcode::NOERROR) {
    dns::Message response;
    response.header = query.header;
    response.header.qr = true;
    response.header.rcode = rcode;
    response.questions = query.questions;
    return response;
}

// Listens on UDP and TCP, same port, on 127.0.0.1. `respond` decides what goes back for
// each query (nothing: stay silent) and whether it came over TCP.
class FakeServer {
public:
    using Respond = std::function<std::vector<Reply>(const dns::Message& query, bool over_tcp)>;

    FakeServer(asio::io_context& io, Respond respond)
        : respond_(std::move(respond)), udp_(io), other_port_(io, {asio::ip::address_v4::loopback(), 0}),
          acceptor_(io) {
        // A name server listens on UDP and TCP with the same port number. The OS picks a free
        // UDP port; that TCP port may be taken, so try again until both are ours.
        for (int attempt = 0; !acceptor_.is_open(); ++attempt) {
            udp_ = udp::socket(io, {asio::ip::address_v4::loopback(), 0});
            asio::ip::tcp::endpoint same_port{asio::ip::address_v4::loopback(), udp_.local_endpoint().port()};
            asio::error_code error;
            acceptor_.open(same_port.protocol());
            acceptor_.bind(same_port, error);
            if (!error) {
                acceptor_.listen();
            } else if (acceptor_.close(error); attempt == 100) {
                throw std::runtime_error("no port free for both UDP and TCP");
            }
        }
        asio::co_spawn(io, serve_udp(), asio::detached);
        asio::co_spawn(io, serve_tcp(), asio::detached);
    }

    udp::endpoint endpoint() const { return udp_.local_endpoint(); }

    std::vector<dns::Question> udp_queries;
    std::vector<dns::Question> tcp_queries;

private:
    std::optional<dns::Message> parse(std::span<const std::uint8_t> packet) {
        auto result = dns::parse_message(packet);
        if (auto* query = std::get_if<dns::Message>(&result); query && query->questions.size() == 1) {
            return std::move(*query);
        }
        ADD_FAILURE() << "the client sent a malformed query";
        return std::nullopt;
    }

    asio::awaitable<void> serve_udp() {
        Bytes buffer(65535);
        while (true) {
            udp::endpoint client;
            const auto [error, size] =
                co_await udp_.async_receive_from(asio::buffer(buffer), client, use_nothrow_awaitable);
            if (error) {
                co_return;
            }
            const auto query = parse(std::span(buffer).first(size));
            if (!query) {
                continue;
            }
            udp_queries.push_back(query->questions.front());
            for (const auto& answer : respond_(*query, false)) {
                auto& socket = answer.from_another_port ? other_port_ : udp_;
                co_await socket.async_send_to(asio::buffer(answer.wire), client, use_nothrow_awaitable);
            }
        }
    }

    asio::awaitable<void> serve_tcp() {
        while (true) {
            auto [error, connection] = co_await acceptor_.async_accept(use_nothrow_awaitable);
            if (error) {
                co_return;
            }
            asio::co_spawn(acceptor_.get_executor(), serve_connection(std::move(connection)), asio::detached);
        }
    }

    // RFC 1035 4.2.2: messages with a two-octet length prefix.
    asio::awaitable<void> serve_connection(tcp::socket connection) {
        std::array<std::uint8_t, 2> length{};
        const auto [length_error, n] =
            co_await asio::async_read(connection, asio::buffer(length), use_nothrow_awaitable);
        if (length_error) {
            co_return;
        }
        Bytes packet(static_cast<std::size_t>(length[0] << 8 | length[1]));
        const auto [read_error, m] = co_await asio::async_read(connection, asio::buffer(packet), use_nothrow_awaitable);
        if (read_error) {
            co_return;
        }
        const auto query = parse(packet);
        if (!query) {
            co_return;
        }
        tcp_queries.push_back(query->questions.front());
        for (const auto& answer : respond_(*query, true)) {
            const auto size = answer.wire.size();
            length = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
            const std::array<asio::const_buffer, 2> buffers{asio::buffer(length), asio::buffer(answer.wire)};
            co_await asio::async_write(connection, buffers, use_nothrow_awaitable);
        }
        // Keep the connection open until the client closes it: silence is silence.
        co_await asio::async_read(connection, asio::buffer(length), use_nothrow_awaitable);
    }

    Respond respond_;
    udp::socket udp_;
    udp::socket other_port_;
    tcp::acceptor acceptor_;
};

// An authoritative server for a few records: NXDOMAIN for names it does not know, no data
// for known names without records of the type asked, CNAMEs without following them.
struct Zone {
    std::vector<dns::Record> records;

    std::vector<Reply> operator()(const dns::Message& query, bool) const {
        auto response = response_to(query);
        const auto& question = query.questions.front();
        bool known = false;
        for (const auto& record : records) {
            if (record.name == question.name) {
                known = true;
                if (record.type == question.type || record.type == Type::CNAME) {
                    response.answers.push_back(record);
                }
            }
        }
        response.header.aa = true;
        response.header.rcode = known ? dns::Rcode::NOERROR : dns::Rcode::NXDOMAIN;
        return {reply(response)};
    }
};

dns::Record mx(std::string_view owner, std::uint16_t preference, std::string_view host) {
    return {name(owner), Type::MX, dns::class_in, 300, dns::rdata::Mx{preference, name(host)}};
}

dns::Record a(std::string_view owner, std::string_view address) {
    return {name(owner), Type::A, dns::class_in, 300, dns::rdata::A{asio::ip::make_address_v4(address)}};
}

dns::Record aaaa(std::string_view owner, std::string_view address) {
    return {name(owner), Type::AAAA, dns::class_in, 300, dns::rdata::Aaaa{asio::ip::make_address_v6(address)}};
}

dns::Record cname(std::string_view owner, std::string_view target) {
    return {name(owner), Type::CNAME, dns::class_in, 300, dns::rdata::Cname{name(target)}};
}

dns::Record txt(std::string_view owner, std::vector<std::string> strings) {
    return {name(owner), Type::TXT, dns::class_in, 300, dns::rdata::Txt{std::move(strings)}};
}

FakeServer::Respond always(dns::Rcode rcode) {
    return [rcode](const dns::Message& query, bool) { return std::vector<Reply>{reply(response_to(query, rcode))}; };
}

std::vector<std::string> texts(const std::vector<asio::ip::address>& addresses) {
    std::vector<std::string> result;
    for (const auto& address : addresses) {
        result.push_back(address.to_string());
    }
    return result;
}

class ResolverTest : public testing::Test {
protected:
    dns::ClientOptions options_for(const FakeServer& server) {
        dns::ClientOptions options;
        options.servers = {server.endpoint()};
        options.timeout = 2s;
        return options;
    }

    // Runs one coroutine to completion; the fake servers keep running in the background.
    template <typename T>
    T run(asio::awaitable<T> task) {
        std::optional<T> result;
        asio::co_spawn(io_, std::move(task), [&](std::exception_ptr error, T value) {
            if (error) {
                std::rethrow_exception(error);
            }
            result = std::move(value);
            io_.stop();
        });
        io_.restart();
        io_.run();
        return std::move(result).value();
    }

    dns::DeliveryPlan resolve(std::string_view domain, const dns::ClientOptions& options) {
        return run(dns::resolve_mx(name(domain), options, dns::max_mx_hosts));
    }

    asio::io_context io_;
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

// ---- The transport -------------------------------------------------------------------------

TEST_F(ResolverTest, ForgedAndStrayResponsesAreIgnored) {
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
TEST_F(ResolverTest, AMalformedAnswerIsIgnoredAndNamedInTheTimeout) {
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

TEST_F(ResolverTest, TruncatedUdpAnswerIsAskedAgainOverTcp) {
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

TEST_F(ResolverTest, TcpOnlyNeverUsesUdp) {
    FakeServer server(io_, Zone{{a("www.example.test", "127.0.0.2")}});
    auto options = options_for(server);
    options.tcp_only = true;
    const auto result = run(dns::query(name("www.example.test"), Type::A, options));
    EXPECT_EQ(result.outcome, dns::Outcome::answer) << result.detail;
    EXPECT_EQ(server.udp_queries.size(), 0u);
    EXPECT_EQ(server.tcp_queries.size(), 1u);
}

TEST_F(ResolverTest, SilentTcpServerTimesOut) {
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

TEST_F(ResolverTest, RetriesGoRoundTheServers) {
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

TEST_F(ResolverTest, RcodesAreDistinctOutcomes) {
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
