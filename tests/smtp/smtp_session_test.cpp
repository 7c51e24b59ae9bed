// The SMTP state machine (RFC 5321 4.1.4, 4.3.2), run inside the test process over a real
// loopback socket: a command sequence goes in, reply codes come out.
#include "line_stream.hpp"
#include "smtp_session.hpp"
#include "smtp_testing.hpp"

#include "shared/testing/temp_dir.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

namespace smtp {
namespace {

using namespace smtp::tests;
using mailsteps::LineStream;
using mailsteps::testing::TempDir;

// One session on its own io_context and thread, with a connected client. Like the server,
// it closes the connection when the session returns.
class InProcessSession {
public:
    explicit InProcessSession(Options options = {}) : options_(std::move(options)) {
        options_.maildir_root = root_.path() / "mail";
        options_.disk = &disk_;
        client_ = std::make_unique<LineClient>(acceptor_.local_endpoint().port());
        stream_ = std::make_shared<LineStream>(acceptor_.accept(), mailsteps::Logger("test"));
        done_ = asio::co_spawn(io_, serve(), asio::use_future);
        runner_ = std::thread([this] { io_.run(); });
    }

    ~InProcessSession() {
        client_->close(); // the session reads "closed" and returns
        runner_.join();
    }

    LineClient& client() { return *client_; }
    const fs::path& mail_root() const { return options_.maildir_root; }
    bool ended(std::chrono::milliseconds timeout) { return done_.wait_for(timeout) == std::future_status::ready; }

private:
    asio::awaitable<void> serve() {
        co_await smtp_session(*stream_, options_);
        stream_->close();
    }

    TempDir root_;
    Options options_;
    asio::io_context io_;
    mailsteps::DiskThreads disk_{2}; // after io_: joined before it goes
    asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
    std::unique_ptr<LineClient> client_;
    std::shared_ptr<LineStream> stream_;
    std::future<void> done_;
    std::thread runner_;
};

Options with_max_recipients(std::size_t max) {
    Options options;
    options.max_recipients = max;
    return options;
}

Options with_max_message_size(std::uint64_t max) {
    Options options;
    options.max_message_size = max;
    return options;
}

// Each command is sent as one line (CRLF added; a message text with its end line counts as
// one command) and gets exactly one reply.
struct Row {
    std::string name;
    std::vector<std::string> commands;
    std::vector<int> codes;
    Options options = {};
};

void PrintTo(const Row& row, std::ostream* out) { *out << row.name; }

class Sequence : public ::testing::TestWithParam<Row> {};

TEST_P(Sequence, RepliesInOrder) {
    const Row& row = GetParam();
    InProcessSession session(row.options);
    ASSERT_EQ(read_reply(session.client()).code, 220);
    std::vector<int> codes;
    for (const auto& line : row.commands) {
        codes.push_back(command(session.client(), line).code);
    }
    EXPECT_EQ(codes, row.codes);
}

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
        Row{"mail_before_greeting", {"MAIL FROM:<a@b>"}, {503}},
        Row{"rcpt_before_mail", {"EHLO x", "RCPT TO:<c@localhost>"}, {250, 503}},
        Row{"data_before_mail", {"HELO x", "DATA"}, {250, 503}},
        // RFC 5321 4.1.1.5: RSET ends the transaction.
        Row{"rset_ends_the_transaction",
            {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@localhost>", "RSET", "RCPT TO:<c@localhost>"},
            {250, 250, 250, 250, 503}},
        // RFC 5321 4.1.1.1: HELO and EHLO need the client's name.
        Row{"helo_without_name", {"HELO", "HELO ", "EHLO"}, {501, 501, 501}},
        Row{"helo_name_with_parenthesis", {"HELO evil(name)"}, {501}},
        // RFC 5321 4.1.4: EHLO in a transaction resets it, as RSET does.
        Row{"ehlo_resets_a_transaction", after_open({"EHLO again", "DATA", "MAIL FROM:<a@b>"}),
            {250, 250, 250, 250, 503, 250}},
        // RFC 5321 3.3: no nested MAIL; DATA needs a recipient.
        Row{"nested_mail", {"EHLO x", "MAIL FROM:<a@b>", "MAIL FROM:<a@b>"}, {250, 250, 503}},
        Row{"data_without_recipient", {"EHLO x", "MAIL FROM:<a@b>", "DATA"}, {250, 250, 554}},
        Row{"data_with_argument", after_open({"DATA now"}), {250, 250, 250, 501}},
        // RFC 5321 4.1.1.11: an unknown MAIL or RCPT parameter.
        Row{"unknown_mail_parameter", {"EHLO x", "MAIL FROM:<a@b> FOO=bar"}, {250, 555}},
        Row{"unknown_rcpt_parameter", {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@localhost> NOTIFY=NEVER"},
            {250, 250, 555}},
        // RFC 1870 6.1: a declared size over the limit is refused at MAIL.
        Row{"size_over_limit", {"EHLO x", "MAIL FROM:<a@b> SIZE=1001", "MAIL FROM:<a@b> SIZE=1000"}, {250, 552, 250},
            with_max_message_size(1000)},
        // RFC 1870 4 and 6.3: a message over the limit is refused after the data.
        Row{"data_over_limit", after_open({"DATA", "0123456789\r\n."}), {250, 250, 250, 354, 552},
            with_max_message_size(11)},
        Row{"data_at_limit", after_open({"DATA", "012345678\r\n."}), {250, 250, 250, 354, 250},
            with_max_message_size(11)},
        // RFC 5321 3.6.2 and 7.1: we relay for nobody.
        // RFC 5321 4.5.3.1.10: past the limit, recipients get 452 and the rest goes on.
        Row{"too_many_recipients",
            {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<r1@localhost>", "RCPT TO:<r2@localhost>", "RCPT TO:<r3@localhost>",
             "DATA", "hello\r\n."},
            {250, 250, 250, 250, 452, 354, 250},
            with_max_recipients(2)},
        // Names that could leave the Maildir root.
        Row{"unsafe_mailbox", {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<\"../x\"@localhost>"}, {250, 250, 553}},
        // A transaction that ends with DATA leaves the session ready for the next one.
        Row{"two_transactions",
            after_open({"DATA", "one\r\n.", "MAIL FROM:<a@b>", "RCPT TO:<c@localhost>", "DATA", "two\r\n."}),
            {250, 250, 250, 354, 250, 250, 250, 354, 250}},
        Row{"data_ends_the_transaction", after_open({"DATA", "one\r\n.", "RCPT TO:<c@localhost>"}),
            {250, 250, 250, 354, 250, 503}},
        Row{"other_commands", {"NOOP", "VRFY bob", "EXPN staff", "HELP", "FOO"}, {250, 252, 502, 214, 500}},
        Row{"command_line_of_512_octets", {"NOOP " + std::string(505, 'x'), "NOOP " + std::string(506, 'x'), "NOOP"},
            {250, 500, 250}}),
    [](const auto& info) { return info.param.name; });

TEST(Session, QuitSays221AndCloses) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    EXPECT_EQ(command(session.client(), "QUIT").code, 221);
    EXPECT_TRUE(session.client().wait_closed());
    EXPECT_TRUE(session.ended(1s));
}

// RFC 5321 3.6.2: a session with no permission to relay refuses other domains with 550 5.7.1
// (RFC 5321 4.3.2 lists 550 among RCPT's replies; Postfix's 554 is not there).
TEST(Session, OtherDomainsAreNotRelayed) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    command(session.client(), "EHLO x");
    command(session.client(), "MAIL FROM:<a@b>");
    auto reply = command(session.client(), "RCPT TO:<c@example.test>");
    EXPECT_EQ(reply.code, 550) << reply;
    EXPECT_NE(reply.last().find(" 5.7.1 "), std::string::npos) << reply;
}

TEST(Session, TenErrorsGet421AndClose) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    for (int i = 0; i < 9; ++i) {
        ASSERT_EQ(command(session.client(), "FOO").code, 500);
    }
    EXPECT_EQ(command(session.client(), "FOO").code, 500);
    auto goodbye = read_reply(session.client());
    EXPECT_EQ(goodbye.code, 421) << goodbye;
    EXPECT_TRUE(goodbye.last().starts_with("421 4.7.0 ")) << goodbye;
    EXPECT_TRUE(session.client().wait_closed());
}

TEST(Session, NineErrorsAreForgiven) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    for (int i = 0; i < 9; ++i) {
        ASSERT_EQ(command(session.client(), "FOO").code, 500);
    }
    EXPECT_EQ(command(session.client(), "NOOP").code, 250);
    EXPECT_EQ(command(session.client(), "NOOP").code, 250);
}

TEST(Session, EhloAdvertisesTheExtensions) {
    Options options;
    options.max_message_size = 12345;
    InProcessSession session(options);
    ASSERT_EQ(read_reply(session.client()).code, 220);
    auto reply = command(session.client(), "EHLO client.test");
    EXPECT_EQ(reply.lines, (std::vector<std::string>{"250-localhost", "250-PIPELINING", "250-SIZE 12345",
                                                     "250-8BITMIME", "250 ENHANCEDSTATUSCODES"}));
}

TEST(Session, DuplicateRecipientGetsOneCopy) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    ASSERT_EQ(command(session.client(), "EHLO client.test").code, 250);
    auto reply = send_message(session.client(), "alice@example.test",
                              {"bob@localhost", "BOB@localhost", "\"bob\"@localhost"}, "Subject: once\n\nhello\n");
    EXPECT_EQ(reply.code, 250) << reply;
    EXPECT_EQ(new_messages(maildir(session.mail_root(), "localhost", "bob")).size(), 1U);
    EXPECT_EQ(all_files(session.mail_root()).size(), 1U);
}

TEST(Session, StoresUnstuffedTextWithLfAfterTraceHeaders) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    ASSERT_EQ(command(session.client(), "HELO client.test").code, 250);
    auto reply = send_message(session.client(), "alice@example.test", {"bob@localhost"}, "Subject: x\n\n.dot\n");
    ASSERT_EQ(reply.code, 250) << reply;
    auto files = new_messages(maildir(session.mail_root(), "localhost", "bob"));
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0]));
    EXPECT_EQ(stored.return_path, "Return-Path: <alice@example.test>");
    // HELO, not EHLO: the Received: header says SMTP (RFC 5321 4.4).
    EXPECT_NE(stored.received.find(" with SMTP id " + queue_id(reply.last()) + " "), std::string::npos)
        << stored.received;
    EXPECT_EQ(stored.rest, "Subject: x\n\n.dot\n");
}

TEST(Session, BounceToPostmasterWithoutDomainGoesToTheFirstDomain) {
    Options options;
    options.domains = {"mail.example.test", "localhost"};
    InProcessSession session(options);
    ASSERT_EQ(read_reply(session.client()).code, 220);
    ASSERT_EQ(command(session.client(), "EHLO client.test").code, 250);
    EXPECT_EQ(send_message(session.client(), "", {"Postmaster"}, "hi\n").code, 250);
    auto files = new_messages(maildir(session.mail_root(), "mail.example.test", "postmaster"));
    ASSERT_EQ(files.size(), 1U);
    // RFC 5321 4.4: the null reverse-path of a bounce is kept as Return-Path: <>.
    EXPECT_EQ(split_stored(read_file(files[0])).return_path, "Return-Path: <>");
}

TEST(Session, CommandTimeoutSays421) {
    Options options;
    options.command_timeout = 200ms;
    InProcessSession session(options);
    ASSERT_EQ(read_reply(session.client()).code, 220);
    auto reply = read_reply(session.client(), 5s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.4.2 ")) << reply;
    EXPECT_TRUE(session.client().wait_closed());
}

TEST(Session, ClientVanishingInDataDeliversNothing) {
    InProcessSession session;
    ASSERT_EQ(read_reply(session.client()).code, 220);
    for (const auto& line : open_transaction) {
        ASSERT_EQ(command(session.client(), line).code, 250);
    }
    ASSERT_EQ(command(session.client(), "DATA").code, 354);
    session.client().send("Subject: cut short\r\n\r\nhalf a message\r\n");
    session.client().close();
    EXPECT_TRUE(session.ended(5s));
    EXPECT_TRUE(all_files(session.mail_root()).empty());
}

} // namespace
} // namespace smtp
