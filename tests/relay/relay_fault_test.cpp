// Fault injection into the relay: the disk fills up (RLIMIT_FSIZE, or a small tmpfs for ENOSPC)
// or a directory of the queue turns into a file (ENOTDIR) while a message is being queued, and
// the name server answers garbage or nothing. Queueing that fails is a temporary failure that leaves no half file and,
// RFC 5321 4.2.5, no copy delivered; a name server that fails us defers the message, which stays
// queued and is tried again. Never a crash: every server here must exit cleanly at the end.
#include "dns/dnsmasq.hpp"
#include "relay/fake_mx.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/faults.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <system_error>
#include <thread>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using dns::tests::Dnsmasq;
using relay::tests::FakeMx;

constexpr int refuse_all = 1'000'000; // recipients fake_mx.py refuses before it accepts one

// example.test's one MX host is the remote server on 127.0.0.2.
const std::vector<std::string> zone{"--mx-host=example.test,mx1.example.test,10",
                                    "--host-record=mx1.example.test,127.0.0.2"};

// The chapter's own mailserver as the MX host of example.test.
struct Remote {
    ChapterServer server{{"--listen", "127.0.0.2", "--hostname", "mx.example.test", "--domain", "example.test"}};

    std::vector<fs::path> inbox(const std::string& user) const {
        return new_messages(maildir(server.dir() / "mail", "example.test", user));
    }
};

// The server under test may relay for 127.0.0.1, asks `dns_server`, relays to `relay_port` and
// retries after a second.
std::vector<std::string> relaying(const std::string& dns_server, std::uint16_t relay_port) {
    return {"--relay-network", "127.0.0.1", "--dns-server", dns_server, "--relay-port", std::to_string(relay_port),
            "--retry-schedule", "1s"};
}

void expect_temporary_failure(const Reply& reply) {
    static const std::regex temporary(R"(45[12] 4\.[0-9]{1,3}\.[0-9]{1,3} .+)"); // RFC 3463 class 4
    EXPECT_TRUE(reply.code == 451 || reply.code == 452) << reply;
    EXPECT_TRUE(std::regex_match(reply.last(), temporary)) << reply;
}

fs::path queue_dir(const ChapterServer& server) { return server.dir() / "queue"; }
std::vector<fs::path> local_inbox(const ChapterServer& server, const std::string& user) {
    return new_messages(maildir(server.dir() / "mail", "localhost", user));
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) {
        ++count;
    }
    return count;
}

std::string big_text() {
    std::string text = "From: alice@localhost\nTo: bob@example.test\nSubject: big\n\n";
    for (int line = 0; text.size() < 256 * 1024; ++line) {
        text += std::string(77, static_cast<char>('a' + line % 26)) + "\n";
    }
    return text;
}

constexpr rlim_t file_size_limit = 64 * 1024; // the server's log stays well below it
constexpr std::size_t small_disk_size = 64 * 1024; // a tmpfs that big_text() overfills

// The remote server has the message exactly once, and the queue is empty again.
void expect_relayed_once(const Remote& remote, const ChapterServer& server, const std::string& text) {
    ASSERT_TRUE(eventually([&] { return remote.inbox("bob").size() == 1; })) << server.log();
    EXPECT_TRUE(read_file(remote.inbox("bob").front()).ends_with(text));
    EXPECT_TRUE(eventually([&] { return all_files(queue_dir(server)).empty(); })) << server.log();
    EXPECT_EQ(remote.inbox("bob").size(), 1U);
}

TEST(RelayFaults, DiskFullGetsATemporaryFailureLeavesNoHalfFileAndTheRetryIsRelayed) {
    Dnsmasq dns(zone);
    Remote remote;
    ChapterServer server(relaying(dns.server(), remote.server.port("smtp")));
    LineClient client(server.port("smtp"));
    greet(client);
    auto text = big_text();
    {
        FileSizeLimit disk_full(server.process().pid(), file_size_limit);
        expect_temporary_failure(send_message(client, "alice@localhost", {"bob@example.test"}, text));
        // The message goes to disk as it arrives (its spool), so that is where the limit bites.
        EXPECT_NE(server.log().find("receiving a message failed: File too large"), std::string::npos) << server.log();
        EXPECT_EQ(all_files(queue_dir(server)), std::vector<fs::path>{}); // no half message in tmp/ or messages/
        EXPECT_EQ(command(client, "NOOP").code, 250);
    }
    ASSERT_EQ(send_message(client, "alice@localhost", {"bob@example.test"}, text).code, 250);
    expect_relayed_once(remote, server, text);
}

// A queue whose disk is really full (ENOSPC): RFC 5321 4.2.2's 452 with RFC 3463's 4.3.1.
TEST(RelayFaults, FullQueueDiskGets452AndTheRetryIsRelayed) {
    Dnsmasq dns(zone);
    Remote remote;
    ChapterServer server(relaying(dns.server(), remote.server.port("smtp")));
    LineClient client(server.port("smtp"));
    greet(client);
    auto text = big_text();
    {
        SmallDisk full(queue_dir(server), small_disk_size);
        if (!full.mounted()) {
            GTEST_SKIP() << "cannot mount a tmpfs here: " << full.error().message();
        }
        for (const char* directory : {"messages", "envelopes", "tmp"}) {
            fs::create_directory(queue_dir(server) / directory);
        }
        auto reply = send_message(client, "alice@localhost", {"bob@example.test"}, text);
        EXPECT_EQ(reply.code, 452) << reply;
        EXPECT_TRUE(reply.last().starts_with("452 4.3.1 ")) << reply;
        EXPECT_NE(server.log().find("queueing failed: No space left on device"), std::string::npos) << server.log();
        EXPECT_EQ(all_files(queue_dir(server)), std::vector<fs::path>{});
        EXPECT_EQ(command(client, "NOOP").code, 250);
    }
    ASSERT_EQ(send_message(client, "alice@localhost", {"bob@example.test"}, text).code, 250);
    expect_relayed_once(remote, server, text);
}

// RFC 5321 4.2.5: after the temporary failure the server must not deliver the message, so the
// local copies stored before queueing failed are taken back; the retry delivers each once.
TEST(RelayFaults, QueueingThatFailsTakesBackTheLocalCopiesOfAMixedEnvelope) {
    Dnsmasq dns(zone);
    Remote remote;
    ChapterServer server(relaying(dns.server(), remote.server.port("smtp")));
    LineClient client(server.port("smtp"));
    greet(client);
    const std::string text = "Subject: half here, half there\n\nhello\n";
    const std::vector<std::string> recipients{"carol@localhost", "bob@example.test"};
    {
        FileInTheWay broken(queue_dir(server) / "envelopes");
        expect_temporary_failure(send_message(client, "alice@localhost", recipients, text));
    }
    EXPECT_EQ(local_inbox(server, "carol"), std::vector<fs::path>{});
    EXPECT_EQ(all_files(queue_dir(server)), std::vector<fs::path>{});
    ASSERT_EQ(send_message(client, "alice@localhost", recipients, text).code, 250);
    EXPECT_EQ(local_inbox(server, "carol").size(), 1U);
    expect_relayed_once(remote, server, text);
}

// RFC 5321 6.1: mail that cannot be delivered is returned to its sender. When the disk is too
// full to store that bounce, the failure must wait in the queue until it can, not vanish.
TEST(RelayFaults, ABounceThatCannotBeStoredWaitsInTheQueueUntilItCan) {
    Dnsmasq dns(zone);
    HeldPort mx_port("127.0.0.2"); // bound, not listening: the MX host is down
    ChapterServer server(relaying(dns.server(), mx_port.port()));
    LineClient client(server.port("smtp"));
    greet(client);
    // A bounce quotes the header section (RFC 6522 4): this one is too big for the full disk.
    std::string text = "Subject: bounce me\n";
    for (int line = 0; text.size() < 128 * 1024; ++line) {
        text += "X-Padding-" + std::to_string(line) + ": " + std::string(70, 'x') + "\n";
    }
    text += "\nbody\n";
    auto accepted = send_message(client, "alice@localhost", {"bob@example.test"}, text);
    ASSERT_EQ(accepted.code, 250) << accepted;
    auto id = queue_id(accepted.last());
    ASSERT_TRUE(eventually([&] { return server.log().find("status=deferred") != std::string::npos; })) << server.log();
    FileSizeLimit disk_full(server.process().pid(), file_size_limit);
    FakeMx mx(mx_port, refuse_all, "550 5.1.1 No such user here"); // up, on that very socket
    auto bounce_failed = [&] { return server.log().find("bounce to <alice@localhost> failed") != std::string::npos; };
    ASSERT_TRUE(eventually(bounce_failed)) << server.log();
    EXPECT_EQ(local_inbox(server, "alice"), std::vector<fs::path>{});
    EXPECT_EQ(files_in(queue_dir(server) / "envelopes"), std::vector<fs::path>{queue_dir(server) / "envelopes" / id});
    disk_full.lift();
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.1.1"), std::string::npos) << dsn;
    EXPECT_TRUE(eventually([&] { return all_files(queue_dir(server)).empty(); })) << server.log();
    EXPECT_EQ(local_inbox(server, "alice").size(), 1U); // one bounce, however many attempts it took
}

// A directory of the queue is a file for a while (ENOTDIR): the whole queue, or the directory
// the message, the envelope or the files being written go to.
class RelayFaultsInTheWay : public ::testing::TestWithParam<std::string> {};

TEST_P(RelayFaultsInTheWay, GetsATemporaryFailureLeavesNothingQueuedAndTheRetryIsRelayed) {
    Dnsmasq dns(zone);
    Remote remote;
    ChapterServer server(relaying(dns.server(), remote.server.port("smtp")));
    LineClient client(server.port("smtp"));
    greet(client);
    const std::string text = "Subject: queued?\n\nhello\n";
    {
        FileInTheWay broken(GetParam() == "queue" ? queue_dir(server) : queue_dir(server) / GetParam());
        expect_temporary_failure(send_message(client, "alice@localhost", {"bob@example.test"}, text));
        EXPECT_NE(server.log().find("queueing failed"), std::string::npos) << server.log();
        EXPECT_EQ(command(client, "NOOP").code, 250);
    }
    EXPECT_EQ(all_files(queue_dir(server)), std::vector<fs::path>{}); // e.g. no message without its envelope
    ASSERT_EQ(send_message(client, "alice@localhost", {"bob@example.test"}, text).code, 250);
    expect_relayed_once(remote, server, text);
}

INSTANTIATE_TEST_SUITE_P(Directories, RelayFaultsInTheWay, ::testing::Values("queue", "messages", "envelopes", "tmp"),
                         [](const auto& info) { return info.param; });

// tests/relay/bad_dns.py, answering every query as `mode` says.
struct BadDns {
    explicit BadDns(const std::string& mode)
        : process("/usr/bin/python3", {MAILSTEPS_SOURCE_DIR "/tests/relay/bad_dns.py", "--mode", mode}),
          server("127.0.0.1:" + std::to_string(process.port("dns"))) {}

    Process process;
    std::string server; // for --dns-server
};

// SIGTERM twice while thirty messages are being stored and queued on the disk threads, which
// call into the relay: the server stops without waiting out the grace, and exits 0 without a
// sanitizer report. The relay is destroyed before the server; Server::run() returns only once
// no disk job runs any more, so none can still be using it.
TEST(RelayShutdown, ForcedShutdownWhileMessagesAreBeingQueuedExitsCleanly) {
    constexpr int clients = 30;
    ChapterServer server(relaying("127.0.0.1:9", 9)); // no name server: the messages just wait
    auto port = server.port("smtp");
    LineClient idle(port); // holds the server in its grace period until the second signal
    ASSERT_EQ(read_reply(idle).code, 220);
    std::string text = "Subject: stopped\n\n";
    while (text.size() < 256 * 1024) {
        text += "a line of a message being stored while the server is told to stop\n";
    }
    auto data = wire_data(text);
    data.resize(data.size() - 3); // all but the final ".\r\n"
    std::vector<std::unique_ptr<LineClient>> senders;
    for (int i = 0; i < clients; ++i) {
        auto& sender = *senders.emplace_back(std::make_unique<LineClient>(port));
        greet(sender);
        ASSERT_EQ(command(sender, "MAIL FROM:<alice@localhost>").code, 250);
        ASSERT_EQ(command(sender, "RCPT TO:<bob@example.test>").code, 250); // queued for the relay
        ASSERT_EQ(command(sender, "RCPT TO:<carol@localhost>").code, 250);  // and stored here
        ASSERT_EQ(command(sender, "DATA").code, 354);
        sender.send(data);
    }
    for (auto& sender : senders) {
        sender->send(".\r\n"); // every message ends at once: thirty jobs for the disk threads
    }
    server.process().send_signal(SIGTERM);
    // Two signals at once would be one: the second goes once the listener has closed.
    ASSERT_TRUE(eventually([&] {
        try {
            LineClient probe(port);
            return false;
        } catch (const std::system_error&) {
            return true;
        }
    })) << server.log();
    server.process().send_signal(SIGTERM);
    EXPECT_EQ(server.process().wait(), 0) << server.log();
    EXPECT_NE(server.log().find("again: stopping sessions now"), std::string::npos) << server.log();
}

// RFC 5321 5.1: when the MX lookup fails for now, "the message MUST be queued and retried
// later". A forged or garbled answer must not make it bounce, and nothing may crash.
class RelayFaultsDns : public ::testing::TestWithParam<std::string> {};

TEST_P(RelayFaultsDns, DefersKeepsTheMessageQueuedAndTriesAgain) {
    BadDns dns(GetParam());
    ChapterServer server(relaying(dns.server, 9)); // port 9: the relay must never get that far
    LineClient client(server.port("smtp"));
    greet(client);
    auto accepted = send_message(client, "alice@localhost", {"bob@example.test"}, "Subject: to nowhere\n\nhi\n");
    ASSERT_EQ(accepted.code, 250) << accepted;
    auto id = queue_id(accepted.last());
    // Each attempt waits out the lookup's 5 s timeout, unless the answer is truncated.
    ASSERT_TRUE(eventually([&] { return occurrences(server.log(), "status=deferred") >= 2; }, 40s))
        << server.log() << "\nthe name server's log:\n" << dns.process.log();
    auto log = server.log();
    EXPECT_NE(log.find("DNS lookup failed"), std::string::npos) << log;
    EXPECT_EQ(log.find("status=bounced"), std::string::npos) << log;
    EXPECT_GE(occurrences(dns.process.log(), "query "), 2U) << dns.process.log();
    EXPECT_EQ(files_in(queue_dir(server) / "envelopes"), std::vector<fs::path>{queue_dir(server) / "envelopes" / id});
    EXPECT_EQ(files_in(queue_dir(server) / "messages"), std::vector<fs::path>{queue_dir(server) / "messages" / id});
    EXPECT_EQ(local_inbox(server, "alice"), std::vector<fs::path>{}); // no bounce
    LineClient another(server.port("smtp")); // and the server still answers
    greet(another);
    EXPECT_EQ(command(another, "NOOP").code, 250);
}

INSTANTIATE_TEST_SUITE_P(Answers, RelayFaultsDns,
                         ::testing::Values("garbage", "wrong-id", "wrong-question", "truncated", "silent"),
                         [](const auto& info) {
                             auto name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

// The server under test, relaying through `dns_server`, to port 9 (nothing gets that far), and
// retrying only after an hour: what happens is one attempt's doing.
std::vector<std::string> one_attempt(const std::string& dns_server, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"--relay-network", "127.0.0.1", "--dns-server", dns_server,
                                  "--relay-port",    "9",            "--retry-schedule", "1h"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

// A hostile zone lists 2,000 MX hosts whose address lookups all fail (SERVFAIL). Only the 5 most
// preferred, those the relay tries, are looked up (RFC 5321 5.1 lets a client limit what it
// tries), so an attempt costs a bounded number of queries, not 2,000 hosts' lookups, and the
// message is deferred, not bounced.
TEST(RelayFaults, AHugeMxListCostsABoundedNumberOfQueriesAndDefers) {
    BadDns dns("many-mx");
    ChapterServer server(one_attempt(dns.server));
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(send_message(client, "alice@localhost", {"bob@many.test"}, "Subject: to many\n\nhi\n").code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("status=deferred") != std::string::npos; }, 30s))
        << server.log() << "\nthe name server's log:\n" << dns.process.log();
    const auto log = server.log();
    EXPECT_NE(log.find("451 4.4.3 DNS lookup failed: no MX host among the 5 most preferred is usable now"),
              std::string::npos) << log;
    EXPECT_EQ(log.find("status=bounced"), std::string::npos) << log;
    EXPECT_EQ(local_inbox(server, "alice"), std::vector<fs::path>{}); // no bounce
    EXPECT_EQ(files_in(queue_dir(server) / "envelopes").size(), 1U);

    // What the name server was asked: the hosts' A and AAAA queries, each tried at most 3 times.
    const auto asked = dns.process.log();
    static const std::regex host_query(R"(query [0-9]+ for (\S+) (A|AAAA): many-mx)");
    std::set<std::string> hosts;
    std::size_t queries = 0;
    for (auto it = std::sregex_iterator(asked.begin(), asked.end(), host_query); it != std::sregex_iterator(); ++it) {
        hosts.insert((*it)[1].str());
        ++queries;
    }
    EXPECT_EQ(hosts, (std::set<std::string>{"mx1.many.test", "mx2.many.test", "mx3.many.test", "mx4.many.test",
                                            "mx5.many.test"}))
        << asked;
    EXPECT_LE(queries, 5U * 2 * 3) << asked;
}

// One delivery attempt has a deadline (--max-attempt-time): what is left when it passes waits
// for the next attempt, deferred, not bounced. Here the first domain's lookup (a silent name
// server: 5 s) outlasts it, so the second domain is not even looked up.
TEST(RelayFaults, WhatIsLeftWhenTheAttemptRunsOutOfTimeIsDeferred) {
    BadDns dns("silent");
    ChapterServer server(one_attempt(dns.server, {"--max-attempt-time", "1s"}));
    LineClient client(server.port("smtp"));
    greet(client);
    auto accepted = send_message(client, "alice@localhost", {"bob@first.test", "carol@second.test"}, "Subject: two\n\nhi\n");
    ASSERT_EQ(accepted.code, 250) << accepted;
    ASSERT_TRUE(eventually([&] { return occurrences(server.log(), "status=deferred") == 2; }, 60s)) << server.log();
    const auto log = server.log();
    static const std::regex first(R"(to=<bob@first\.test> delay=[0-9]+s status=deferred \(451 4\.4\.3 DNS lookup failed)");
    static const std::regex second(R"(to=<carol@second\.test> delay=[0-9]+s status=deferred )"
                                   R"(\(451 4\.4\.0 Delivery attempt took longer than 1s, will try again later\))");
    EXPECT_TRUE(std::regex_search(log, first)) << log;
    EXPECT_TRUE(std::regex_search(log, second)) << log;
    EXPECT_EQ(log.find("status=bounced"), std::string::npos) << log;
    EXPECT_EQ(local_inbox(server, "alice"), std::vector<fs::path>{}); // no bounce
    const auto id = queue_id(accepted.last());
    EXPECT_EQ(files_in(queue_dir(server) / "envelopes"), std::vector<fs::path>{queue_dir(server) / "envelopes" / id});
    const auto asked = dns.process.log();
    EXPECT_NE(asked.find("for first.test MX"), std::string::npos) << asked;
    EXPECT_EQ(asked.find("second.test"), std::string::npos) << asked;
}

} // namespace
