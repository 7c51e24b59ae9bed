// STARTTLS (chapter 27 onwards), end to end: the chapter's server with the certificate it made
// itself, and real TLS clients (swaks, curl, Python's smtplib and ssl, openssl s_client, mutt)
// that verify it. Then the hostile cases: commands sent in the clear with STARTTLS, old TLS
// versions, a client that sends garbage or stops in the middle of the handshake.
#include "smtp/smtp_testing.hpp"
#include "starttls/tls_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using namespace starttls::tests;

const std::string python = "/usr/bin/python3";
const std::string tls_client = MAILSTEPS_SOURCE_DIR "/tests/starttls/clients/starttls_client.py";

RunResult run_scenario(ChapterServer& server, const std::string& scenario) {
    return run(python, {tls_client, scenario, std::to_string(server.port("smtp")), certificate_of(server).string()},
               "", 60s);
}

// The one message postmaster@localhost received, with its Received: header unfolded.
StoredMessage the_message_to_postmaster(const ChapterServer& server) {
    std::vector<fs::path> files;
    eventually([&] { return !(files = new_messages(mailbox(server, "postmaster"))).empty(); });
    EXPECT_EQ(files.size(), 1U);
    return files.empty() ? StoredMessage{} : split_stored(read_file(files[0]));
}

// RFC 3848: a message that came over STARTTLS says so in its Received: header.
void expect_received_over_tls(const StoredMessage& stored) {
    EXPECT_NE(stored.received.find(" (using TLSv1.3 with cipher TLS_"), std::string::npos) << stored.received;
    EXPECT_NE(stored.received.find(" by localhost (mailsteps) with ESMTPS id "), std::string::npos) << stored.received;
}

TEST(StartTls, SmtplibVerifiesTheCertificateAndSendsOverTls) {
    ChapterServer server;
    auto result = run_scenario(server, "send");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_NE(result.out.find("offered True\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("starttls 220\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("version TLSv1.3\n"), std::string::npos) << result.out;
    // RFC 3207 4.2: not offered again once TLS is on.
    EXPECT_NE(result.out.find("offered after False\n"), std::string::npos) << result.out;
    auto stored = the_message_to_postmaster(server);
    expect_received_over_tls(stored);
    EXPECT_EQ(stored.rest, "Subject: over TLS\n\nSent with STARTTLS.\n");
}

TEST(StartTls, SwaksSendsOverTls) {
    ChapterServer server;
    auto sent = run("/usr/bin/swaks", {"--server", "127.0.0.1", "--port", std::to_string(server.port("smtp")),
                                       "--tls", "--tls-verify", "--tls-ca-path", certificate_of(server).string(),
                                       "--tls-sni", "localhost", "--helo", "client.test",
                                       "--from", "alice@example.test", "--to", "postmaster@localhost"});
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err << server.log();
    EXPECT_NE(sent.out.find("<-  220 2.0.0 Ready to start TLS"), std::string::npos) << sent.out;
    expect_received_over_tls(the_message_to_postmaster(server));
}

TEST(StartTls, CurlWithSslReqdSendsOverTls) {
    ChapterServer server;
    auto url = "smtp://localhost:" + std::to_string(server.port("smtp")) + "/client.test";
    auto sent = run("/usr/bin/curl", {"--silent", "--show-error", "--verbose", "--ssl-reqd", "--cacert",
                                      certificate_of(server).string(), "--resolve",
                                      "localhost:" + std::to_string(server.port("smtp")) + ":127.0.0.1", url,
                                      "--mail-from", "alice@example.test", "--mail-rcpt", "postmaster@localhost",
                                      "--upload-file", "-"},
                    "Subject: curl\r\n\r\nSent by curl over TLS.\r\n");
    ASSERT_EQ(sent.exit_code, 0) << sent.err << server.log();
    EXPECT_NE(sent.err.find("> STARTTLS"), std::string::npos) << sent.err;
    expect_received_over_tls(the_message_to_postmaster(server));
}

// mutt insists on TLS (ssl_force_tls) and trusts the certificates in certificate_file. It
// connects to 127.0.0.1, which is not the name in the certificate: the other clients check names.
TEST(StartTls, MuttWithForcedTlsSends) {
    ChapterServer server;
    TempDir home;
    auto muttrc = home.path() / "muttrc";
    std::ofstream(muttrc) << "set smtp_url = \"smtp://127.0.0.1:" << server.port("smtp") << "/\"\n"
                          << "set ssl_force_tls = yes\n"
                          << "set certificate_file = \"" << certificate_of(server).string() << "\"\n"
                          << "set ssl_verify_host = no\n"
                          << "set from = \"alice@example.test\"\n"
                          << "set hostname = \"client.test\"\n"
                          << "set record = \"\"\n";
    auto sent = run("/usr/bin/env", {"HOME=" + home.path().string(), "/usr/bin/mutt", "-n", "-F", muttrc.string(),
                                     "-s", "mutt over TLS", "--", "postmaster@localhost"},
                    "Hello over TLS.\n");
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err << server.log();
    auto stored = the_message_to_postmaster(server);
    expect_received_over_tls(stored);
    EXPECT_EQ(header_value(stored.rest, "Subject"), "mutt over TLS");
}

TEST(StartTls, OpensslSClientSeesTls12AndTls13AndTheCertificate) {
    ChapterServer server;
    for (std::string version : {"-tls1_2", "-tls1_3"}) {
        auto result = run("/usr/bin/openssl", {"s_client", "-starttls", "smtp", "-connect",
                                               "127.0.0.1:" + std::to_string(server.port("smtp")), version, "-CAfile",
                                               certificate_of(server).string(), "-verify_hostname", "localhost",
                                               "-verify_return_error", "-crlf", "-nocommands", "-ign_eof"},
                          "QUIT\n", 30s);
        EXPECT_NE(result.out.find("Verify return code: 0 (ok)"), std::string::npos) << version << result.out << result.err;
        std::string expected = version == "-tls1_2" ? "Protocol  : TLSv1.2" : "New, TLSv1.3";
        EXPECT_NE(result.out.find(expected), std::string::npos) << version << result.out;
        EXPECT_NE(result.out.find("221 2.0.0"), std::string::npos) << version << result.out;
    }
}

// RFC 8996: TLS 1.0 and 1.1 are refused, even to a client that offers nothing newer. The
// server runs without the system's OpenSSL configuration (Debian's sets TLS 1.2 as the least
// for every program): the server's own settings must refuse them.
TEST(StartTlsHostile, Tls10And11AreRefused) {
    TempDir config;
    std::ofstream(config.path() / "openssl.cnf") << "# empty: OpenSSL's built-in defaults\n";
    ::setenv("OPENSSL_CONF", (config.path() / "openssl.cnf").c_str(), 1);
    ChapterServer server;
    ::unsetenv("OPENSSL_CONF");
    auto result = run_scenario(server, "old");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("handshake failed"), std::string::npos) << result.out;
    auto again = run_scenario(server, "send"); // and the server goes on
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err << server.log();
}

// CVE-2011-0411: a command sent in the clear in the same packet as STARTTLS must not run
// as if it came through TLS. After the handshake the session starts over (RFC 3207 4.2).
TEST(StartTlsHostile, CommandsPipelinedAfterStartTlsAreDiscarded) {
    ChapterServer server;
    auto result = run_scenario(server, "pipelined");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_NE(result.out.find("starttls 220\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("mail before ehlo 503\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("ehlo 250\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("rcpt 503\n"), std::string::npos) << "the injected MAIL FROM ran:\n" << result.out;
    EXPECT_NE(server.log().find("discarding 32 octets sent before the TLS handshake"), std::string::npos)
        << server.log();
}

TEST(StartTlsHostile, StartTlsWithAnArgumentOrInsideTlsIsRefused) {
    ChapterServer server;
    auto result = run_scenario(server, "twice");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "with argument 501\nstarttls 220\nagain 503\nnoop 250\n");
}

TEST(StartTlsHostile, GarbageInsteadOfAClientHelloClosesTheConnection) {
    ChapterServer server;
    auto result = run_scenario(server, "garbage");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.out, "starttls 220\nclosed True\n");
    EXPECT_NE(server.log().find("TLS handshake failed"), std::string::npos) << server.log();
    auto again = run_scenario(server, "send");
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err << server.log();
}

// A client that stops in the middle of the handshake holds its connection no longer than
// the command timeout.
TEST(StartTlsHostile, AClientSilentInTheHandshakeIsClosedAfterTheCommandTimeout) {
    ChapterServer server({"--command-timeout", "1s"});
    auto result = run_scenario(server, "stall");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("closed True\n"), std::string::npos) << result.out;
    EXPECT_NE(server.log().find("TLS handshake failed: timed out"), std::string::npos) << server.log();
}

} // namespace
