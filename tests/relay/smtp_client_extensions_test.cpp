// Chapter 20: the SMTP client reads the EHLO reply's extensions (RFC 1870 SIZE, RFC 6152
// 8BITMIME) and falls back to HELO for a server that refuses EHLO, against the scripted server
// of smtp_client_testing.hpp (announcing PIPELINING, SIZE and 8BITMIME) and aiosmtpd.

#include "relay/smtp_client_testing.hpp"

#include "shared/testing/client.hpp"
#include "shared/testing/process.hpp"

#include <memory>
#include <thread>

namespace {

class SmtpClientExtensionsTest : public SmtpClientTest {
protected:
    SmtpClientExtensionsTest() {
        server_.replies["EHLO"] = "250-fake.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
    }
};

// ---- SIZE and 8BITMIME ---------------------------------------------------------------------

// RFC 1870 3: the size counts the message as sent, CRLFs included, without the stuffing dots.
TEST_F(SmtpClientExtensionsTest, SizeIsTheMessageAsSent) {
    auto attempt = deliver("Subject: dots\n\n.starts with a dot\n..two dots\n.\nend");
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(server_.commands.at(1), "MAIL FROM:<alice@a.test> SIZE=57");
}

TEST_F(SmtpClientExtensionsTest, NullSenderWithSize) {
    sender_ = std::nullopt;
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(server_.commands.at(1), "MAIL FROM:<> SIZE=24");
}

TEST_F(SmtpClientExtensionsTest, EightBitTextIsDeclaredWhenTheServerKnows8BitMime) {
    auto attempt = deliver("Subject: caf\xc3\xa9\n\n.na\xc3\xafve\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 2u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<alice@a.test> SIZE=27 BODY=8BITMIME");
    EXPECT_EQ(message_part(), "Subject: caf\xc3\xa9\r\n\r\n..na\xc3\xafve\r\n.\r\n");
    EXPECT_FALSE(attempt.lacks_8bitmime);
}

TEST_F(SmtpClientExtensionsTest, NoMailParametersWithoutExtensions) {
    server_.replies["EHLO"] = "250 fake.test at your service\r\n";
    auto attempt = deliver("Subject: cafe\n\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 2u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<alice@a.test>");
}

// RFC 6152 3: without 8BITMIME in the EHLO reply, the server gets no 8-bit octet: not the
// message, not even MAIL. The attempt ends with our own 554 5.6.3 (RFC 3463: conversion
// required but not supported), to be bounced.
TEST_F(SmtpClientExtensionsTest, EightBitTextIsNotSentWithout8BitMime) {
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
TEST_F(SmtpClientExtensionsTest, EightBitTextIsNotSentAfterHelo) {
    server_.replies["EHLO"] = "502 5.5.2 Command not recognized\r\n";
    auto attempt = deliver("8-bit: \xff\n");
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_TRUE(attempt.session_reply.text.starts_with("5.6.3 ")) << attempt.session_reply.text;
    EXPECT_TRUE(attempt.lacks_8bitmime);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "HELO client.test", "QUIT"}));
}

TEST_F(SmtpClientExtensionsTest, MultiLineGreetingAndEhloWithLowerCaseKeywords) {
    server_.greeting = "220-fake.test ESMTP\r\n220-no spam please\r\n220 really\r\n";
    server_.replies["EHLO"] = "250-fake.test hello\r\n250-pipelining\r\n250-size 100000\r\n250 8bitmime\r\n";
    auto attempt = deliver("8-bit: \xff\n");
    EXPECT_EQ(attempt.session_reply.code, 250);
    ASSERT_GE(server_.commands.size(), 2u);
    EXPECT_EQ(server_.commands[1], "MAIL FROM:<alice@a.test> SIZE=10 BODY=8BITMIME");
}

TEST_F(SmtpClientExtensionsTest, EmptyMessageHasSizeZero) {
    auto attempt = deliver("");
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_EQ(server_.commands.at(1), "MAIL FROM:<alice@a.test> SIZE=0");
}

TEST_F(SmtpClientExtensionsTest, SizeOfALargeMessageCountsEveryLine) {
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

// ---- HELO for a server that refuses EHLO --------------------------------------------------

TEST_F(SmtpClientExtensionsTest, RefusedEhloFallsBackToHelo) {
    server_.replies["EHLO"] = "502 5.5.2 Command not recognized\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 250);
    EXPECT_FALSE(attempt.refused_to_talk);
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "HELO client.test", "MAIL FROM:<alice@a.test>",
                                          "RCPT TO:<bob@b.test>", "DATA", "QUIT"}));
}

TEST_F(SmtpClientExtensionsTest, RefusedHeloEndsTheAttempt) {
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

TEST_F(SmtpClientExtensionsTest, TemporaryEhloFailureIsNotRetriedWithHelo) {
    server_.replies["EHLO"] = "451 4.3.0 Try again later\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 451);
    EXPECT_FALSE(attempt.refused_to_talk); // temporary anyway
    EXPECT_EQ(server_.commands, (Commands{"EHLO client.test", "QUIT"}));
}

// ---- A real server -------------------------------------------------------------------------

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

TEST_F(SmtpClientExtensionsTest, AiosmtpdGetsSizeAnd8BitMime) {
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

} // namespace
