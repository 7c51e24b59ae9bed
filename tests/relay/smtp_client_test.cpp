// The SMTP client of the relay (chapter 15), against a scripted SMTP server running in the same
// process on 127.0.0.1, and against two real servers: aiosmtpd and the chapter's own mailserver.
// The scripted server announces no extension: chapter 20's tests add SIZE and 8BITMIME.

#include "relay/smtp_client_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace {

// ---- A whole delivery ----------------------------------------------------------------------

TEST_F(SmtpClientTest, DeliversTheMessageDotStuffedWithCrlf) {
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
                                "MAIL FROM:<alice@a.test>\r\n"
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
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<>");
    EXPECT_EQ(server_.commands[2], "RCPT TO:<\"john doe\"@b.test>");
}

// RFC 5321 4.2.1: the lines of a multi-line reply are one reply.
TEST_F(SmtpClientTest, MultiLineGreetingIsOneReply) {
    server_.greeting = "220-fake.test ESMTP\r\n220-no spam please\r\n220 really\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 1u);
    EXPECT_EQ(server_.commands[0], "EHLO client.test");
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
    EXPECT_EQ(message_part(), ".\r\n");
}

TEST_F(SmtpClientTest, LongLinesAndLargeMessagesGoOutIntact) {
    std::string text;
    std::string expected;
    auto add_line = [&](const std::string& line) {
        text += line + "\n";
        expected += (line.starts_with('.') ? "." : "") + line + "\r\n";
    };
    add_line(std::string(5000, 'L')); // over RFC 5321's 998: sent as it is
    for (int i = 0; i < 20000; ++i) {
        add_line(i % 3 == 0 ? "." + std::to_string(i) : std::string(static_cast<std::size_t>(i % 150), 'y'));
    }
    expected += ".\r\n";
    ASSERT_GT(expected.size(), 1000000u); // many chunks

    auto attempt = deliver(text);
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_TRUE(message_part() == expected) << "the message arrived changed";
}

// ---- Refusals ------------------------------------------------------------------------------

TEST_F(SmtpClientTest, RefusedGreetingGetsOnlyQuit) {
    server_.greeting = "554 5.7.1 No mail from you\r\n";
    auto attempt = deliver();
    EXPECT_TRUE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_EQ(attempt.session_reply.text, "5.7.1 No mail from you");
    EXPECT_EQ(server_.commands, (Commands{"QUIT"}));
}

TEST_F(SmtpClientTest, TemporaryEhloFailureEndsTheAttempt) {
    server_.replies["EHLO"] = "451 4.3.0 Try again later\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 451);
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 451);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "QUIT"}));
}

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
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "MAIL FROM:<alice@a.test>",
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
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "MAIL FROM:<alice@a.test>", "QUIT"}));
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

    auto attempt = deliver_to(endpoint, "Subject: hello\n\n.dotted\n..\nend\n");
    EXPECT_EQ(attempt.session_reply.code, 250) << attempt.session_reply.text;
    EXPECT_EQ(attempt.recipient_replies.at(0).code, 250);

    std::vector<std::string> printed;
    while (auto line = aiosmtpd->read_stdout_line()) {
        if (*line == "------------ END MESSAGE ------------") {
            break;
        }
        printed.push_back(*line);
    }
    // From chapter 20 on, a line of MAIL FROM's options comes first: the message is found by its header.
    auto subject = std::find(printed.begin(), printed.end(), "Subject: hello");
    ASSERT_NE(subject, printed.end()) << aiosmtpd->log();
    ASSERT_EQ(printed.end() - subject, 6) << aiosmtpd->log();
    EXPECT_TRUE(subject[1].starts_with("X-Peer: ")); // aiosmtpd's own, after the headers
    EXPECT_EQ(subject[3], ".dotted");
    EXPECT_EQ(subject[4], "..");
    EXPECT_EQ(subject[5], "end");
}

TEST_F(SmtpClientTest, OurMailserverDeliversToTheMaildir) {
    mailsteps::testing::ChapterServer mailserver; // --relay-network ::1: 127.0.0.1 may not relay
    auto port = mailserver.port("smtp");
    ASSERT_NE(port, 0);
    recipients_ = {{"bob", "localhost"}, {"nobody", "elsewhere.test"}};
    std::string text = "Subject: relay test\n\n.leading dot\n..\nlast line\n";

    auto attempt = deliver_to({asio::ip::address_v4::loopback(), port}, text);
    EXPECT_EQ(attempt.session_reply.code, 250) << attempt.session_reply.text;
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 250);
    EXPECT_EQ(relay::outcome_for(attempt, 1).code, 550); // relaying denied: 127.0.0.1 may not relay

    auto new_dir = mailserver.dir() / "mail" / "localhost" / "bob" / "new";
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
