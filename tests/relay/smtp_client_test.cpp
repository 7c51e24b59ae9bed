// The SMTP client of the relay, against a scripted SMTP server running in the same process
// on 127.0.0.1, and against two real servers: aiosmtpd and the mailserver of chapter 10.

#include "smtp_client.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto use_nothrow_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

const tcp::endpoint loopback_any_port{asio::ip::address_v4::loopback(), 0};

// ---- A scripted SMTP server --------------------------------------------------------------

// Serves one connection: sends `greeting`, then answers each command line from `replies`;
// after a 354 it takes the message up to CRLF "." CRLF and answers `reply_to_message`.
// Replies are raw bytes, so a test can send anything; an empty reply is silence.
class FakeServer {
public:
    static inline const std::string hang_up = "<hang up>"; // as a reply: close the connection instead

    explicit FakeServer(asio::io_context& io) : acceptor_(io, loopback_any_port), socket_(io) {
        asio::co_spawn(io, serve(), asio::detached);
    }

    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

    void close() {
        asio::error_code ignored;
        acceptor_.close(ignored);
        socket_.close(ignored);
    }

    std::string greeting = "220 fake.test ESMTP\r\n";
    std::string endless; // when set: sent again and again after the greeting, nothing is read
    std::chrono::milliseconds pause{0}; // between two sendings of `endless`
    // By whole command line ("RCPT TO:<bob@b.test>"), else by its first four letters ("RCPT").
    std::map<std::string, std::string> replies{
        {"EHLO", "250-fake.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"},
        {"HELO", "250 fake.test\r\n"},
        {"MAIL", "250 2.1.0 Ok\r\n"},
        {"RCPT", "250 2.1.5 Ok\r\n"},
        {"DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"},
        {"QUIT", "221 2.0.0 Bye\r\n"},
    };
    std::string reply_to_message = "250 2.0.0 Ok: queued as 1234\r\n";

    std::string received;              // every byte the client sent
    std::vector<std::string> commands; // the command lines among them

private:
    asio::awaitable<void> serve() {
        auto [error, socket] = co_await acceptor_.async_accept(use_nothrow_awaitable);
        if (error) {
            co_return;
        }
        socket_ = std::move(socket);
        if (!co_await send(greeting)) {
            co_return;
        }
        while (!endless.empty()) {
            if (!co_await send(endless)) {
                co_return;
            }
            asio::steady_timer timer(socket_.get_executor(), pause);
            co_await timer.async_wait(use_nothrow_awaitable);
        }
        std::string unread;
        bool in_message = false;
        std::vector<char> buffer(65536);
        for (;;) {
            auto [read_error, size] = co_await socket_.async_read_some(asio::buffer(buffer), use_nothrow_awaitable);
            if (read_error) {
                co_return;
            }
            received.append(buffer.data(), size);
            unread.append(buffer.data(), size);
            for (;;) {
                std::string reply;
                if (in_message) {
                    // The CRLF before the final dot may be the one that ended DATA.
                    auto end = ("\r\n" + unread).find("\r\n.\r\n");
                    if (end == std::string::npos) {
                        break;
                    }
                    unread.erase(0, end + 3);
                    in_message = false;
                    reply = reply_to_message;
                } else {
                    auto end = unread.find("\r\n");
                    if (end == std::string::npos) {
                        break;
                    }
                    commands.push_back(unread.substr(0, end));
                    unread.erase(0, end + 2);
                    reply = reply_for(commands.back());
                    in_message = reply.starts_with("354");
                }
                if (reply == hang_up || !co_await send(reply) || (!in_message && commands.back() == "QUIT")) {
                    close();
                    co_return;
                }
            }
        }
    }

    std::string reply_for(const std::string& command) const {
        if (auto exact = replies.find(command); exact != replies.end()) {
            return exact->second;
        }
        if (auto by_verb = replies.find(command.substr(0, 4)); by_verb != replies.end()) {
            return by_verb->second;
        }
        return "500 5.5.2 Command not recognized\r\n";
    }

    asio::awaitable<bool> send(std::string_view bytes) {
        if (bytes.empty()) {
            co_return true;
        }
        auto [error, size] = co_await asio::async_write(socket_, asio::buffer(bytes), use_nothrow_awaitable);
        co_return !error;
    }

    tcp::acceptor acceptor_;
    tcp::socket socket_;
};

// ---- The fixture: one delivery against the fake server (or another address) -------------

const smtp::Mailbox alice{"alice", "a.test"};
const smtp::Mailbox bob{"bob", "b.test"};
const smtp::Mailbox carol{"carol", "c.test"};
const smtp::Mailbox dave{"dave", "d.test"};

class SmtpClientTest : public ::testing::Test {
protected:
    SmtpClientTest() {
        // Long enough for any working exchange, short enough that a hang fails the test.
        options_.hostname = "client.test";
        options_.connect_timeout = 10s;
        options_.greeting_timeout = 10s;
        options_.command_timeout = 10s;
        options_.data_init_timeout = 10s;
        options_.data_block_timeout = 10s;
        options_.data_end_timeout = 10s;
    }

    relay::Attempt deliver(std::string_view text = "Subject: test\n\nHello\n") {
        return deliver_to(server_.endpoint(), text);
    }

    relay::Attempt deliver_to(tcp::endpoint destination, std::string_view text) {
        std::optional<relay::Attempt> result;
        auto started = Clock::now();
        asio::co_spawn(io_, relay::deliver_to_server(destination, sender_, recipients_, text, options_, log_),
                       [&](std::exception_ptr error, relay::Attempt attempt) {
                           EXPECT_FALSE(error) << "deliver_to_server threw";
                           result = std::move(attempt);
                           server_.close();
                       });
        io_.run();
        elapsed_ = Clock::now() - started;
        return result.value_or(relay::Attempt{});
    }

    // What the client sent after DATA, up to and including the final dot.
    std::string message_part() const {
        const auto& received = server_.received;
        auto start = received.find("DATA\r\n");
        auto end = received.rfind(".\r\n");
        if (start == std::string::npos || end == std::string::npos || end < start + 6) {
            return "<no message in: " + received + ">";
        }
        return received.substr(start + 6, end + 3 - start - 6);
    }

    asio::io_context io_;
    FakeServer server_{io_};
    relay::ClientOptions options_;
    std::optional<smtp::Mailbox> sender_ = alice;
    std::vector<smtp::Mailbox> recipients_{bob};
    mailsteps::Logger log_{"test"};
    Clock::duration elapsed_{};
};

using Commands = std::vector<std::string>;

// ---- A whole delivery ----------------------------------------------------------------------

TEST_F(SmtpClientTest, DeliversTheMessageDotStuffedWithCrlfAndSize) {
    recipients_ = {bob, carol};
    auto attempt = deliver("Subject: dots\n\n.starts with a dot\n..two dots\n.\nend");

    EXPECT_TRUE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(attempt.session_reply.text, "2.0.0 Ok: queued as 1234");
    ASSERT_EQ(attempt.recipient_replies.size(), 2u);
    EXPECT_EQ(attempt.recipient_replies[0].code, 250);
    EXPECT_EQ(attempt.recipient_replies[1].text, "2.1.5 Ok");
    EXPECT_EQ(relay::outcome_for(attempt, 1).code, 250);
    EXPECT_EQ(server_.received, "EHLO client.test\r\n"
                                "MAIL FROM:<alice@a.test> SIZE=57\r\n"
                                "RCPT TO:<bob@b.test>\r\n"
                                "RCPT TO:<carol@c.test>\r\n"
                                "DATA\r\n"
                                "Subject: dots\r\n"
                                "\r\n"
                                "..starts with a dot\r\n"
                                "...two dots\r\n"
                                "..\r\n"
                                "end\r\n"
                                ".\r\n"
                                "QUIT\r\n");
}

TEST_F(SmtpClientTest, NullSenderAndQuotedLocalPart) {
    sender_ = std::nullopt;
    recipients_ = {{"john doe", "b.test"}};
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 3u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<> SIZE=24");
    EXPECT_EQ(server_.commands[2], "RCPT TO:<\"john doe\"@b.test>");
}

TEST_F(SmtpClientTest, EightBitTextIsDeclaredWhenTheServerKnows8BitMime) {
    auto attempt = deliver("Subject: caf\xc3\xa9\n\n.na\xc3\xafve\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 2u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<alice@a.test> SIZE=27 BODY=8BITMIME");
    EXPECT_EQ(message_part(), "Subject: caf\xc3\xa9\r\n\r\n..na\xc3\xafve\r\n.\r\n");
    EXPECT_FALSE(attempt.lacks_8bitmime);
}

TEST_F(SmtpClientTest, NoMailParametersWithoutExtensions) {
    server_.replies["EHLO"] = "250 fake.test at your service\r\n";
    auto attempt = deliver("Subject: cafe\n\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 2u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<alice@a.test>");
}

// RFC 6152 3: without 8BITMIME in the EHLO reply, the server gets no 8-bit octet: not the
// message, not even MAIL. The attempt ends with our own 554 5.6.3 (RFC 3463: conversion
// required but not supported), to be bounced.
TEST_F(SmtpClientTest, EightBitTextIsNotSentWithout8BitMime) {
    server_.replies["EHLO"] = "250-fake.test\r\n250 SIZE 10240000\r\n";
    auto attempt = deliver("Subject: caf\xc3\xa9\n\n");
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_TRUE(attempt.session_reply.text.starts_with("5.6.3 ")) << attempt.session_reply.text;
    EXPECT_TRUE(attempt.lacks_8bitmime);
    EXPECT_FALSE(attempt.refused_to_talk);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 554);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "QUIT"}));
}

// A server that only answers HELO knows no extension at all (RFC 5321 4.1.1.1).
TEST_F(SmtpClientTest, EightBitTextIsNotSentAfterHelo) {
    server_.replies["EHLO"] = "502 5.5.2 Command not recognized\r\n";
    auto attempt = deliver("8-bit: \xff\n");
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_TRUE(attempt.session_reply.text.starts_with("5.6.3 ")) << attempt.session_reply.text;
    EXPECT_TRUE(attempt.lacks_8bitmime);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "HELO client.test", "QUIT"}));
}

TEST_F(SmtpClientTest, MultiLineGreetingAndEhloWithLowerCaseKeywords) {
    server_.greeting = "220-fake.test ESMTP\r\n220-no spam please\r\n220 really\r\n";
    server_.replies["EHLO"] = "250-fake.test hello\r\n250-pipelining\r\n250-size 100000\r\n250 8bitmime\r\n";
    auto attempt = deliver("8-bit: \xff\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 2u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<alice@a.test> SIZE=10 BODY=8BITMIME");
}

TEST_F(SmtpClientTest, ShortestRepliesAndBareLfAreAccepted) {
    server_.greeting = "220\r\n";
    server_.replies["EHLO"] = "250\n";
    server_.replies["MAIL"] = "250-\n250 \r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 250);
}

TEST_F(SmtpClientTest, CrlfAlreadyInTheTextIsNotDoubled) {
    auto attempt = deliver("a\r\nb\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(message_part(), "a\r\nb\r\n.\r\n");
}

TEST_F(SmtpClientTest, EmptyMessageIsJustTheDot) {
    auto attempt = deliver("");
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(server_.commands.at(1), "MAIL FROM:<alice@a.test> SIZE=0");
    EXPECT_EQ(message_part(), ".\r\n");
}

TEST_F(SmtpClientTest, LongLinesAndLargeMessagesGoOutIntact) {
    std::string text;
    std::string expected;
    std::size_t size = 0;
    auto add_line = [&](const std::string& line) {
        text += line + "\n";
        expected += (line.starts_with('.') ? "." : "") + line + "\r\n";
        size += line.size() + 2;
    };
    add_line(std::string(5000, 'L')); // over RFC 5321's 998: sent as it is
    for (int i = 0; i < 20000; ++i) {
        add_line(i % 3 == 0 ? "." + std::to_string(i) : std::string(static_cast<std::size_t>(i % 150), 'y'));
    }
    expected += ".\r\n";
    ASSERT_GT(expected.size(), 1000000u); // many chunks

    auto attempt = deliver(text);
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(server_.commands.at(1), "MAIL FROM:<alice@a.test> SIZE=" + std::to_string(size));
    EXPECT_TRUE(message_part() == expected) << "the message arrived changed";
}

// ---- Refusals ------------------------------------------------------------------------------

TEST_F(SmtpClientTest, RefusedEhloFallsBackToHelo) {
    server_.replies["EHLO"] = "502 5.5.2 Command not recognized\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_FALSE(attempt.refused_to_talk);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "HELO client.test", "MAIL FROM:<alice@a.test>",
                                          "RCPT TO:<bob@b.test>", "DATA", "QUIT"}));
}

TEST_F(SmtpClientTest, RefusedHeloEndsTheAttempt) {
    server_.replies["EHLO"] = "500 5.5.1 What?\r\n";
    server_.replies["HELO"] = "501 5.5.4 Go away\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 501);
    EXPECT_EQ(attempt.session_reply.text, "5.5.4 Go away");
    EXPECT_TRUE(attempt.refused_to_talk); // RFC 5321 3.1: about this server, not the message
    EXPECT_EQ(attempt.recipient_replies.at(0).code, 0);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 501);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "HELO client.test", "QUIT"}));
}

TEST_F(SmtpClientTest, TemporaryEhloFailureIsNotRetriedWithHelo) {
    server_.replies["EHLO"] = "451 4.3.0 Try again later\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 451);
    EXPECT_FALSE(attempt.refused_to_talk); // temporary anyway
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "QUIT"}));
}

TEST_F(SmtpClientTest, RefusedGreetingGetsOnlyQuit) {
    server_.greeting = "554 5.7.1 No mail from you\r\n";
    auto attempt = deliver();
    EXPECT_TRUE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_EQ(attempt.session_reply.text, "5.7.1 No mail from you");
    EXPECT_TRUE(attempt.refused_to_talk); // RFC 5321 3.1: another MX host may take the message
    EXPECT_EQ(server_.commands, (Commands{"QUIT"}));
}

// A 5xx to MAIL, RCPT or DATA is about the message: it is no refusal to talk.
class RefusalOfTheMessage : public SmtpClientTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(RefusalOfTheMessage, IsNoRefusalToTalk) {
    server_.replies[GetParam()] = "554 5.7.1 Not this one\r\n";
    auto attempt = deliver();
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 554);
    EXPECT_FALSE(attempt.refused_to_talk);
}

INSTANTIATE_TEST_SUITE_P(SmtpClientTest, RefusalOfTheMessage, ::testing::Values("MAIL", "RCPT", "DATA"));

TEST_F(SmtpClientTest, NoQuitAfterAClosingReply) {
    server_.greeting = "421 4.3.2 Shutting down\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 421);
    EXPECT_EQ(server_.received, "");
}

TEST_F(SmtpClientTest, EachRecipientHasItsOwnReply) {
    recipients_ = {bob, carol, dave};
    server_.replies["RCPT TO:<carol@c.test>"] = "550-5.1.1 No such user\r\n550-5.1.1 here\r\n550 5.1.1 really\r\n";
    auto attempt = deliver();

    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_EQ(attempt.recipient_replies.size(), 3u);
    EXPECT_EQ(attempt.recipient_replies[0].code, 250);
    EXPECT_EQ(attempt.recipient_replies[1].code, 550);
    EXPECT_EQ(attempt.recipient_replies[1].text, "5.1.1 No such user\n5.1.1 here\n5.1.1 really");
    EXPECT_EQ(attempt.recipient_replies[2].code, 250);
    EXPECT_EQ(relay::outcome_for(attempt, 0).text, "2.0.0 Ok: queued as 1234");
    EXPECT_EQ(relay::outcome_for(attempt, 1).code, 550);
    EXPECT_EQ(relay::outcome_for(attempt, 2).code, 250);
    EXPECT_EQ(server_.commands.at(5), "DATA");
}

TEST_F(SmtpClientTest, NoDataWhenEveryRecipientIsRefused) {
    recipients_ = {bob, carol};
    server_.replies["RCPT TO:<bob@b.test>"] = "550 5.1.1 No such user\r\n";
    server_.replies["RCPT TO:<carol@c.test>"] = "450 4.2.1 Mailbox busy\r\n";
    auto attempt = deliver();

    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 550);
    EXPECT_EQ(relay::outcome_for(attempt, 1).code, 450);
    EXPECT_EQ(relay::outcome_for(attempt, 1).text, "4.2.1 Mailbox busy");
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "MAIL FROM:<alice@a.test> SIZE=24",
                                          "RCPT TO:<bob@b.test>", "RCPT TO:<carol@c.test>", "QUIT"}));
}

TEST_F(SmtpClientTest, TemporaryFailureAtMailFailsEveryRecipient) {
    recipients_ = {bob, carol};
    server_.replies["MAIL"] = "451 4.3.0 Try again later\r\n";
    auto attempt = deliver();

    EXPECT_EQ(attempt.session_reply.code, 451);
    EXPECT_EQ(attempt.recipient_replies.at(0).code, 0);
    EXPECT_EQ(attempt.recipient_replies.at(1).code, 0);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 451);
    EXPECT_EQ(relay::outcome_for(attempt, 1).text, "4.3.0 Try again later");
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "MAIL FROM:<alice@a.test> SIZE=24", "QUIT"}));
}

TEST_F(SmtpClientTest, RefusedDataSendsNoMessage) {
    server_.replies["DATA"] = "554 5.5.1 No valid recipients\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_EQ(attempt.recipient_replies.at(0).code, 250);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 554);
    EXPECT_TRUE(server_.received.ends_with("RCPT TO:<bob@b.test>\r\nDATA\r\nQUIT\r\n")) << server_.received;
}

TEST_F(SmtpClientTest, RefusalAfterTheMessageAppliesToTheAcceptedRecipients) {
    recipients_ = {bob, carol};
    server_.replies["RCPT TO:<carol@c.test>"] = "550 5.1.1 No such user\r\n";
    server_.reply_to_message = "552 5.3.4 Message too big\r\n";
    auto attempt = deliver();

    EXPECT_EQ(attempt.session_reply.code, 552);
    EXPECT_EQ(attempt.session_reply.text, "5.3.4 Message too big");
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 552);
    EXPECT_EQ(relay::outcome_for(attempt, 1).code, 550);
    EXPECT_EQ(message_part(), "Subject: test\r\n\r\nHello\r\n.\r\n");
    EXPECT_EQ(server_.commands.back(), "QUIT");
}

// ---- Broken conversations ------------------------------------------------------------------

TEST_F(SmtpClientTest, ConnectionRefused) {
    mailsteps::testing::HeldPort closed; // bound, not listening: kept, so no other test can listen there
    tcp::endpoint nobody_listens{asio::ip::address_v4::loopback(), closed.port()};

    auto attempt = deliver_to(nobody_listens, "Hello\n");
    EXPECT_FALSE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_TRUE(attempt.session_reply.text.starts_with("cannot connect to 127.0.0.1:" +
                                                       std::to_string(nobody_listens.port()) + ": "))
        << attempt.session_reply.text;
    ASSERT_EQ(attempt.recipient_replies.size(), 1u);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 0);
}

TEST_F(SmtpClientTest, SilentServerTimesOutAtTheGreeting) {
    server_.greeting = "";
    options_.greeting_timeout = 300ms;
    auto attempt = deliver();
    EXPECT_TRUE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "timed out after 300ms waiting for the greeting");
    EXPECT_GE(elapsed_, 250ms); // the test's clock starts a little before the client's
    EXPECT_LT(elapsed_, 5s);
    EXPECT_EQ(server_.received, "");
}

TEST_F(SmtpClientTest, SilenceAfterTheMessageTimesOutWithTheDataEndTimeout) {
    server_.reply_to_message = "";
    options_.data_end_timeout = 300ms;
    auto attempt = deliver();
    EXPECT_EQ(attempt.recipient_replies.at(0).code, 250);
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "timed out after 300ms waiting for the reply to the message");
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 0);
    EXPECT_GE(elapsed_, 250ms);
    EXPECT_LT(elapsed_, 5s);
    EXPECT_TRUE(server_.received.ends_with("\r\n.\r\n")) << "no QUIT on a connection in an unknown state";
}

TEST_F(SmtpClientTest, ServerHangingUpLeavesTheLaterRecipientsUnreached) {
    recipients_ = {bob, carol, dave};
    server_.replies["RCPT TO:<carol@c.test>"] = FakeServer::hang_up;
    auto attempt = deliver();

    ASSERT_EQ(attempt.recipient_replies.size(), 3u);
    EXPECT_EQ(attempt.recipient_replies[0].code, 250);
    EXPECT_EQ(attempt.recipient_replies[1].code, 0);
    EXPECT_EQ(attempt.recipient_replies[2].code, 0);
    EXPECT_EQ(attempt.recipient_replies[2].text, "");
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text,
              "connection closed while waiting for the reply to RCPT TO:<carol@c.test>");
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 0); // accepted, but the message never went
}

TEST_F(SmtpClientTest, UnexpectedPositiveReplyEndsTheConversation) {
    server_.replies["DATA"] = "250 2.0.0 Sure\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "unexpected 250 as the reply to DATA");
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 0);
    EXPECT_TRUE(server_.received.ends_with("\r\nDATA\r\n")) << "neither the message nor QUIT";
}

TEST_F(SmtpClientTest, EndlessLineIsCutOff) {
    server_.greeting = "220 ";
    server_.endless = std::string(4096, 'x');
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "line longer than 2048 octets in the greeting");
    EXPECT_LT(elapsed_, 5s); // cut off by the limit, not by the 10 s timeout
}

TEST_F(SmtpClientTest, EndlessReplyIsCutOff) {
    server_.greeting = "";
    server_.endless = "220-and more\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "more than 100 lines in the greeting");
    EXPECT_LT(elapsed_, 5s);
}

TEST_F(SmtpClientTest, SlowEndlessReplyTimesOutAsAWhole) {
    server_.greeting = "";
    server_.endless = "220-and more\r\n";
    server_.pause = 50ms;
    options_.greeting_timeout = 400ms; // RFC 5321 4.5.3.2: for the whole reply, not for each line
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "timed out after 400ms waiting for the greeting");
    EXPECT_GE(elapsed_, 350ms);
    EXPECT_LT(elapsed_, 3s);
}

class MalformedGreeting : public SmtpClientTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(MalformedGreeting, IsATemporaryFailure) {
    server_.greeting = GetParam();
    auto attempt = deliver();
    EXPECT_TRUE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 0);
    EXPECT_EQ(attempt.session_reply.text, "malformed line in the greeting");
    EXPECT_EQ(server_.received, "") << "no QUIT on a connection in an unknown state";
}

INSTANTIATE_TEST_SUITE_P(SmtpClientTest, MalformedGreeting,
                         ::testing::Values("hello\r\n", "\r\n", "22\r\n", "22 ok\r\n", "220x ok\r\n", "2200 ok\r\n",
                                           "120 ok\r\n", "620 ok\r\n", "260 ok\r\n", "2a0 ok\r\n",
                                           "220-first\r\n250 second\r\n", " 220 ok\r\n"));

// ---- Real servers --------------------------------------------------------------------------

// True once aiosmtpd logs that it listens (with -d, only after its own bind succeeded, so another
// program's listener on that port is never taken for it); false when it exits first, or in 10 s.
bool wait_until_listening(mailsteps::testing::Process& aiosmtpd) {
    for (auto deadline = Clock::now() + 10s; Clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
        if (aiosmtpd.log().find("Server is listening on") != std::string::npos) {
            return true;
        }
        if (aiosmtpd.wait(0ms)) {
            return false;
        }
    }
    return false;
}

struct Aiosmtpd {
    tcp::endpoint endpoint;
    std::unique_ptr<mailsteps::testing::Process> process;
    bool listening = false;
};

// aiosmtpd's own command line, printing each message (the Debugging handler). It can neither be
// given port 0 and tell its port nor be handed a socket, so it gets a port that was free a moment
// ago, on a loopback address no other test listens on. Another program may still take that port
// first: then aiosmtpd exits, and it starts again on another.
Aiosmtpd start_aiosmtpd() {
    const std::string address = "127.0.0.25";
    Aiosmtpd aiosmtpd;
    for (int attempt = 0; attempt < 5 && !aiosmtpd.listening; ++attempt) {
        aiosmtpd.endpoint = {asio::ip::make_address_v4(address), mailsteps::testing::free_tcp_port(address)};
        aiosmtpd.process = std::make_unique<mailsteps::testing::Process>(
            "/usr/bin/python3", std::vector<std::string>{"-u", "-m", "aiosmtpd", "-n", "-d", "-s", "1000000", "-l",
                                                         address + ":" + std::to_string(aiosmtpd.endpoint.port()),
                                                         "-c", "aiosmtpd.handlers.Debugging"});
        aiosmtpd.listening = wait_until_listening(*aiosmtpd.process);
    }
    return aiosmtpd;
}

TEST_F(SmtpClientTest, AiosmtpdReceivesTheMessage) {
    auto [endpoint, aiosmtpd, listening] = start_aiosmtpd();
    ASSERT_TRUE(listening) << aiosmtpd->log();

    auto attempt = deliver_to(endpoint, "Subject: caf\xc3\xa9\n\n.na\xc3\xafve\n..\nend\n");
    EXPECT_EQ(attempt.session_reply.code, 250) << attempt.session_reply.text;
    EXPECT_EQ(attempt.recipient_replies.at(0).code, 250);

    std::vector<std::string> printed;
    while (auto line = aiosmtpd->read_stdout_line()) {
        if (*line == "------------ END MESSAGE ------------") {
            break;
        }
        printed.push_back(*line);
    }
    ASSERT_EQ(printed.size(), 9u) << aiosmtpd->log();
    EXPECT_EQ(printed[0], "---------- MESSAGE FOLLOWS ----------");
    EXPECT_EQ(printed[1], "mail options: ['SIZE=36', 'BODY=8BITMIME']");
    EXPECT_EQ(printed[3], "Subject: caf\xc3\xa9");
    EXPECT_TRUE(printed[4].starts_with("X-Peer: ")); // aiosmtpd's own, after the headers
    EXPECT_EQ(printed[6], ".na\xc3\xafve");
    EXPECT_EQ(printed[7], "..");
    EXPECT_EQ(printed[8], "end");
}

TEST_F(SmtpClientTest, OurMailserverDeliversToTheMaildir) {
    mailsteps::testing::TempDir maildir_root;
    mailsteps::testing::TempDir queue;
    std::vector<std::string> args{"--smtp-port", "0", "--maildir-root", maildir_root.path().string(),
                                  "--queue-dir", queue.path().string(), "--relay-network", "::1"};
    auto other_ports = mailsteps::testing::other_port_args("--smtp-port");
    args.insert(args.end(), other_ports.begin(), other_ports.end());
    mailsteps::testing::Process mailserver(mailsteps::testing::chapter_program(), args);
    auto port = mailserver.port("smtp");
    ASSERT_NE(port, 0);
    recipients_ = {{"bob", "localhost"}, {"nobody", "elsewhere.test"}};
    std::string text = "Subject: relay test\n\n.leading dot\n..\nlast line\n";

    auto attempt = deliver_to({asio::ip::address_v4::loopback(), port}, text);
    EXPECT_EQ(attempt.session_reply.code, 250) << attempt.session_reply.text;
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 250);
    EXPECT_EQ(relay::outcome_for(attempt, 1).code, 550); // relaying denied: 127.0.0.1 may not relay
    EXPECT_EQ(mailserver.stop(), 0) << mailserver.log();

    auto new_dir = maildir_root.path() / "localhost" / "bob" / "new";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(new_dir)) {
        files.push_back(entry.path());
    }
    ASSERT_EQ(files.size(), 1u);
    std::ifstream file(files[0], std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    EXPECT_TRUE(content.str().starts_with("Return-Path: <alice@a.test>\n")) << content.str();
    EXPECT_TRUE(content.str().ends_with("\n" + text)) << content.str();
}

} // namespace
