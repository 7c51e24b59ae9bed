// Chapter 19 end to end: what fails for good goes back to the sender as a DSN (RFC 3464), never
// to <>; mail that loops is refused.
#include "relay/relay_e2e_testing.hpp"

#include "smtp/postfix.hpp"

// Postfix refuses a recipient it has no mailbox for at RCPT (smtpd_reject_unlisted_recipient).
// The relay bounces that one to the sender with Postfix's own words in the DSN, and the other
// recipient of the same message still gets it.
TEST(Relay, PostfixRefusesAnUnknownUserAndTheSenderIsToldWhy) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    Dnsmasq dns(zone);
    Postfix postfix({.users = {"bob"}});
    ChapterServer server(relaying(dns, postfix.port()));
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    auto reply = send_message(client, "alice@localhost", {"bob@postfix.test", "nobody@postfix.test"}, text);
    ASSERT_EQ(reply.code, 250) << reply;

    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; }, 30s))
        << server.log() << postfix.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; nobody@postfix.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Action: failed"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.1.1"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("User unknown in virtual mailbox table"), std::string::npos) << dsn;
    EXPECT_EQ(dsn.find("Final-Recipient: rfc822; bob@postfix.test"), std::string::npos) << dsn;
    auto bob = postfix.maildir("bob");
    ASSERT_TRUE(eventually([&] { return new_messages(bob).size() == 1; }, 30s)) << server.log() << postfix.log();
    EXPECT_TRUE(read_file(new_messages(bob).front()).ends_with(text));
}

TEST(Relay, MxPointingBackAtUsIsALoopNotARelay) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9, {"--hostname", "self.test"}));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@loop.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    EXPECT_NE(read_file(local_inbox(server, "alice").front()).find("loops back to myself"), std::string::npos);
}

TEST(Relay, PermanentFailureBouncesToTheSender) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 1000, "550 5.1.1 No such user here");
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Return-Path: <>"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("multipart/report"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("report-type=delivery-status"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Action: failed"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Status: 5.1.1"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("No such user here"), std::string::npos) << dsn;
    EXPECT_EQ(mx.received(), 0U);
}

TEST(Relay, ExpiredLifetimeBounces) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 1000, "451 4.3.0 Try again later");
    ChapterServer server(relaying(dns, mx.port, {"--max-queue-lifetime", "2s", "--retry-schedule", "1s"}));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 1; })) << server.log();
    auto dsn = read_file(local_inbox(server, "alice").front());
    EXPECT_NE(dsn.find("Status: 4.4.7"), std::string::npos) << dsn;
    EXPECT_NE(dsn.find("Final-Recipient: rfc822; bob@example.test"), std::string::npos) << dsn;
}

TEST(Relay, NullMxAndNxDomainBounceAtOnce) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@nullmx.test", text).code, 250);
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@nowhere.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return local_inbox(server, "alice").size() == 2; }, 5s)) << server.log();
    std::string both;
    for (const auto& file : local_inbox(server, "alice")) {
        both += read_file(file);
    }
    EXPECT_NE(both.find("Final-Recipient: rfc822; bob@nullmx.test"), std::string::npos) << both;
    EXPECT_NE(both.find("Final-Recipient: rfc822; bob@nowhere.test"), std::string::npos) << both;
}

TEST(Relay, BounceOfABounceIsDroppedAndLogged) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    ASSERT_EQ(send(server.port("smtp"), "", "bob@nullmx.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("bounce dropped") != std::string::npos; })) << server.log();
    EXPECT_TRUE(all_files(server.dir() / "mail").empty());
}

TEST(Relay, MailLoopIsRefused) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    std::string looping;
    for (int i = 0; i < 31; ++i) {
        looping += "Received: from hop" + std::to_string(i) + ".test by hop.test; Wed, 25 Nov 2026 00:00:00 +0000\n";
    }
    looping += "Subject: loop\n\nround and round\n";
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    client.send_line("MAIL FROM:<alice@localhost>");
    read_reply(client);
    client.send_line("RCPT TO:<bob@example.test>");
    read_reply(client);
    client.send_line("DATA");
    read_reply(client);
    client.send(wire_data(looping));
    auto reply = read_reply(client);
    EXPECT_EQ(reply.code, 554) << reply;
    EXPECT_NE(reply.last().find("5.4.6"), std::string::npos) << reply;
}
