// Chapter 20 end to end: 8-bit mail only to a server that announced 8BITMIME, and the outcome
// noted on disk before QUIT, so a crash then sends no DSN twice.
#include "relay/relay_e2e_testing.hpp"

#include <csignal>

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

// RFC 5321 6.1: a recipient's 5xx is on disk the moment it comes, its DSN is made when the
// attempt ends. The MX host here refuses the recipient, then never answers QUIT, and the server
// is stopped in between (kill -9, or SIGTERM, which stops it at once): the restarted server must
// still tell the sender, exactly once.
class RelayCrashSafetyAfterA5xx : public ::testing::TestWithParam<int> {};

TEST_P(RelayCrashSafetyAfterA5xx, TheRestartedServerSendsTheDsnOnce) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 1000, "550 5.1.1 No such user here", {"--hold-quit"});
    TempDir dir;
    auto args = relaying_from(dir.path(), dns, mx.port);
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
