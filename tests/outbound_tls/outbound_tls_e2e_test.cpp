// Outbound TLS (chapter 30 onwards), end to end: the relay asks every MX host that offers
// STARTTLS for TLS (opportunistic, like Postfix's smtp_tls_security_level = may). The MX hosts
// are real servers: the chapter's own mailserver, aiosmtpd (fake_mx.py) with working, broken
// and refused TLS, and Postfix, whose log shows the TLS connection.
#include "relay/relay_e2e_testing.hpp"

#include "smtp/postfix.hpp"

namespace {

// What fake_mx.py wrote down about message `number`: its envelope, ending with "tls=...".
std::string envelope_of(const FakeMx& mx, int number) {
    return read_file(mx.dir.path() / ("envelope-" + std::to_string(number)));
}

TEST(OutboundTls, TheRelayStartsTlsWithTheChaptersOwnServer) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    ChapterServer server(relaying(dns, remote.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return remote.inbox("bob").size() == 1; })) << server.log();
    auto stored = read_file(remote.inbox("bob").front());
    // RFC 3848: the MX host's Received: header says the message came over TLS.
    EXPECT_NE(stored.find("\t(using TLSv1.3 with cipher TLS_"), std::string::npos) << stored;
    EXPECT_NE(stored.find("\tby mx.example.test (mailsteps) with ESMTPS id "), std::string::npos) << stored;
    EXPECT_TRUE(stored.ends_with(text)) << stored;
    auto log = server.log();
    auto established = log.find("TLS established: TLSv1.3 with cipher");
    ASSERT_NE(established, std::string::npos) << log;
    auto line_start = log.rfind('\n', established) + 1; // 0 if it is the first line
    EXPECT_NE(log.substr(line_start, established - line_start).find("[relay "), std::string::npos) << log;
}

TEST(OutboundTls, AiosmtpdWithStartTlsGetsTheMessageOverTls) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 0, "", {"--starttls", "good"});
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    EXPECT_EQ(envelope_of(mx, 1), "alice@localhost\nbob@example.test\ntls=TLSv1.3\n");
}

// As Postfix does at "may": a server whose handshake fails still gets the message, on a new
// connection in the clear, and only once.
TEST(OutboundTls, AFailedHandshakeIsTriedAgainInTheClear) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 0, "", {"--starttls", "broken"});
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("status=sent") != std::string::npos; })) << server.log();
    EXPECT_EQ(mx.received(), 1U) << server.log();
    EXPECT_EQ(envelope_of(mx, 1), "alice@localhost\nbob@example.test\ntls=none\n");
    EXPECT_NE(server.log().find("TLS handshake failed"), std::string::npos) << server.log();
    EXPECT_NE(server.log().find(" failed; trying again in the clear"), std::string::npos) << server.log();
    // The failed attempt is not an outcome: nothing was deferred, only sent.
    EXPECT_EQ(server.log().find("status=deferred"), std::string::npos) << server.log();
}

// A server that announces STARTTLS and then refuses it gets the message in the clear, on the
// same connection.
TEST(OutboundTls, ARefusedStartTlsGoesOnInTheClear) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 0, "", {"--starttls", "refused"});
    ChapterServer server(relaying(dns, mx.port, {"--trace"}));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    EXPECT_EQ(envelope_of(mx, 1), "alice@localhost\nbob@example.test\ntls=none\n");
    auto log = server.log();
    auto refused = log.find("S: 454 4.7.0 TLS not available now");
    ASSERT_NE(refused, std::string::npos) << log;
    EXPECT_NE(log.find("C: MAIL FROM:<alice@localhost>", refused), std::string::npos) << log;
    EXPECT_EQ(log.find("trying again in the clear"), std::string::npos) << log;
}

// Postfix with a certificate, as Debian installs it: its log names the TLS connection, and its
// Received: header (smtpd_tls_received_header) the version and cipher.
TEST(OutboundTls, PostfixAsTheMxHostGetsTheMessageOverTls) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    Dnsmasq dns(zone);
    Postfix postfix({.users = {"bob"}, .tls = true});
    ChapterServer server(relaying(dns, postfix.port()));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@postfix.test", text).code, 250);
    auto bob = postfix.maildir("bob");
    ASSERT_TRUE(eventually([&] { return new_messages(bob).size() == 1; }, 30s)) << server.log() << postfix.log();
    auto stored = read_file(new_messages(bob).front());
    EXPECT_NE(stored.find("(using TLSv1.3 with cipher "), std::string::npos) << stored;
    EXPECT_NE(stored.find("\tby mx.postfix.test (Postfix) with ESMTPS id "), std::string::npos) << stored;
    EXPECT_TRUE(stored.ends_with(text)) << stored;
    auto established = postfix.log().find("Anonymous TLS connection established from ");
    ASSERT_NE(established, std::string::npos) << postfix.log();
    EXPECT_NE(postfix.log().find("[127.0.0.1]: TLSv1.3 with cipher ", established), std::string::npos) << postfix.log();
}

} // namespace
