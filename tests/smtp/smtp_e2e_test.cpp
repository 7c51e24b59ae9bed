// End-to-end tests of the SMTP dialogue (chapter 05 onwards): the chapter's real program on
// port 0 and raw sockets. What is checked is what a client sees: replies, closed connections,
// exit codes, behaviour at the limits and on signals.
#include "smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <optional>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

// Contract: on SIGTERM sessions get --shutdown-grace to finish, then 421 4.3.2, and exit 0.
TEST(SmtpShutdown, SigtermTellsAnIdleClient421AndExitsZero) {
    ChapterServer server({"--shutdown-grace", "1s"});
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    server.process().send_signal(SIGTERM);
    auto reply = read_reply(client, 10s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.3.2 ")) << reply;
    EXPECT_TRUE(client.wait_closed());
    EXPECT_EQ(server.process().wait(), 0) << server.log();
}

TEST(SmtpShutdown, SigtermInMidDataDeliversNoPartialMessage) {
    ChapterServer server({"--shutdown-grace", "1s"});
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: half\r\n\r\nthe first half\r\n");
    server.process().send_signal(SIGTERM);
    auto reply = read_reply(client, 10s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.3.2 ")) << reply;
    EXPECT_TRUE(client.wait_closed());
    EXPECT_EQ(server.process().wait(), 0) << server.log();
    EXPECT_TRUE(all_files(mail_root(server)).empty());
}

TEST(SmtpLimits, ClientsOverTheConnectionLimitGet421) {
    ChapterServer server({"--max-connections", "2"});
    auto port = server.port("smtp");
    LineClient first(port), second(port);
    ASSERT_EQ(read_reply(first).code, 220);
    ASSERT_EQ(read_reply(second).code, 220);
    LineClient third(port);
    auto reply = read_reply(third);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.3.2 ")) << reply;
    EXPECT_TRUE(third.wait_closed());
    // The clients inside go on, and a place that frees up is taken by the next client.
    EXPECT_EQ(command(first, "NOOP").code, 250);
    EXPECT_EQ(command(second, "QUIT").code, 221);
    EXPECT_TRUE(second.wait_closed());
    second.close(); // the server counts it out once it has seen our side close
    int greeting = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         greeting != 220 && std::chrono::steady_clock::now() < deadline;) {
        LineClient next(port);
        greeting = read_reply(next).code;
    }
    EXPECT_EQ(greeting, 220);
}

// Postfix's smtpd_client_connection_count_limit: past --max-connections-per-address one host
// gets 421 too, while another (127.0.0.2, loopback too) is still served.
TEST(SmtpLimits, ClientsOverThePerAddressLimitGet421) {
    ChapterServer server({"--max-connections-per-address", "3"});
    auto port = server.port("smtp");
    LineClient first(port), second(port), third(port);
    for (auto* client : {&first, &second, &third}) {
        ASSERT_EQ(read_reply(*client).code, 220);
    }
    LineClient fourth(port);
    auto reply = read_reply(fourth);
    EXPECT_TRUE(reply.last().starts_with("421 4.3.2 ")) << reply;
    EXPECT_TRUE(fourth.wait_closed());
    LineClient elsewhere(port, "127.0.0.1", "127.0.0.2");
    EXPECT_EQ(read_reply(elsewhere).code, 220);
    EXPECT_EQ(command(second, "QUIT").code, 221);
    EXPECT_TRUE(second.wait_closed());
    second.close(); // the server counts it out once it has seen our side close
    EXPECT_TRUE(eventually([&] {
        LineClient next(port);
        return read_reply(next).code == 220;
    }));
}

// RFC 5321 4.5.3.2.7: a server may close a silent client, saying why (RFC 5321 3.8).
TEST(SmtpLimits, SilentClientGets421AfterTheCommandTimeout) {
    ChapterServer server({"--command-timeout", "1s"});
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    auto start = std::chrono::steady_clock::now();
    auto reply = read_reply(client, 10s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.4.2 ")) << reply;
    EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
    EXPECT_TRUE(client.wait_closed());
}

// A client trickling a byte at a time never finishes a line (slowloris): the timeout counts
// from the start of the line, so it is cut off like a silent one.
TEST(SmtpLimits, TricklingClientGets421AfterTheCommandTimeout) {
    ChapterServer server({"--command-timeout", "1s"});
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    std::optional<std::string> reply;
    for (int i = 0; i < 50 && !reply && !client.closed(); ++i) {
        client.send("N");
        reply = client.read_line(100ms);
    }
    ASSERT_TRUE(reply) << "still connected after 5 s of trickling";
    EXPECT_TRUE(reply->starts_with("421 4.4.2 ")) << *reply;
    EXPECT_TRUE(client.wait_closed());
}

// 10 MB without a line end: refused, and the server does not keep it.
TEST(SmtpLimits, TenMegabytesWithoutALineEndAreRefusedWithoutKeepingThem) {
    auto measured = server_measuring_memory();
    ChapterServer& server = *measured;
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    long before = resident_kb(server.process().pid());
    std::string garbage(1 << 20, 'x');
    for (int i = 0; i < 10; ++i) {
        client.send(garbage);
    }
    client.send("\r\n");
    auto reply = read_reply(client);
    EXPECT_EQ(reply.last(), "500 5.5.6 Line too long (the limit is 512 octets)") << reply;
    long after = resident_kb(server.process().pid());
    std::cout << "server RSS before " << before << " kB, after 10 MB of garbage " << after << " kB\n";
    // Anything under half of it proves it was not kept; the allocator's bookkeeping is the rest.
    EXPECT_LT(after - before, 5 * 1024) << "the server kept what it should have discarded";
    EXPECT_EQ(command(client, "NOOP").code, 250); // and the session goes on
}

// Contract: bad command-line input gets a clear message and exit code 2.
TEST(SmtpCommandLine, BadOptionsExitTwo) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--smtp-port", "70000"}, {"--max-recipients", "0"}, {"--command-timeout", "soon"}}) {
        auto result = run(chapter_program(), args);
        EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
        EXPECT_FALSE(result.err.empty()) << args[0];
    }
}

} // namespace
