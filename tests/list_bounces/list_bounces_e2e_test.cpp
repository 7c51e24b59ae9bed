// Bounces end to end (chapter 36 onwards): a member elsewhere whose MX host (aiosmtpd) refuses,
// counted from the relay's own DSN; a DSN in Postfix's form sent back by smtplib, removing a
// member on the fifth day; anything else at the bounces address goes to the postmaster.
#include "list_bounces/dsn_samples.hpp"
#include "lists/list_testing.hpp"
#include "relay/relay_e2e_testing.hpp"
#include "user_command/user_testing.hpp"

#include <ctime>
#include <fstream>

namespace {

using lists::tests::list_command;

const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";

long today() { return static_cast<long>(std::time(nullptr) / (24 * 60 * 60)); }

struct ListBounces : ::testing::Test {
    Dnsmasq dns{zone};
    // Refuses the first recipient for good, as a server with no such user does.
    FakeMx mx{"127.0.0.2", 1, "550 5.1.1 No such user"};
    ChapterServer server{{"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port)}};

    void SetUp() override {
        pop3::tests::add_user(server, "alice@localhost", "tulip-7-Sky");
        ASSERT_EQ(list_command(server, {"create", "club@localhost"}).exit_code, 0);
        for (const char* member : {"alice@localhost", "bob@example.test"}) {
            ASSERT_EQ(list_command(server, {"add", "club@localhost", member}).exit_code, 0);
        }
    }

    fs::path bounces_file() const { return server.dir() / "lists" / "club@localhost" / "bounces"; }

    RunResult send_bounce(const std::string& text) {
        return run("/usr/bin/python3", {smtplib_client, std::to_string(server.port("smtp")), "",
                                        "club-bounces@localhost"},
                   crlf(text));
    }
};

} // namespace

// The post reaches aiosmtpd, which refuses bob@; the relay's DSN goes to club-bounces@localhost,
// here, and is counted as Bob's first day of bounces.
TEST_F(ListBounces, TheRelaysOwnBounceIsCounted) {
    ASSERT_EQ(send(server.port("smtp"), "dave@sender.test", "club@localhost", text).code, 250);
    ASSERT_TRUE(eventually([&] {
        return server.log().find("list=<club@localhost> bounce for <bob@example.test>") != std::string::npos;
    })) << server.log();
    EXPECT_EQ(read_file(bounces_file()), "bob@example.test 1 " + std::to_string(today()) + "\n");
    EXPECT_EQ(list_command(server, {"members", "club@localhost"}).out, "alice@localhost\nbob@example.test\n");
    EXPECT_FALSE(fs::exists(mailbox(server, "club-bounces")));
}

// A DSN sent back by SMTP, in Postfix's form, after bounces on four earlier days: the fifth
// removes Bob.
TEST_F(ListBounces, APostfixDsnOnTheFifthDayRemovesTheMember) {
    std::ofstream(bounces_file()) << "bob@example.test 4 " << today() - 1 << "\n";
    auto sent = send_bounce(lists::tests::postfix_dsn("bob@example.test"));
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
    EXPECT_EQ(list_command(server, {"members", "club@localhost"}).out, "alice@localhost\n");
    EXPECT_NE(server.log().find("bounce for <bob@example.test>: removed after bounces on 5 days"), std::string::npos)
        << server.log();
    EXPECT_EQ(read_file(bounces_file()), "");
    EXPECT_FALSE(fs::exists(mailbox(server, "postmaster")));
}

// What names no member (an out-of-office reply, a bounce for someone not on the list, a fake
// report in the text) counts for nobody and goes to the postmaster, for a person to read.
TEST_F(ListBounces, WhatNamesNoMemberGoesToThePostmaster) {
    ASSERT_EQ(send_bounce("Subject: Out of office\n\nI am away until Monday.\n").exit_code, 0);
    ASSERT_EQ(send_bounce(lists::tests::postfix_dsn("stranger@example.test")).exit_code, 0);
    ASSERT_EQ(send_bounce("Subject: fake\n\nFinal-Recipient: rfc822; alice@localhost\nAction: failed\n").exit_code, 0);
    EXPECT_EQ(new_messages(mailbox(server, "postmaster")).size(), 3U);
    EXPECT_FALSE(fs::exists(bounces_file()));
    EXPECT_EQ(list_command(server, {"members", "club@localhost"}).out, "alice@localhost\nbob@example.test\n");
}

// The relay's own DSN about someone who is not a member (here a confirmation to Carol, whose
// server refuses her) counts for nobody, and reaches the postmaster like one by SMTP.
TEST_F(ListBounces, TheRelaysBounceForANonMemberGoesToThePostmaster) {
    auto sent = run("/usr/bin/python3", {smtplib_client, std::to_string(server.port("smtp")), "carol@example.test",
                                         "club-request@localhost"},
                    crlf("Subject: subscribe\n\n"));
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
    ASSERT_TRUE(eventually([&] { return new_messages(mailbox(server, "postmaster")).size() == 1; })) << server.log();
    auto dsn = read_file(new_messages(mailbox(server, "postmaster")).front());
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; carol@example.test"), std::string::npos) << dsn;
    EXPECT_FALSE(fs::exists(bounces_file()));
}
