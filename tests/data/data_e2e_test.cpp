// End-to-end tests of DATA (chapter 07 onwards): the size limit, the line limit, the only end
// of data there is (SMTP smuggling), the data timeout.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

class Sequence : public ::testing::TestWithParam<CommandSequence> {};

TEST_P(Sequence, RepliesInOrder) { expect_reply_codes(GetParam()); }

const std::vector<std::string> open_transaction{"EHLO client.test", "MAIL FROM:<alice@example.test>",
                                                "RCPT TO:<bob@localhost>"};

std::vector<std::string> after_open(std::vector<std::string> more) {
    more.insert(more.begin(), open_transaction.begin(), open_transaction.end());
    return more;
}

INSTANTIATE_TEST_SUITE_P(
    Data, Sequence,
    ::testing::Values(
        // RFC 5321 4.1.1.11: an unknown MAIL or RCPT parameter.
        CommandSequence{"unknown_mail_parameter", {"EHLO x", "MAIL FROM:<a@b> FOO=bar"}, {250, 555}},
        CommandSequence{"unknown_rcpt_parameter", {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@localhost> NOTIFY=NEVER"},
                        {250, 250, 555}},
        // RFC 1870 6.1: a declared size over the limit is refused at MAIL.
        CommandSequence{"size_over_limit", {"EHLO x", "MAIL FROM:<a@b> SIZE=1001", "MAIL FROM:<a@b> SIZE=1000"},
                        {250, 552, 250}, {"--max-message-size", "1000"}},
        // RFC 1870 4 and 6.3: a message over the limit is refused after the data.
        CommandSequence{"data_over_limit", after_open({"DATA", "0123456789\r\n."}), {250, 250, 250, 354, 552},
                        {"--max-message-size", "11"}},
        CommandSequence{"data_at_limit", after_open({"DATA", "012345678\r\n."}), {250, 250, 250, 354, 250},
                        {"--max-message-size", "11"}}),
    [](const auto& info) { return info.param.name; });

TEST(Session, EhloAdvertisesTheExtensions) {
    ChapterServer server({"--max-message-size", "12345"});
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    auto reply = command(client, "EHLO client.test");
    ASSERT_GE(reply.lines.size(), 5U) << reply;
    // Later chapters add keywords (STARTTLS in chapter 27) before the last line.
    std::vector<std::string> first(reply.lines.begin(), reply.lines.begin() + 4);
    EXPECT_EQ(first, (std::vector<std::string>{"250-localhost", "250-PIPELINING", "250-SIZE 12345", "250-8BITMIME"}));
    EXPECT_EQ(reply.lines.back(), "250 ENHANCEDSTATUSCODES");
}

// RFC 1870 6.1: a declared size over the limit is refused before any data is sent.
TEST(SmtpLimits, SizeParameterOverTheLimitIsRefusedAtMail) {
    ChapterServer server({"--max-message-size", "1000"});
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = command(client, "MAIL FROM:<alice@example.test> SIZE=1001");
    EXPECT_EQ(reply.code, 552) << reply;
    EXPECT_TRUE(reply.last().starts_with("552 5.3.4 ")) << reply;
}

// RFC 1870 4 and 6.3: a message that turns out bigger than the limit is refused after the data.
TEST(SmtpLimits, OversizeMessageIsRefusedAfterTheData) {
    ChapterServer server({"--max-message-size", "1000"});
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, "x" + message_of_1000_octets());
    EXPECT_EQ(reply.code, 552) << reply;
    EXPECT_TRUE(reply.last().starts_with("552 5.3.4 ")) << reply;
    EXPECT_TRUE(all_files(mail_root(server)).empty());
    EXPECT_EQ(command(client, "NOOP").code, 250); // the session goes on
}

// RFC 5321 4.3.2: 554 is among the replies to the end of DATA, 500 is not.
TEST(SmtpLimits, TextLineOver1000OctetsIsRefusedAtTheEndOfTheData) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    for (const std::string& line : {std::string(999, 'x'), "." + std::string(998, 'x')}) {
        auto reply = send_message(client, "alice@example.test", {"bob@localhost"},
                                  "Subject: long line\n\n" + line + "\nafter it\n");
        EXPECT_EQ(reply.code, 554) << reply;
        EXPECT_TRUE(reply.last().starts_with("554 5.6.0 ")) << reply;
    }
    EXPECT_TRUE(all_files(mail_root(server)).empty());
    EXPECT_EQ(command(client, "NOOP").code, 250);
}

// RFC 5321 2.3.8 and 4.1.1.4: only CRLF "." CRLF ends the data. SMTP smuggling hides a second
// transaction behind an end-of-data that some servers accept; here it must stay message text
// of a refused message, and nothing at all may be delivered.
struct SmugglingVector {
    std::string name;
    std::string bytes; // right after the line "real"
};

void PrintTo(const SmugglingVector& vector, std::ostream* out) { *out << vector.name; }

class SmtpSmuggling : public ::testing::TestWithParam<SmugglingVector> {};

TEST_P(SmtpSmuggling, NothingIsDeliveredAndTheHiddenCommandsNeverRun) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: real\r\n\r\nreal" + GetParam().bytes +
                "MAIL FROM:<mallory@example.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\n"
                "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n");
    auto refused = read_reply(client);
    EXPECT_EQ(refused.code, 554) << refused;
    EXPECT_TRUE(refused.last().starts_with("554 5.6.0 ")) << refused;
    // Had the smuggled commands run, their replies would come before QUIT's.
    client.send_line("QUIT");
    auto next = read_reply(client);
    EXPECT_EQ(next.code, 221) << "the reply after the refusal: " << next;
    EXPECT_TRUE(client.wait_closed());
    EXPECT_TRUE(all_files(mail_root(server)).empty());
}

INSTANTIATE_TEST_SUITE_P(Vectors, SmtpSmuggling,
                         ::testing::Values(SmugglingVector{"lf_dot_lf", "\n.\n"},
                                           SmugglingVector{"cr_dot_cr", "\r.\r"},
                                           SmugglingVector{"lf_dot_crlf", "\n.\r\n"},
                                           SmugglingVector{"crlf_dot_lf", "\r\n.\n"},
                                           SmugglingVector{"cr_dot_crlf", "\r.\r\n"},
                                           SmugglingVector{"crlf_dot_cr_crlf", "\r\n.\r\r\n"},
                                           SmugglingVector{"bare_cr_mid_line", "\rstill the same line\r\n"},
                                           SmugglingVector{"bare_lf_mid_message", "\nnext line\r\n"},
                                           // Discarded as too long, its bare LF must still count.
                                           SmugglingVector{"overlong_line_lf_dot_crlf",
                                                           "\r\n" + std::string(1100, 'x') + "\n.\r\n"}),
                         [](const auto& info) { return info.param.name; });

// RFC 5321 4.5.3.2.5: a client silent within DATA gets 421 too, and the half message is dropped.
TEST(SmtpLimits, ClientSilentInDataGets421AndNothingIsDelivered) {
    ChapterServer server({"--data-timeout", "1s"});
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: stalled\r\n\r\nand then nothing\r\n");
    auto reply = read_reply(client, 10s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.4.2 ")) << reply;
    EXPECT_TRUE(client.wait_closed());
    EXPECT_TRUE(all_files(mail_root(server)).empty());
}

// Contract: bad command-line input gets a clear message and exit code 2.
TEST(SmtpCommandLine, BadDataOptionsExitTwo) {
    for (auto args : std::vector<std::vector<std::string>>{{"--max-message-size", "-5"}, {"--data-timeout", "soon"}}) {
        auto result = run(chapter_program(), args);
        EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
        EXPECT_FALSE(result.err.empty()) << args[0];
    }
}

} // namespace
