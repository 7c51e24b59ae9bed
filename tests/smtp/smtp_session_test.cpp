// The SMTP state machine (RFC 5321 4.1.4, 4.3.2) of the chapter's server: a command sequence
// goes in, reply codes come out.
#include "smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace smtp {
namespace {

using namespace smtp::tests;
using mailsteps::testing::ChapterServer;

class Sequence : public ::testing::TestWithParam<CommandSequence> {};

TEST_P(Sequence, RepliesInOrder) { expect_reply_codes(GetParam()); }

const std::vector<std::string> open_transaction{"EHLO client.test", "MAIL FROM:<alice@example.test>",
                                                "RCPT TO:<bob@localhost>"};

std::vector<std::string> after_open(std::vector<std::string> more) {
    more.insert(more.begin(), open_transaction.begin(), open_transaction.end());
    return more;
}

INSTANTIATE_TEST_SUITE_P(
    Smtp, Sequence,
    ::testing::Values(
        // RFC 5321 4.1.4: a greeting must come before a transaction.
        CommandSequence{"mail_before_greeting", {"MAIL FROM:<a@b>"}, {503}},
        CommandSequence{"rcpt_before_mail", {"EHLO x", "RCPT TO:<c@localhost>"}, {250, 503}},
        CommandSequence{"data_before_mail", {"HELO x", "DATA"}, {250, 503}},
        // RFC 5321 4.1.1.5: RSET ends the transaction.
        CommandSequence{"rset_ends_the_transaction",
                        {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@localhost>", "RSET", "RCPT TO:<c@localhost>"},
                        {250, 250, 250, 250, 503}},
        // RFC 5321 4.1.1.1: HELO and EHLO need the client's name.
        CommandSequence{"helo_without_name", {"HELO", "HELO ", "EHLO"}, {501, 501, 501}},
        CommandSequence{"helo_name_with_parenthesis", {"HELO evil(name)"}, {501}},
        // RFC 5321 4.1.4: EHLO in a transaction resets it, as RSET does.
        CommandSequence{"ehlo_resets_a_transaction", after_open({"EHLO again", "DATA", "MAIL FROM:<a@b>"}),
                        {250, 250, 250, 250, 503, 250}},
        // RFC 5321 3.3: no nested MAIL; DATA needs a recipient.
        CommandSequence{"nested_mail", {"EHLO x", "MAIL FROM:<a@b>", "MAIL FROM:<a@b>"}, {250, 250, 503}},
        CommandSequence{"data_without_recipient", {"EHLO x", "MAIL FROM:<a@b>", "DATA"}, {250, 250, 554}},
        CommandSequence{"data_with_argument", after_open({"DATA now"}), {250, 250, 250, 501}},
        // RFC 5321 4.5.3.1.10: past the limit, recipients get 452 and the rest goes on.
        CommandSequence{"too_many_recipients",
                        {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<r1@localhost>", "RCPT TO:<r2@localhost>",
                         "RCPT TO:<r3@localhost>", "DATA", "hello\r\n."},
                        {250, 250, 250, 250, 452, 354, 250},
                        {"--max-recipients", "2"}},
        // A transaction that ends with DATA leaves the session ready for the next one.
        CommandSequence{"two_transactions",
                        after_open({"DATA", "one\r\n.", "MAIL FROM:<a@b>", "RCPT TO:<c@localhost>", "DATA", "two\r\n."}),
                        {250, 250, 250, 354, 250, 250, 250, 354, 250}},
        CommandSequence{"data_ends_the_transaction", after_open({"DATA", "one\r\n.", "RCPT TO:<c@localhost>"}),
                        {250, 250, 250, 354, 250, 503}},
        CommandSequence{"other_commands", {"NOOP", "VRFY bob", "EXPN staff", "HELP", "FOO"}, {250, 252, 502, 214, 500}},
        CommandSequence{"command_line_of_512_octets",
                        {"NOOP " + std::string(505, 'x'), "NOOP " + std::string(506, 'x'), "NOOP"},
                        {250, 500, 250}}),
    [](const auto& info) { return info.param.name; });

TEST(Session, QuitSays221AndCloses) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    EXPECT_EQ(command(client, "QUIT").code, 221);
    EXPECT_TRUE(client.wait_closed());
}

TEST(Session, TenErrorsGet421AndClose) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    for (int i = 0; i < 9; ++i) {
        ASSERT_EQ(command(client, "FOO").code, 500);
    }
    EXPECT_EQ(command(client, "FOO").code, 500);
    auto goodbye = read_reply(client);
    EXPECT_EQ(goodbye.code, 421) << goodbye;
    EXPECT_TRUE(goodbye.last().starts_with("421 4.7.0 ")) << goodbye;
    EXPECT_TRUE(client.wait_closed());
}

TEST(Session, NineErrorsAreForgiven) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    for (int i = 0; i < 9; ++i) {
        ASSERT_EQ(command(client, "FOO").code, 500);
    }
    EXPECT_EQ(command(client, "NOOP").code, 250);
    EXPECT_EQ(command(client, "NOOP").code, 250);
}

TEST(Session, CommandTimeoutSays421) {
    ChapterServer server({"--command-timeout", "200ms"});
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    auto reply = read_reply(client, 5s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.4.2 ")) << reply;
    EXPECT_TRUE(client.wait_closed());
}

// The session of a client that vanishes in the middle of its message ends at once (the server
// then stops without waiting out its shutdown grace), and nothing of the message is kept.
TEST(Session, ClientVanishingInDataDeliversNothing) {
    ChapterServer server({"--shutdown-grace", "60s"});
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    for (const auto& line : open_transaction) {
        ASSERT_EQ(command(client, line).code, 250);
    }
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: cut short\r\n\r\nhalf a message\r\n");
    client.close();
    server.process().send_signal(SIGTERM);
    EXPECT_EQ(server.process().wait(10s), 0) << server.log();
    EXPECT_TRUE(all_files(mail_root(server)).empty());
}

} // namespace
} // namespace smtp
