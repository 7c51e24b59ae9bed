// POP3 over TLS (chapter 29 onwards), end to end: STLS on the POP3 port (RFC 2595 4) and
// implicit TLS on the pop3s port (RFC 8314), with real clients that verify the certificate the
// server made (Python's poplib, curl, openssl s_client, fetchmail, mutt). Then the rules: no
// password outside TLS except from a trusted network, and the hostile cases.
#include "smtp/smtp_testing.hpp"
#include "starttls/tls_testing.hpp"
#include "user_command/user_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using namespace starttls::tests;
using namespace pop3::tests;

const std::string python = "/usr/bin/python3";
const std::string tls_client = MAILSTEPS_SOURCE_DIR "/tests/pop3_tls/clients/pop3_tls_client.py";
const std::string password = "tulip-7-Sky";

// pop3_tls_client.py SCENARIO PORT CAFILE alice@localhost PASSWORD, against the listener `port`.
RunResult scenario(ChapterServer& server, const std::string& port, const std::string& name) {
    return run(python, {tls_client, name, std::to_string(server.port(port)), certificate_of(server).string(),
                        "alice@localhost", password},
               "", 60s);
}

// alice@localhost with one message, delivered by SMTP; returns the stored file's contents.
std::string alice_with_one_message(ChapterServer& server) {
    add_user(server, "alice@localhost", password);
    LineClient client(server.port("smtp"));
    EXPECT_EQ(read_reply(client).code, 220);
    EXPECT_EQ(command(client, "EHLO client.test").code, 250);
    auto reply = send_message(client, "bob@example.test", {"alice@localhost"}, "Subject: secret\n\nRead over TLS.\n");
    EXPECT_EQ(reply.code, 250) << reply;
    auto files = new_messages(mailbox(server, "alice"));
    return files.size() == 1 ? read_file(files[0]) : "";
}

TEST(Pop3Tls, PoplibStartsTlsThenLogsInAndReads) {
    ChapterServer server;
    auto stored = alice_with_one_message(server);
    auto result = scenario(server, "pop3", "stls");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    // RFC 2595 4: STLS is offered until TLS is on, and not after.
    EXPECT_TRUE(has_line(result.out, "capa before AUTH-RESP-CODE IMPLEMENTATION PIPELINING RESP-CODES STLS TOP UIDL USER"))
        << result.out;
    EXPECT_TRUE(has_line(result.out, "stls +OK Begin TLS negotiation")) << result.out;
    EXPECT_TRUE(has_line(result.out, "version TLSv1.3")) << result.out;
    EXPECT_TRUE(has_line(result.out, "capa after AUTH-RESP-CODE IMPLEMENTATION PIPELINING RESP-CODES TOP UIDL USER"))
        << result.out;
    EXPECT_TRUE(has_line(result.out, "stat 1 " + std::to_string(crlf(stored).size()))) << result.out;
    EXPECT_TRUE(has_line(result.out, "retr Read over TLS.")) << result.out;
    EXPECT_NE(server.log().find("TLS established: TLSv1.3 with cipher"), std::string::npos) << server.log();
}

TEST(Pop3Tls, PoplibOnThePop3sPort) {
    ChapterServer server;
    auto stored = alice_with_one_message(server);
    auto result = scenario(server, "pop3s", "pop3s");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "version TLSv1.3")) << result.out;
    EXPECT_TRUE(has_line(result.out, "capa AUTH-RESP-CODE IMPLEMENTATION PIPELINING RESP-CODES TOP UIDL USER"))
        << result.out;
    EXPECT_TRUE(has_line(result.out, "stat 1 " + std::to_string(crlf(stored).size()))) << result.out;
    EXPECT_TRUE(has_line(result.out, "list 1")) << result.out;
}

// curl checks the certificate for the name in the URL; --resolve sends that name to 127.0.0.1.
RunResult curl(ChapterServer& server, const std::string& scheme, const std::string& port, const std::string& path,
               std::vector<std::string> more = {}) {
    auto number = std::to_string(server.port(port));
    std::vector<std::string> args{"--silent", "--show-error", "--cacert", certificate_of(server).string(),
                                  "--resolve", "localhost:" + number + ":127.0.0.1", "--user",
                                  "alice@localhost:" + password, scheme + "://localhost:" + number + "/" + path};
    args.insert(args.end(), more.begin(), more.end());
    return run("/usr/bin/curl", args);
}

TEST(Pop3Tls, CurlReadsOverPop3sAndOverStls) {
    ChapterServer server;
    auto stored = alice_with_one_message(server);
    auto implicit = curl(server, "pop3s", "pop3s", "1");
    ASSERT_EQ(implicit.exit_code, 0) << implicit.err << server.log();
    EXPECT_EQ(implicit.out, crlf(stored));
    auto upgraded = curl(server, "pop3", "pop3", "", {"--ssl-reqd", "--verbose"});
    ASSERT_EQ(upgraded.exit_code, 0) << upgraded.err << server.log();
    EXPECT_EQ(upgraded.out, "1 " + std::to_string(crlf(stored).size()) + "\r\n");
    EXPECT_NE(upgraded.err.find("> STLS"), std::string::npos) << upgraded.err;
}

TEST(Pop3Tls, OpensslSClientStartsTlsOnThePop3Port) {
    ChapterServer server;
    auto result = run("/usr/bin/openssl", {"s_client", "-starttls", "pop3", "-connect",
                                           "127.0.0.1:" + std::to_string(server.port("pop3")), "-CAfile",
                                           certificate_of(server).string(), "-verify_hostname", "localhost",
                                           "-verify_return_error", "-crlf", "-nocommands", "-ign_eof"},
                      "CAPA\nQUIT\n", 30s);
    EXPECT_NE(result.out.find("Verify return code: 0 (ok)"), std::string::npos) << result.out << result.err;
    auto capa = result.out.find("+OK Capability list follows");
    ASSERT_NE(capa, std::string::npos) << result.out;
    auto listing = result.out.substr(capa, result.out.find("\n.\r\n", capa) - capa);
    EXPECT_EQ(listing.find("STLS"), std::string::npos) << "STLS is offered inside TLS:\n" << listing;
    EXPECT_NE(listing.find("USER"), std::string::npos) << listing;
    EXPECT_NE(result.out.find("+OK mailsteps POP3 server signing off"), std::string::npos) << result.out;
}

// fetchmail over TLS: `ssl` on the pop3s port, or `sslproto tls1.2+`, which makes it send STLS,
// on the POP3 port. It trusts sslcertfile and, connecting to 127.0.0.1, checks the certificate
// for the name sslcommonname gives. Each message goes to a small MDA that writes it into `downloads`.
RunResult run_fetchmail(ChapterServer& server, const TempDir& home, const std::string& port, const std::string& tls,
                        const fs::path& downloads) {
    fs::create_directories(downloads);
    auto rcfile = home.path() / "fetchmailrc";
    std::ofstream(rcfile) << "set no bouncemail\n"
                          << "poll 127.0.0.1 with protocol pop3 and port " << server.port(port) << " and timeout 30:\n"
                          << "    user \"alice@localhost\" with password \"" << password << "\" is \"" << local_user()
                          << "\" here\n"
                          << "    " << tls << " sslcertck sslcertfile \"" << certificate_of(server).string()
                          << "\" sslcommonname localhost\n"
                          << "    no rewrite\n"
                          << "    mda \"/bin/sh -c 'cat > " << downloads.string() << "/message.$$'\"\n";
    fs::permissions(rcfile, fs::perms::owner_read | fs::perms::owner_write); // fetchmail insists
    return run("/usr/bin/env", {"HOME=" + home.path().string(), "/usr/bin/fetchmail", "--nosyslog", "--verbose",
                                "--fetchmailrc", rcfile.string(), "--pidfile", (home.path() / "fetchmail.pid").string()});
}

TEST(Pop3Tls, FetchmailOverPop3sAndOverStls) {
    ChapterServer server;
    alice_with_one_message(server);
    TempDir home;
    auto implicit = run_fetchmail(server, home, "pop3s", "ssl", home.path() / "implicit");
    ASSERT_EQ(implicit.exit_code, 0) << implicit.out << implicit.err << server.log();
    ASSERT_EQ(files_in(home.path() / "implicit").size(), 1U);
    EXPECT_NE(read_file(files_in(home.path() / "implicit")[0]).find("Read over TLS."), std::string::npos);

    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    ASSERT_EQ(send_message(client, "bob@example.test", {"alice@localhost"}, "Subject: two\n\nAgain.\n").code, 250);
    auto upgraded = run_fetchmail(server, home, "pop3", "sslproto 'tls1.2+'", home.path() / "upgraded");
    ASSERT_EQ(upgraded.exit_code, 0) << upgraded.out << upgraded.err << server.log();
    EXPECT_NE((upgraded.out + upgraded.err).find("> STLS"), std::string::npos) << upgraded.out << upgraded.err;
    ASSERT_EQ(files_in(home.path() / "upgraded").size(), 1U);
    EXPECT_NE(read_file(files_in(home.path() / "upgraded")[0]).find("Again."), std::string::npos);
    EXPECT_TRUE(files_in(mailbox(server, "alice") / "new").empty()) << "fetchmail deletes what it delivered";
}

// mutt with TLS forced (its default since 2.2) fetches over pop3s://, trusting the server's
// certificate file (it connects to 127.0.0.1, not the certificate's name). mutt needs a
// terminal: script(1) gives it one.
TEST(Pop3Tls, MuttWithForcedTlsFetchesOverPop3s) {
    ChapterServer server;
    auto stored = alice_with_one_message(server);
    TempDir home;
    auto inbox = home.path() / "inbox";
    for (const char* part : {"cur", "new", "tmp"}) {
        fs::create_directories(inbox / part);
    }
    auto muttrc = home.path() / "muttrc";
    std::ofstream(muttrc) << "set ssl_force_tls = yes\n"
                          << "set certificate_file = \"" << certificate_of(server).string() << "\"\n"
                          << "set ssl_verify_host = no\n"
                          << "set folder = \"" << home.path().string() << "\"\n"
                          << "set mbox_type = Maildir\n"
                          << "set spoolfile = \"" << inbox.string() << "\"\n"
                          << "set pop_host = \"pops://alice%40localhost@127.0.0.1:" << server.port("pop3s") << "/\"\n"
                          << "set pop_pass = \"" << password << "\"\n"
                          << "set pop_delete = yes\n"
                          << "push \"<fetch-mail><quit>\"\n";
    auto fetched = run("/usr/bin/env", {"HOME=" + home.path().string(), "TERM=xterm", "/usr/bin/script", "--quiet",
                                        "--return", "--command", "mutt -n -F '" + muttrc.string() + "'", "/dev/null"});
    ASSERT_EQ(fetched.exit_code, 0) << fetched.out << server.log();
    auto files = files_in(inbox / "new");
    for (const auto& seen : files_in(inbox / "cur")) {
        files.push_back(seen);
    }
    ASSERT_EQ(files.size(), 1U) << "mutt's screen:\n" << fetched.out << server.log();
    EXPECT_EQ(read_file(files[0]), stored);
    EXPECT_NE(server.log().find("TLS established"), std::string::npos) << server.log();
}

// RFC 2595 2.1: from a client outside --plaintext-login-network (here every loopback client is
// outside), USER is refused until STLS, and CAPA does not offer it.
TEST(Pop3TlsRules, NoPasswordOutsideTlsFromAnUntrustedNetwork) {
    ChapterServer server({"--plaintext-login-network", "192.0.2.0/24"});
    alice_with_one_message(server);
    auto result = scenario(server, "pop3", "plaintext");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "capa before AUTH-RESP-CODE IMPLEMENTATION PIPELINING RESP-CODES STLS TOP UIDL\n"
                          "user before -ERR [AUTH] Plaintext authentication disallowed without TLS, use STLS\n"
                          "pass before -ERR Send USER first\n"
                          "capa after AUTH-RESP-CODE IMPLEMENTATION PIPELINING RESP-CODES TOP UIDL USER\n"
                          "login +OK Logged in, 1 message (" +
                              std::to_string(crlf(read_file(new_messages(mailbox(server, "alice"))[0])).size()) +
                              " octets)\n"
                              "quit +OK mailsteps POP3 server signing off (1 message left)\n");
}

// Like CVE-2011-0411 for SMTP: a command sent in the clear with STLS must not run inside TLS.
// RFC 2449 5: CAPA lists in TRANSACTION what it listed in AUTHORIZATION, STLS included, though
// STLS is now refused (RFC 2595 4: only before the login).
TEST(Pop3TlsRules, AfterALoginInTheClearCapaIsTheSameAndStlsIsRefused) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    auto result = scenario(server, "pop3", "in_clear");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "login +OK Logged in, 0 messages (0 octets)\n"
                          "capa after login AUTH-RESP-CODE IMPLEMENTATION PIPELINING RESP-CODES STLS TOP UIDL USER\n"
                          "stls after login -ERR Already logged in\n"
                          "quit +OK mailsteps POP3 server signing off (0 messages left)\n");
}

TEST(Pop3TlsHostile, CommandsPipelinedAfterStlsAreDiscarded) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    auto result = scenario(server, "pop3", "pipelined");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "stls +OK Begin TLS negotiation\npass -ERR Send USER first\nnoop -ERR Log in first\n");
    EXPECT_NE(server.log().find("discarding 22 octets sent before the TLS handshake"), std::string::npos)
        << server.log();
}

TEST(Pop3TlsHostile, StlsWithAnArgumentInsideTlsOrAfterTheLoginIsRefused) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    auto result = scenario(server, "pop3", "twice");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "with argument -ERR Syntax: STLS\n"
                          "stls +OK Begin TLS negotiation\n"
                          "again -ERR Command not permitted when TLS active\n"
                          "login +OK Logged in, 0 messages (0 octets)\n"
                          "after login -ERR Already logged in\n");
}

TEST(Pop3TlsHostile, GarbageInsteadOfAClientHelloClosesTheConnection) {
    ChapterServer server;
    alice_with_one_message(server);
    auto result = scenario(server, "pop3", "garbage");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.out, "stls +OK Begin TLS negotiation\nclosed True\n");
    EXPECT_NE(server.log().find("TLS handshake failed"), std::string::npos) << server.log();
    auto again = scenario(server, "pop3", "stls"); // and the server goes on
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err << server.log();
}

// A client that connects to the pop3s port and never starts the handshake holds its
// connection no longer than the POP3 timeout.
TEST(Pop3TlsHostile, AClientSilentOnThePop3sPortIsClosedAfterTheTimeout) {
    ChapterServer server({"--pop3-timeout", "1s"});
    auto result = scenario(server, "pop3s", "stall");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("closed True\n"), std::string::npos) << result.out;
    auto after = result.out.substr(result.out.find("after ") + 6);
    EXPECT_LT(std::stod(after), 10.0) << result.out; // the timeout is 1 s; the client waits up to 30
    EXPECT_NE(server.log().find("TLS handshake failed: timed out"), std::string::npos) << server.log();
}

// A client of the pop3s port waits for a handshake, so a server at its connection limit closes
// without the "-ERR" that the POP3 port sends: clear text would only break the client's TLS.
TEST(Pop3TlsHostile, ABusyServerClosesThePop3sPortWithoutAWord) {
    ChapterServer server({"--max-connections", "1"});
    LineClient holder(server.port("pop3"));
    auto greeting = holder.read_line();
    ASSERT_TRUE(greeting && greeting->starts_with("+OK")) << server.log();
    auto result = scenario(server, "pop3s", "busy");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "before close b''\n");
    EXPECT_NE(server.log().find("refusing 127.0.0.1"), std::string::npos) << server.log();
}

} // namespace
