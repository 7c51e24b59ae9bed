// End-to-end tests of the relay: the chapter's mailserver ("A") takes mail for example.test,
// asks a real DNS server (dnsmasq) where it goes, and hands it to the MX host: a second
// mailserver, Postfix, or aiosmtpd scripted to refuse. Everything on 127.0.0.0/8.
#include "dns/dnsmasq.hpp"
#include "relay/fake_mx.hpp"
#include "smtp/postfix.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <functional>
#include <thread>

using namespace mailsteps::testing;
using namespace smtp::tests;
using dns::tests::Dnsmasq;
using relay::tests::FakeMx;

namespace {

// The test zone: example.test has two MX hosts, 127.0.0.2 preferred over 127.0.0.3.
// Postfix's inet_interfaces must be an interface's own address, and lo has only 127.0.0.1, so
// postfix.test's MX is there.
const std::vector<std::string> zone{
    "--mx-host=example.test,mx1.example.test,10", "--mx-host=example.test,mx2.example.test,20",
    "--host-record=mx1.example.test,127.0.0.2",   "--host-record=mx2.example.test,127.0.0.3",
    "--mx-host=nullmx.test,.,0",
    "--mx-host=loop.test,self.test,10",           "--host-record=self.test,127.0.0.1",
    "--mx-host=postfix.test,mx.postfix.test,10",  "--host-record=mx.postfix.test,127.0.0.1",
};

// The chapter's own mailserver playing the MX host of example.test on `address`.
struct RemoteServer {
    TempDir dir;
    Process process;
    std::uint16_t port;

    explicit RemoteServer(const std::string& address)
        : process(chapter_program(), arguments(address)), port(process.port("smtp")) {}

    std::vector<std::string> arguments(const std::string& address) const {
        std::vector<std::string> args{"--listen", address, "--smtp-port", "0", "--hostname",
                                      "mx.example.test", "--domain", "example.test", "--maildir-root",
                                      (dir.path() / "mail").string(), "--queue-dir", (dir.path() / "queue").string(),
                                      "--relay-network", "::1"};
        auto other_ports = other_port_args("--smtp-port");
        args.insert(args.end(), other_ports.begin(), other_ports.end());
        return args;
    }

    std::vector<fs::path> inbox(const std::string& user) const {
        return new_messages(maildir(dir.path() / "mail", "example.test", user));
    }
};

// Server A's arguments: it may relay for 127.0.0.1, asks `dns`, relays to `relay_port` and
// retries after `retry`.
std::vector<std::string> relaying(const Dnsmasq& dns, std::uint16_t relay_port, std::vector<std::string> more = {},
                                  const std::string& retry = "1s") {
    std::vector<std::string> args{"--relay-network", "127.0.0.1", "--dns-server", dns.server(),
                                  "--relay-port",    std::to_string(relay_port), "--retry-schedule", retry};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

Reply send(std::uint16_t port, const std::string& from, const std::string& to, const std::string& text) {
    LineClient client(port);
    read_reply(client);
    command(client, "EHLO client.test");
    return send_message(client, from, {to}, text);
}

std::vector<fs::path> local_inbox(const ChapterServer& server, const std::string& user) {
    return new_messages(maildir(server.dir() / "mail", "localhost", user));
}

const std::string text = "From: alice@localhost\nTo: bob@example.test\nSubject: relayed\n\nHello over there.\n"
                         ".a line starting with a dot\n";

} // namespace

TEST(Relay, MessageArrivesAtTheMxHostByteExact) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    ChapterServer server(relaying(dns, remote.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return remote.inbox("bob").size() == 1; })) << server.log();
    auto stored = read_file(remote.inbox("bob").front());
    // The remote server's trace headers, then ours, then the message exactly as sent.
    EXPECT_TRUE(stored.starts_with("Return-Path: <alice@localhost>\nReceived: from localhost ([127.0.0.1])\n")) << stored;
    auto ours = stored.find("Received: from client.test ([127.0.0.1])\n\tby localhost (mailsteps) with ESMTP id ");
    ASSERT_NE(ours, std::string::npos) << stored;
    EXPECT_TRUE(stored.ends_with(text)) << stored;
    // The message is stored before the remote's 250 reaches us, so the log line may come later.
    EXPECT_TRUE(eventually([&] { return server.log().find("status=sent") != std::string::npos; })) << server.log();
}

// Postfix as the MX host: the relay's SMTP client against the server much of the Internet's
// mail goes through. Postfix's virtual(8) stores the message in its own Maildir.
TEST(Relay, PostfixAsTheMxHostGetsTheMessageByteExact) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    Dnsmasq dns(zone);
    Postfix postfix({.users = {"bob"}});
    ChapterServer server(relaying(dns, postfix.port()));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@postfix.test", text).code, 250);
    auto bob = postfix.maildir("bob");
    ASSERT_TRUE(eventually([&] { return new_messages(bob).size() == 1; }, 30s)) << server.log() << postfix.log();
    auto stored = read_file(new_messages(bob).front());
    // Postfix's trace headers (Return-Path:, X-Original-To:, Delivered-To:, Received:), then
    // ours, then the message exactly as sent.
    EXPECT_TRUE(stored.starts_with("Return-Path: <alice@localhost>\nX-Original-To: bob@postfix.test\n"
                                   "Delivered-To: bob@postfix.test\n"))
        << stored;
    auto theirs = stored.find("\tby mx.postfix.test (Postfix) with ESMTP id ");
    auto ours = stored.find("Received: from client.test ([127.0.0.1])\n\tby localhost (mailsteps) with ESMTP id ");
    ASSERT_NE(theirs, std::string::npos) << stored;
    ASSERT_NE(ours, std::string::npos) << stored;
    EXPECT_LT(theirs, ours) << stored;
    EXPECT_TRUE(stored.ends_with(text)) << stored;
    EXPECT_TRUE(eventually([&] { return server.log().find("status=sent") != std::string::npos; })) << server.log();
}

// Postfix refuses a recipient it has no mailbox for at RCPT (smtpd_reject_unlisted_recipient).
// The relay bounces that one to the sender with Postfix's own words in the DSN, and the other
// recipient of the same message still gets it.
TEST(Relay, PostfixRefusesAnUnknownUserAndTheSenderIsToldWhy) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    Dnsmasq dns(zone);
    Postfix postfix({.users = {"bob"}});
    ChapterServer server(relaying(dns, postfix.port()));
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    auto reply = send_message(client, "alice@localhost", {"bob@postfix.test", "nobody@postfix.test"}, text);
    ASSERT_EQ(reply.code, 250) << reply;

    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; }, 30s))
        << server.log() << postfix.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; nobody@postfix.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Action: failed"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.1.1"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("User unknown in virtual mailbox table"), std::string::npos) << dsn;
    EXPECT_EQ(dsn.find("Final-Recipient: rfc822; bob@postfix.test"), std::string::npos) << dsn;
    auto bob = postfix.maildir("bob");
    ASSERT_TRUE(eventually([&] { return new_messages(bob).size() == 1; }, 30s)) << server.log() << postfix.log();
    EXPECT_TRUE(read_file(new_messages(bob).front()).ends_with(text));
}

TEST(Relay, MixedEnvelopeDeliversLocallyAndRelaysTheRest) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    ChapterServer server(relaying(dns, remote.port));
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    ASSERT_EQ(send_message(client, "alice@localhost", {"carol@localhost", "bob@example.test"}, text).code, 250);
    ASSERT_EQ(local_inbox(server, "carol").size(), 1U); // on disk before the 250
    EXPECT_TRUE(eventually([&] { return remote.inbox("bob").size() == 1; })) << server.log();
    EXPECT_TRUE(read_file(local_inbox(server, "carol").front()).ends_with(text));
}

TEST(Relay, MxPointingBackAtUsIsALoopNotARelay) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9, {"--hostname", "self.test"}));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@loop.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    EXPECT_NE(read_file(local_inbox(server, "alice").front()).find("loops back to myself"), std::string::npos);
}

TEST(Relay, FirstMxDownSecondMxUsed) {
    Dnsmasq dns(zone);
    // Both MX hosts are tried at the second's port. On 127.0.0.2 the test holds that port without
    // listening, so the first is down; another test may have it there, then the second starts anew.
    std::unique_ptr<RemoteServer> second;
    std::optional<HeldPort> first_down;
    for (int attempt = 0; attempt < 10 && !first_down; ++attempt) {
        second = std::make_unique<RemoteServer>("127.0.0.3");
        try {
            first_down.emplace("127.0.0.2", second->port);
        } catch (const std::system_error& in_use) {
            std::cout << in_use.what() << ", trying another port\n";
        }
    }
    ASSERT_TRUE(first_down);
    ChapterServer server(relaying(dns, second->port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    EXPECT_TRUE(eventually([&] { return second->inbox("bob").size() == 1; })) << server.log();
}

// RFC 5321 3.1: a 554 greeting says that server will not talk to us, not that the domain
// refuses the mail. The next MX host is tried, as Postfix's smtp_skip_5xx_greeting does.
TEST(Relay, A554GreetingMovesOnToTheNextMxHost) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.3", 0, "", {"--greet-554-on", "127.0.0.2"}); // mx2 takes mail; mx1, same port, greets 554
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log() << mx.process.log();
    EXPECT_NE(mx.process.log().find("greeted a client with 554"), std::string::npos) << mx.process.log();
    EXPECT_TRUE(eventually([&] { return files_in(server.dir() / "queue" / "envelopes").empty(); })) << server.log();
    EXPECT_EQ(server.log().find("status=bounced"), std::string::npos) << server.log();
    EXPECT_TRUE(local_inbox(server, "alice").empty()); // no bounce
}

// RFC 6152 3: 8-bit data only to a server that announced 8BITMIME. We do not convert it
// (RFC 6152 allows either): the sender gets a DSN with RFC 3463's 5.6.3, and the server nothing.
TEST(Relay, EightBitMessageToAServerWithout8BitMimeBouncesWith563) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 0, "", {"--no-8bitmime"});
    ChapterServer server(relaying(dns, mx.port));
    const std::string eight_bit = "From: alice@localhost\nSubject: caf\xc3\xa9\n\nna\xc3\xafve\n";
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", eight_bit).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.6.3"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("8BITMIME"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("mx1.example.test"), std::string::npos) << dsn; // which server could not take it
    EXPECT_EQ(mx.received(), 0U);
}

TEST(Relay, TemporaryFailuresAreRetriedThenDelivered) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 2, "451 4.3.0 Try again later");
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("status=sent") != std::string::npos; })) << server.log();
    EXPECT_EQ(mx.received(), 1U);
    EXPECT_NE(server.log().find("status=deferred"), std::string::npos) << server.log();
    EXPECT_TRUE(local_inbox(server, "alice").empty()); // no bounce
}

TEST(Relay, PermanentFailureBouncesToTheSender) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 1000, "550 5.1.1 No such user here");
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Return-Path: <>"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("multipart/report"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("report-type=delivery-status"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Action: failed"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.1.1"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("No such user here"), std::string::npos) << dsn;
    EXPECT_EQ(mx.received(), 0U);
}

TEST(Relay, ExpiredLifetimeBounces) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 1000, "451 4.3.0 Try again later");
    ChapterServer server(relaying(dns, mx.port, {"--max-queue-lifetime", "2s"}));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Status: 4.4.7"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
}

TEST(Relay, NullMxAndNxDomainBounceAtOnce) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@nullmx.test", text).code, 250);
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@nowhere.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 2; }, 5s)) << server.log();
    std::string both;
    for (const auto& file : local_inbox(server, "alice")) {
        both += read_file(file);
    }
    EXPECT_NE(both.find("Final-Recipient: rfc822; bob@nullmx.test"), std::string::npos) << both;
    EXPECT_NE(both.find("Final-Recipient: rfc822; bob@nowhere.test"), std::string::npos) << both;
}

TEST(Relay, DnsTimeoutDefersAndDoesNotBounce) {
    // A name server that never answers: a UDP socket nobody reads.
    asio::io_context io;
    asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<std::string> args{"--relay-network", "127.0.0.1", "--dns-server",
                                  "127.0.0.1:" + std::to_string(silent.local_endpoint().port()), "--retry-schedule", "1s"};
    ChapterServer server(args);
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("status=deferred") != std::string::npos; })) << server.log();
    EXPECT_NE(server.log().find("DNS"), std::string::npos) << server.log();
    EXPECT_TRUE(local_inbox(server, "alice").empty());
    EXPECT_FALSE(files_in(server.dir() / "queue" / "envelopes").empty());
}

TEST(Relay, BounceOfABounceIsDroppedAndLogged) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    ASSERT_EQ(send(server.port("smtp"), "", "bob@nullmx.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("bounce dropped") != std::string::npos; })) << server.log();
    EXPECT_TRUE(all_files(server.dir() / "mail").empty());
}

TEST(Relay, ClientOutsideRelayNetworkIsDenied) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    LineClient client(server.port("smtp"), "127.0.0.1", "127.0.0.5");
    read_reply(client);
    command(client, "EHLO outsider.test");
    ASSERT_EQ(command(client, "MAIL FROM:<mallory@outsider.test>").code, 250);
    auto reply = command(client, "RCPT TO:<bob@example.test>");
    EXPECT_EQ(reply.code, 550) << reply;
    EXPECT_NE(reply.last().find("5.7.1"), std::string::npos) << reply;
    // Local mail is still welcome from anywhere.
    EXPECT_EQ(command(client, "RCPT TO:<alice@localhost>").code, 250);
}

TEST(Relay, AddressLiteralsAreNotRelayed) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    ASSERT_EQ(command(client, "MAIL FROM:<alice@localhost>").code, 250);
    auto reply = command(client, "RCPT TO:<bob@[192.0.2.1]>");
    EXPECT_EQ(reply.code, 550) << reply;
    EXPECT_NE(reply.last().find("5.1.2"), std::string::npos) << reply;
}

TEST(Relay, MailLoopIsRefused) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    std::string looping;
    for (int i = 0; i < 31; ++i) {
        looping += "Received: from hop" + std::to_string(i) + ".test by hop.test; Wed, 25 Nov 2026 00:00:00 +0000\n";
    }
    looping += "Subject: loop\n\nround and round\n";
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    client.send_line("MAIL FROM:<alice@localhost>");
    read_reply(client);
    client.send_line("RCPT TO:<bob@example.test>");
    read_reply(client);
    client.send_line("DATA");
    read_reply(client);
    client.send(wire_data(looping));
    auto reply = read_reply(client);
    EXPECT_EQ(reply.code, 554) << reply;
    EXPECT_NE(reply.last().find("5.4.6"), std::string::npos) << reply;
}

TEST(Relay, QueueSurvivesKillAndRestart) {
    Dnsmasq dns(zone);
    TempDir dir;
    // The same directories every time; the MX host at `mx_port`.
    auto arguments = [&](std::uint16_t mx_port) {
        std::vector<std::string> args{"--smtp-port", "0", "--maildir-root", (dir.path() / "mail").string(),
                                      "--queue-dir", (dir.path() / "queue").string()};
        for (const auto& arg : relaying(dns, mx_port, {}, "1h")) {
            args.push_back(arg);
        }
        for (const auto& arg : other_port_args("--smtp-port")) {
            args.push_back(arg);
        }
        return args;
    };
    {
        HeldPort mx_down("127.0.0.2"); // bound, not listening: the MX host is down
        Process first(chapter_program(), arguments(mx_down.port()));
        for (int i = 0; i < 20; ++i) {
            std::string numbered = "Message-ID: <" + std::to_string(i) + "@test>\n\nnumber " + std::to_string(i) + "\n";
            ASSERT_EQ(send(first.port("smtp"), "alice@localhost", "bob@example.test", numbered).code, 250);
        }
        first.send_signal(SIGKILL);
        first.wait();
    }
    // The MX host is back, at a port of its own that the restarted server is told.
    RemoteServer remote("127.0.0.2");
    Process second(chapter_program(), arguments(remote.port));
    second.port("smtp");
    ASSERT_TRUE(eventually([&] { return remote.inbox("bob").size() == 20; }, 30s)) << second.log();
    std::set<std::string> ids;
    for (const auto& file : remote.inbox("bob")) {
        auto stored = read_file(file);
        ids.insert(stored.substr(stored.find("Message-ID: "), stored.find('\n', stored.find("Message-ID: "))));
    }
    EXPECT_EQ(ids.size(), 20U);
    EXPECT_TRUE(eventually([&] { return files_in(dir.path() / "queue" / "envelopes").empty(); }));
    EXPECT_EQ(second.stop(), 0) << second.log();
}

// RFC 5321 6.1: a recipient's 5xx is on disk the moment it comes, its DSN is made when the
// attempt ends. The MX host here refuses the recipient, then never answers QUIT, and the server
// is stopped in between (kill -9, or SIGTERM, which stops it at once): the restarted server must
// still tell the sender, exactly once.
class RelayCrashSafetyAfterA5xx : public ::testing::TestWithParam<int> {};

TEST_P(RelayCrashSafetyAfterA5xx, TheRestartedServerSendsTheDsnOnce) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 1000, "550 5.1.1 No such user here", {"--hold-quit"});
    TempDir dir;
    std::vector<std::string> args{"--smtp-port", "0", "--maildir-root", (dir.path() / "mail").string(),
                                  "--queue-dir", (dir.path() / "queue").string()};
    for (const auto& arg : relaying(dns, mx.port, {}, "1h")) {
        args.push_back(arg);
    }
    for (const auto& arg : other_port_args("--smtp-port")) {
        args.push_back(arg);
    }
    {
        Process first(chapter_program(), args);
        ASSERT_EQ(send(first.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
        // The client says QUIT only once the 550 is noted in the envelope.
        ASSERT_TRUE(eventually([&] { return mx.process.log().find("holding QUIT") != std::string::npos; }))
            << first.log() << mx.process.log();
        first.send_signal(GetParam());
        ASSERT_TRUE(first.wait()) << first.log();
    }
    auto inbox = [&] { return new_messages(maildir(dir.path() / "mail", "localhost", "alice")); };
    ASSERT_EQ(inbox(), std::vector<fs::path>{}); // no DSN yet
    ASSERT_EQ(files_in(dir.path() / "queue" / "envelopes").size(), 1U);
    Process second(chapter_program(), args);
    ASSERT_NE(second.port("smtp"), 0) << second.log();
    ASSERT_TRUE(eventually([&] { return inbox().size() == 1; })) << second.log();
    auto dsn = read_file(inbox().front());
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.1.1"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Remote-MTA: dns; mx1.example.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("No such user here"), std::string::npos) << dsn;
    EXPECT_TRUE(eventually([&] { return files_in(dir.path() / "queue" / "envelopes").empty(); })) << second.log();
    EXPECT_EQ(second.stop(), 0) << second.log();
    EXPECT_EQ(inbox().size(), 1U) << "one DSN, not more";
}

INSTANTIATE_TEST_SUITE_P(Signals, RelayCrashSafetyAfterA5xx, ::testing::Values(SIGKILL, SIGTERM),
                         [](const auto& info) { return info.param == SIGKILL ? "kill_9" : "sigterm"; });

// The Message-ID of a stored message, "" if it has none.
std::string message_id_in(const std::string& stored) {
    auto at = stored.find("\nMessage-ID: ");
    return at == std::string::npos ? "" : stored.substr(at + 13, stored.find('\n', at + 1) - at - 13);
}

// One message over a new connection: the reply to its data, or 0 when the server was killed
// before it answered (a refused connection included).
int send_unless_killed(std::uint16_t port, const std::string& from, const std::string& to, const std::string& text) {
    try {
        LineClient client(port);
        if (auto greeting = read_reply(client); greeting.code != 220) {
            return greeting.code;
        }
        for (const auto& [line, expected] : std::vector<std::pair<std::string, int>>{
                 {"EHLO client.test", 250}, {"MAIL FROM:<" + from + ">", 250}, {"RCPT TO:<" + to + ">", 250}, {"DATA", 354}}) {
            if (auto reply = command(client, line); reply.code != expected) {
                return reply.code;
            }
        }
        client.send(wire_data(text));
        return read_reply(client).code;
    } catch (const std::system_error&) {
        return 0;
    }
}

// RFC 5321 6.1 under fire: kill -9 at random moments while 1,000 messages arrive, half for a
// local mailbox and half relayed, restarting on the same directories after each kill. Every
// message answered 250 arrives exactly once locally, or at least once remotely (a kill between
// the remote server's 250 and our queue update may send it twice, which RFC 5321 6.1 prefers
// to losing it); no file in new/ is cut short; the queue ends empty.
TEST(RelayCrashSafety, KillNineDuringLoadLosesNothing) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    TempDir dir;
    std::vector<std::string> args{"--smtp-port", "0", "--maildir-root", (dir.path() / "mail").string(),
                                  "--queue-dir", (dir.path() / "queue").string()};
    for (const auto& arg : relaying(dns, remote.port)) {
        args.push_back(arg);
    }
    for (const auto& arg : other_port_args("--smtp-port")) {
        args.push_back(arg);
    }
    std::mt19937 random(std::random_device{}());
    std::set<std::string> accepted_local;
    std::set<std::string> accepted_remote;
    int sent = 0;
    int kills = 0;
    while (sent < 1000) {
        Process server(chapter_program(), args);
        auto port = server.port("smtp");
        ASSERT_NE(port, 0) << server.log();
        auto delay = std::chrono::milliseconds(100 + random() % 400);
        std::thread killer([&server, delay] {
            std::this_thread::sleep_for(delay);
            server.send_signal(SIGKILL);
        });
        for (; sent < 1000; ++sent) {
            std::string id = "<" + std::to_string(sent) + "@crash.test>";
            bool local = sent % 2 == 0;
            std::string text = "Message-ID: " + id + "\nSubject: crash " + std::to_string(sent) + "\n\nbody\nend\n";
            int code = send_unless_killed(port, "sender@localhost", local ? "alice@localhost" : "bob@example.test", text);
            if (code == 0) {
                break; // killed before it answered: not ours to count
            }
            if (code != 250) {
                ADD_FAILURE() << "message " << sent << " got " << code;
                break;
            }
            (local ? accepted_local : accepted_remote).insert(id);
        }
        killer.join();
        server.wait();
        ++kills;
        ++sent; // the message in flight, whatever became of it, is not sent again
    }
    Process last(chapter_program(), args);
    ASSERT_NE(last.port("smtp"), 0) << last.log();
    auto remote_ids = [&] {
        std::multiset<std::string> ids;
        for (const auto& file : remote.inbox("bob")) {
            ids.insert(message_id_in(read_file(file)));
        }
        return ids;
    };
    EXPECT_TRUE(eventually(
        [&] {
            auto ids = remote_ids();
            return std::all_of(accepted_remote.begin(), accepted_remote.end(),
                               [&](const std::string& id) { return ids.count(id) > 0; });
        },
        60s))
        << last.log();
    EXPECT_TRUE(eventually([&] { return files_in(dir.path() / "queue" / "envelopes").empty(); }, 30s));
    EXPECT_EQ(last.stop(), 0) << last.log();
    EXPECT_EQ(files_in(dir.path() / "queue" / "messages"), std::vector<fs::path>{});
    EXPECT_EQ(files_in(dir.path() / "queue" / "tmp"), std::vector<fs::path>{}); // cleaned at start-up

    std::multiset<std::string> local_ids;
    for (const auto& file : new_messages(maildir(dir.path() / "mail", "localhost", "alice"))) {
        auto stored = read_file(file);
        EXPECT_TRUE(stored.ends_with("\n\nbody\nend\n")) << file << " is cut short:\n" << stored;
        local_ids.insert(message_id_in(stored));
    }
    for (const auto& id : accepted_local) {
        EXPECT_EQ(local_ids.count(id), 1U) << id;
    }
    for (const auto& id : local_ids) {
        EXPECT_EQ(local_ids.count(id), 1U) << id << " delivered twice";
    }
    auto ids = remote_ids();
    std::size_t duplicates = ids.size() - std::set<std::string>(ids.begin(), ids.end()).size();
    std::cout << kills << " kills; accepted " << accepted_local.size() << " local and " << accepted_remote.size()
              << " relayed messages; stored " << local_ids.size() << " locally and " << ids.size()
              << " remotely (" << duplicates << " relayed twice)\n";
}
