// Chapter 15 end to end: a client allowed to relay hands A a message for example.test; A looks
// up the MX host and passes the message on while its client waits.
#include "relay/relay_e2e_testing.hpp"

#include "smtp/postfix.hpp"

TEST(Relay, MessageArrivesAtTheMxHostByteExact) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    ChapterServer server(relaying(dns, remote.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    // At once in this chapter, in the background from chapter 16 on.
    ASSERT_TRUE(eventually([&] { return remote.inbox("bob").size() == 1; })) << server.log();
    auto stored = read_file(remote.inbox("bob").front());
    // The remote server's trace headers, then ours, then the message exactly as sent.
    EXPECT_TRUE(stored.starts_with("Return-Path: <alice@localhost>\nReceived: from localhost ([127.0.0.1])\n")) << stored;
    auto ours = stored.find("Received: from client.test ([127.0.0.1])\n\tby localhost (mailsteps) with ESMTP id ");
    ASSERT_NE(ours, std::string::npos) << stored;
    EXPECT_TRUE(stored.ends_with(text)) << stored;
}

// Postfix as the MX host: the relay's SMTP client against the server much of the Internet's
// mail goes through. Postfix's virtual(8) stores the message in its own Maildir.
TEST(Relay, PostfixAsTheMxHostGetsTheMessageByteExact) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    Dnsmasq dns(zone);
    Postfix postfix({.users = {"bob"}});
    ChapterServer server(relaying(dns, postfix.port()));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@postfix.test", text).code, 250);
    auto bob = postfix.maildir("bob");
    ASSERT_TRUE(eventually([&] { return new_messages(bob).size() == 1; }, 30s)) << server.log() << postfix.log();
    auto stored = read_file(new_messages(bob).front());
    // Postfix's trace headers (Return-Path:, X-Original-To:, Delivered-To:, Received:), then
    // ours, then the message exactly as sent.
    EXPECT_TRUE(stored.starts_with("Return-Path: <alice@localhost>\nX-Original-To: bob@postfix.test\n"
                                   "Delivered-To: bob@postfix.test\n"))
        << stored;
    auto theirs = stored.find("\tby mx.postfix.test (Postfix) with ESMTP id ");
    auto ours = stored.find("Received: from client.test ([127.0.0.1])\n\tby localhost (mailsteps) with ESMTP id ");
    ASSERT_NE(theirs, std::string::npos) << stored;
    ASSERT_NE(ours, std::string::npos) << stored;
    EXPECT_LT(theirs, ours) << stored;
    EXPECT_TRUE(stored.ends_with(text)) << stored;
}

TEST(Relay, ClientOutsideRelayNetworkIsDenied) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    LineClient client(server.port("smtp"), "127.0.0.1", "127.0.0.5");
    read_reply(client);
    command(client, "EHLO outsider.test");
    ASSERT_EQ(command(client, "MAIL FROM:<mallory@outsider.test>").code, 250);
    auto reply = command(client, "RCPT TO:<bob@example.test>");
    EXPECT_EQ(reply.code, 550) << reply;
    EXPECT_NE(reply.last().find("5.7.1"), std::string::npos) << reply;
    // Local mail is still welcome from anywhere.
    EXPECT_EQ(command(client, "RCPT TO:<alice@localhost>").code, 250);
}

TEST(Relay, AddressLiteralsAreNotRelayed) {
    Dnsmasq dns(zone);
    ChapterServer server(relaying(dns, 9));
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    ASSERT_EQ(command(client, "MAIL FROM:<alice@localhost>").code, 250);
    auto reply = command(client, "RCPT TO:<bob@[192.0.2.1]>");
    EXPECT_EQ(reply.code, 550) << reply;
    EXPECT_NE(reply.last().find("5.1.2"), std::string::npos) << reply;
}
