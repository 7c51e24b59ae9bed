// End-to-end tests of chapter 13's mxlookup: it asks a real name server (dnsmasq) on
// 127.0.0.1 one question, and what it prints is compared with dig, the reference DNS client.
// The exit codes are the contract's (tests/dns/mxlookup_testing.hpp).
#include "dns/mxlookup_testing.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <set>
#include <stdexcept>

namespace {

using namespace dns::tests;
using mailsteps::testing::chapter_program;
using mailsteps::testing::run;
using Clock = std::chrono::steady_clock;

// dig's answer section for one query (over TCP only with tcp = true).
std::string dig(const Dnsmasq& dns, const std::string& name, const std::string& type, bool tcp = false) {
    std::vector<std::string> args{"@127.0.0.1", "-p", std::to_string(dns.port()), name, type,
                                  "+noall", "+answer", "+time=2", "+tries=1"};
    if (tcp) {
        args.push_back("+tcp");
    }
    const auto result = run("/usr/bin/dig", args);
    EXPECT_EQ(result.exit_code, 0) << "dig " << name << ' ' << type << ":\n" << result.out << result.err;
    return result.out;
}

bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

// Records printed the way dig prints them, one a line, whitespace-normalised and without the
// TTL (the second column), which depends on when each was asked. Comments (";;") are skipped.
std::multiset<std::string> records(const std::string& text) {
    std::multiset<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto fields = words_of(line);
        if (fields.empty() || fields.front().starts_with(";")) {
            continue;
        }
        if (fields.size() > 1) {
            fields.erase(fields.begin() + 1);
        }
        lines.insert(join(fields));
    }
    return lines;
}

// --explain prints each packet as ";; WHAT, N octets" and an annotated dump up to a blank
// line; after the packets come the records.
struct Packet {
    std::string what;
    std::size_t size = 0;
    std::string dump;
};

struct Explained {
    std::vector<Packet> packets;
    std::string rest;
};

Explained explained(const std::string& out) {
    static const std::regex heading(R"(;; (.*), (\d+) octets)");
    Explained result;
    bool in_packet = false;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        std::smatch match;
        if (std::regex_match(line, match, heading)) {
            result.packets.push_back({match[1], std::stoul(match[2]), ""});
            in_packet = true;
        } else if (line.empty()) {
            in_packet = false;
        } else if (in_packet) {
            result.packets.back().dump += line + '\n';
        } else {
            result.rest += line + '\n';
        }
    }
    return result;
}

// The octets of a dump's rows ("OFFS  xx xx ...  note"), checking that each row starts
// where the one before it ended.
std::vector<unsigned> dumped_octets(const Packet& packet) {
    std::vector<unsigned> octets;
    std::istringstream in(packet.dump);
    for (std::string line; std::getline(in, line);) {
        if (line.size() < 6 || !std::all_of(line.begin(), line.begin() + 4, is_hex_digit)) {
            continue;  // a heading such as ";; answer 1 of 2"
        }
        if (std::stoul(line.substr(0, 4), nullptr, 16) != octets.size()) {
            ADD_FAILURE() << "a row out of place after " << octets.size() << " octets: " << line;
        }
        std::istringstream row(line.substr(6, 24));
        for (std::string octet; row >> octet;) {
            octets.push_back(static_cast<unsigned>(std::stoul(octet, nullptr, 16)));
        }
    }
    return octets;
}

// The dump shows every octet of the packet, no more, no fewer.
void expect_whole_dump(const Packet& packet) {
    EXPECT_EQ(dumped_octets(packet).size(), packet.size) << packet.what << '\n' << packet.dump;
}

// A socket of `type` bound to 127.0.0.1:port (0: the OS picks); -1 when that fails.
int bound_socket(int type, std::uint16_t port) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t port_of(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
}

// A "name server" that never answers, on one port of 127.0.0.1: a UDP socket nobody reads,
// and a TCP socket whose connections the kernel accepts and nobody serves.
class SilentServer {
public:
    SilentServer() {
        for (int attempt = 0; attempt < 100 && tcp_ < 0; ++attempt) {
            close_sockets();
            udp_ = bound_socket(SOCK_DGRAM, 0);
            tcp_ = udp_ < 0 ? -1 : bound_socket(SOCK_STREAM, port_of(udp_));
        }
        if (tcp_ < 0 || ::listen(tcp_, 16) != 0) {
            close_sockets();
            throw std::runtime_error("no port free for both UDP and TCP on 127.0.0.1");
        }
    }
    ~SilentServer() { close_sockets(); }
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;

    std::string server() const { return "127.0.0.1:" + std::to_string(port_of(udp_)); }

private:
    void close_sockets() {
        for (int* fd : {&udp_, &tcp_}) {
            if (*fd >= 0) {
                ::close(*fd);
            }
            *fd = -1;
        }
    }

    int udp_ = -1;
    int tcp_ = -1;
};

// ---- One query (--type), compared with dig ------------------------------------------------------

TEST(MxlookupQuery, NxdomainExitsOne) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"nowhere.test", "--type", "A"});
    EXPECT_EQ(result.exit_code, no_answer) << result.err;
    EXPECT_NE(result.out.find("NXDOMAIN"), npos) << result.out;
}

TEST(MxlookupQuery, NoRecordsOfTheTypeExitsOne) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"nomx.test", "--type", "MX"});
    EXPECT_EQ(result.exit_code, no_answer) << result.err;
    EXPECT_NE(result.out.find("has no MX records"), npos) << result.out;
}

struct Query {
    std::string label;  // the test's name
    std::string name;
    std::string type;
};

void PrintTo(const Query& query, std::ostream* out) {
    *out << query.name << ' ' << query.type;
}

class MxlookupType : public ::testing::TestWithParam<Query> {};

TEST_P(MxlookupType, PrintsTheSameRecordsAsDig) {
    const Query& query = GetParam();
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {query.name, "--type", query.type});
    EXPECT_EQ(result.exit_code, answered) << result.err;
    const auto expected = records(dig(dns, query.name, query.type));
    ASSERT_FALSE(expected.empty()) << "dig found no " << query.type << " records for " << query.name << '\n'
                                   << dns.log();
    EXPECT_EQ(records(result.out), expected) << result.out;
}

INSTANTIATE_TEST_SUITE_P(Records, MxlookupType,
                         ::testing::Values(Query{"MX", "example.test", "MX"},
                                           Query{"A", "mx2.example.test", "A"},
                                           Query{"AAAA", "mx1.example.test", "AAAA"},
                                           Query{"TXT", "small.test", "TXT"},
                                           Query{"TxtEscapes", "escapes.test", "TXT"},
                                           Query{"CNAME", "alias.test", "CNAME"},
                                           Query{"AThroughCname", "alias.test", "A"}),
                         [](const auto& info) { return info.param.label; });

// ---- TCP ----------------------------------------------------------------------------------------

TEST(MxlookupTcp, TxtTooBigForUdpArrivesWholeOverTcp) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"big.test", "--type", "TXT"});
    ASSERT_EQ(result.exit_code, answered) << result.err;
    EXPECT_EQ(records(result.out), records(dig(dns, "big.test", "TXT", true)));
    for (const auto& text : big_txt_strings()) {
        EXPECT_NE(result.out.find('"' + text + '"'), npos) << "missing: " << text;
    }
}

TEST(MxlookupTcp, ExplainShowsTheTruncatedUdpAnswerThenTheTcpAnswer) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"big.test", "--type", "TXT", "--explain"});
    ASSERT_EQ(result.exit_code, answered) << result.err;
    const auto [packets, rest] = explained(result.out);
    ASSERT_EQ(packets.size(), 4U) << result.out;
    EXPECT_EQ(packets[0].what, "query over UDP to " + dns.server());
    EXPECT_EQ(packets[1].what, "response over UDP from " + dns.server());
    EXPECT_EQ(packets[2].what, "query over TCP to " + dns.server());
    EXPECT_EQ(packets[3].what, "response over TCP from " + dns.server());
    // RFC 7766 5: the UDP answer has TC set and fits in 1232 octets; the TCP one is whole
    EXPECT_NE(packets[1].dump.find("TC=1"), npos) << packets[1].dump;
    EXPECT_LE(packets[1].size, 1232U);
    EXPECT_NE(packets[3].dump.find("TC=0"), npos) << packets[3].dump;
    EXPECT_GT(packets[3].size, 1232U);
    for (const auto& packet : packets) {
        expect_whole_dump(packet);
    }
    EXPECT_EQ(records(rest), records(dig(dns, "big.test", "TXT", true)));
}

TEST(MxlookupTcp, TcpOptionAsksOverTcpOnly) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"example.test", "--type", "MX", "--tcp", "--explain"});
    ASSERT_EQ(result.exit_code, answered) << result.err;
    const auto [packets, rest] = explained(result.out);
    ASSERT_EQ(packets.size(), 2U) << result.out;
    EXPECT_EQ(packets[0].what, "query over TCP to " + dns.server());
    EXPECT_EQ(packets[1].what, "response over TCP from " + dns.server());
    EXPECT_EQ(records(rest), records(dig(dns, "example.test", "MX", true)));
}

// ---- Failures -----------------------------------------------------------------------------------
class MxlookupTimeout : public ::testing::TestWithParam<bool> {};  // over TCP only?

TEST_P(MxlookupTimeout, ServerThatNeverAnswersExitsThreeWithinTheTimeout) {
    SilentServer silent;
    std::vector<std::string> args{"example.test", "--timeout", "3s"};
    if (GetParam()) {
        args.push_back("--tcp");
    }
    const auto start = Clock::now();
    const auto result = mxlookup(silent.server(), args);
    const auto elapsed = Clock::now() - start;
    EXPECT_EQ(result.exit_code, failed) << result.out << result.err;
    EXPECT_NE(result.err.find("timeout"), npos) << result.err;
    // The timeout covers all attempts together: it waits that long, not the 9 s of three
    // attempts of 3 s each (the margin is for a machine busy with other tests).
    EXPECT_GE(elapsed, 2900ms);
    EXPECT_LT(elapsed, 7s);
}

INSTANTIATE_TEST_SUITE_P(Transport, MxlookupTimeout, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Tcp" : "Udp"; });

// dnsmasq has no upstream servers: it refuses names outside .test.
TEST(MxlookupFailure, RefusedExitsThree) {
    Dnsmasq dns(zone());
    const auto plan = mxlookup(dns.server(), {"mail.invalid"});
    EXPECT_EQ(plan.exit_code, failed) << plan.out << plan.err;
    const auto query = mxlookup(dns.server(), {"mail.invalid", "--type", "A"});
    EXPECT_EQ(query.exit_code, failed) << query.out << query.err;
    EXPECT_NE(query.err.find("REFUSED"), npos) << query.err;
}

struct BadInput {
    std::string label;              // the test's name
    std::vector<std::string> args;  // "{server}" stands for a server on 127.0.0.1
};

void PrintTo(const BadInput& input, std::ostream* out) {
    *out << join(input.args);
}

// Five labels of 63 octets: 321 octets on the wire (RFC 1035 2.3.4 allows 255).
std::string long_name() {
    const std::string label(63, 'a');
    return label + '.' + label + '.' + label + '.' + label + '.' + label;
}

class MxlookupBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(MxlookupBadInput, ExitsTwoWithAMessage) {
    // Were the input taken, the lookup would ask this server and time out: exit 3, not 2.
    SilentServer silent;
    auto args = GetParam().args;
    std::replace(args.begin(), args.end(), std::string("{server}"), silent.server());
    const auto result = run(chapter_program(), args, "", 30s);
    EXPECT_EQ(result.exit_code, bad_input) << result.out << result.err;
    EXPECT_FALSE(result.err.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MxlookupBadInput,
    ::testing::Values(
        BadInput{"EmptyLabel", {"bad..name.test", "--server", "{server}", "--timeout", "1s"}},
        BadInput{"LabelOver63Octets", {std::string(64, 'a') + ".test", "--server", "{server}", "--timeout", "1s"}},
        BadInput{"NameOver255Octets", {long_name(), "--server", "{server}", "--timeout", "1s"}},
        BadInput{"UnknownType", {"example.test", "--type", "BOGUS", "--server", "{server}", "--timeout", "1s"}},
        BadInput{"ServerNotAnAddress", {"example.test", "--server", "not-an-address", "--timeout", "1s"}},
        BadInput{"ServerPortOutOfRange", {"example.test", "--server", "127.0.0.1:65536", "--timeout", "1s"}},
        BadInput{"TimeoutNotADuration", {"example.test", "--server", "{server}", "--timeout", "soon"}},
        BadInput{"ZeroTimeout", {"example.test", "--server", "{server}", "--timeout", "0"}},
        BadInput{"NoDomain", {"--server", "{server}", "--timeout", "1s"}}),
    [](const auto& info) { return info.param.label; });

// ---- --explain ----------------------------------------------------------------------------------

TEST(MxlookupExplain, NamesTheHeaderFieldsAndShowsACompressionPointer) {
    Dnsmasq dns(zone());
    const auto result = mxlookup(dns.server(), {"example.test", "--type", "MX", "--explain"});
    ASSERT_EQ(result.exit_code, answered) << result.err;
    const auto [packets, rest] = explained(result.out);
    ASSERT_EQ(packets.size(), 2U) << result.out;
    const Packet& response = packets[1];
    EXPECT_EQ(response.what, "response over UDP from " + dns.server());
    // RFC 1035 4.1.1
    for (const char* field : {"ID ", "QR=1 response", "OPCODE=0", "AA=1", "TC=0", "RD=1", "RA=", "Z=0",
                              "RCODE=0 NOERROR", "QDCOUNT 1", "ANCOUNT 2", "NSCOUNT 0", "ARCOUNT "}) {
        EXPECT_NE(response.dump.find(field), npos) << field << " missing in\n" << response.dump;
    }
    // RFC 5452 9.1: the response repeats the query's ID
    static const std::regex id(R"(ID (\d+))");
    std::smatch query_id;
    std::smatch response_id;
    ASSERT_TRUE(std::regex_search(packets[0].dump, query_id, id)) << packets[0].dump;
    ASSERT_TRUE(std::regex_search(response.dump, response_id, id)) << response.dump;
    EXPECT_EQ(query_id[1], response_id[1]);
    // RFC 1035 4.1.4: the answers' owner name is a pointer to the question's, at offset 12
    static const std::regex pointer(R"(c0 0c +pointer to 000c: example\.test\.)");
    EXPECT_TRUE(std::regex_search(response.dump, pointer)) << response.dump;
    for (const auto& packet : packets) {
        expect_whole_dump(packet);
    }
    EXPECT_EQ(records(rest), records(dig(dns, "example.test", "MX")));
}

}  // namespace
