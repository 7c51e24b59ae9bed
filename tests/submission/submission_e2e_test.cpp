// Submission (chapter 28 onwards), end to end: the submission port (STARTTLS, then AUTH) and
// the submissions port (implicit TLS), with real clients (Python's smtplib, swaks, curl) that
// verify the certificate the server made, against accounts made with `mailserver user add`.
// Then the rules: nothing before TLS, no mail without a login, the sender is the login, wrong
// passwords cost a pause and count in the same per-address throttle as POP3's.
#include "smtp/smtp_testing.hpp"
#include "starttls/tls_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using namespace starttls::tests;

const std::string python = "/usr/bin/python3";
const std::string client_script = MAILSTEPS_SOURCE_DIR "/tests/submission/clients/submission_client.py";

// Mail for other domains is queued; its DNS lookups go to a loopback port where nothing answers.
ChapterServer submission_server(std::vector<std::string> more = {}) {
    more.insert(more.end(), {"--dns-server", "127.0.0.1:9"});
    return ChapterServer(more);
}

void add_user(ChapterServer& server, const std::string& address, const std::string& password) {
    auto result = run(chapter_program(), {"user", "add", address, "--users", (server.dir() / "users").string()},
                      password + "\n");
    ASSERT_EQ(result.exit_code, 0) << address << ": " << result.out << result.err;
}

// submission_client.py NAME PORT CAFILE ARGS...: one scenario against the listener `port`.
RunResult scenario(ChapterServer& server, const std::string& port, const std::string& name,
                   const std::vector<std::string>& args = {}) {
    std::vector<std::string> all{client_script, name, std::to_string(server.port(port)), certificate_of(server).string()};
    all.insert(all.end(), args.begin(), args.end());
    return run(python, all, "", 120s);
}

// The one message in `user`'s new/, with its Received: header unfolded.
StoredMessage the_message_to(const ChapterServer& server, const std::string& user) {
    std::vector<fs::path> files;
    eventually([&] { return !(files = new_messages(mailbox(server, user))).empty(); });
    EXPECT_EQ(files.size(), 1U) << user;
    return files.empty() ? StoredMessage{} : split_stored(read_file(files[0]));
}

// RFC 3848: ESMTPSA, TLS and a login.
void expect_received_with_esmtpsa(const StoredMessage& stored) {
    EXPECT_NE(stored.received.find(" (using TLSv1.3 with cipher TLS_"), std::string::npos) << stored.received;
    EXPECT_NE(stored.received.find(" by localhost (mailsteps) with ESMTPSA id "), std::string::npos)
        << stored.received;
}

TEST(Submission, SmtplibLogsInAfterStartTlsAndSendsToAnyDomain) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    auto result = scenario(server, "submission", "send", {"alice@localhost", "secret", "alice@localhost", "bob@example.net"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "auth before tls False")) << result.out;
    EXPECT_TRUE(has_line(result.out, "auth after tls PLAIN LOGIN")) << result.out;
    EXPECT_TRUE(has_line(result.out, "login 235 2.7.0 Authentication successful")) << result.out;
    EXPECT_TRUE(has_line(result.out, "sent 0")) << result.out;
    EXPECT_NE(server.log().find("from=<alice@localhost> local=0 queued=1"), std::string::npos) << server.log();
}

TEST(Submission, AuthLoginStepByStepAndTheMessageSaysEsmtpsa) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    add_user(server, "bob@localhost", "other");
    auto result = scenario(server, "submission", "login", {"alice@localhost", "secret", "alice@localhost", "bob@localhost"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "auth 334 Username:")) << result.out;
    EXPECT_TRUE(has_line(result.out, "user 334 Password:")) << result.out;
    EXPECT_TRUE(has_line(result.out, "password 235 2.7.0 Authentication successful")) << result.out;
    EXPECT_TRUE(has_line(result.out, "sent 0")) << result.out;
    expect_received_with_esmtpsa(the_message_to(server, "bob"));
}

// RFC 8314: TLS from the first octet; STARTTLS then makes no sense and is not offered.
TEST(Submission, ImplicitTlsOnTheSubmissionsPort) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    auto result = scenario(server, "submissions", "implicit", {"alice", "secret", "alice@localhost", "alice@localhost"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "auth PLAIN LOGIN")) << result.out;
    EXPECT_TRUE(has_line(result.out, "starttls offered False")) << result.out;
    EXPECT_TRUE(has_line(result.out, "sent 0")) << result.out;
    expect_received_with_esmtpsa(the_message_to(server, "alice"));
}

TEST(Submission, SwaksWithAuthPlainAndAuthLogin) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    add_user(server, "bob@localhost", "other");
    auto swaks = [&](std::vector<std::string> args) {
        args.insert(args.end(), {"--server", "127.0.0.1", "--tls-verify", "--tls-ca-path",
                                 certificate_of(server).string(), "--tls-sni", "localhost", "--auth-user",
                                 "alice@localhost", "--auth-password", "secret", "--from", "alice@localhost",
                                 "--to", "bob@localhost"});
        auto sent = run("/usr/bin/swaks", args);
        EXPECT_EQ(sent.exit_code, 0) << sent.out << sent.err << server.log();
        EXPECT_NE(sent.out.find("<~  235 2.7.0 Authentication successful"), std::string::npos) << sent.out;
    };
    swaks({"--port", std::to_string(server.port("submission")), "--tls", "--auth", "PLAIN"});
    swaks({"--port", std::to_string(server.port("submissions")), "--tls-on-connect", "--auth", "LOGIN"});
    std::vector<fs::path> files;
    EXPECT_TRUE(eventually([&] { return (files = new_messages(mailbox(server, "bob"))).size() == 2; }));
    for (const auto& file : files) {
        expect_received_with_esmtpsa(split_stored(read_file(file)));
    }
}

TEST(Submission, CurlOverStartTlsAndImplicitTls) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    for (auto [scheme, port] : {std::pair{"smtp", "submission"}, std::pair{"smtps", "submissions"}}) {
        auto number = std::to_string(server.port(port));
        auto sent = run("/usr/bin/curl",
                        {"--silent", "--show-error", "--ssl-reqd", "--cacert", certificate_of(server).string(),
                         "--resolve", "localhost:" + number + ":127.0.0.1",
                         std::string(scheme) + "://localhost:" + number + "/client.test", "--user",
                         "alice@localhost:secret", "--mail-from", "alice@localhost", "--mail-rcpt",
                         "alice@localhost", "--upload-file", "-"},
                        "Subject: curl\r\n\r\nSubmitted by curl.\r\n");
        EXPECT_EQ(sent.exit_code, 0) << scheme << ": " << sent.err << server.log();
    }
    EXPECT_TRUE(eventually([&] { return new_messages(mailbox(server, "alice")).size() == 2; }));
}

// RFC 4954 4: passwords only inside TLS; RFC 6409 4.3: no mail without a login.
TEST(SubmissionRules, NothingBeforeTlsAndNoMailWithoutALogin) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    auto clear = scenario(server, "submission", "before_tls");
    ASSERT_EQ(clear.exit_code, 0) << clear.out << clear.err << server.log();
    EXPECT_EQ(clear.out, "auth offered False\n"
                         "auth 538 5.7.11 Encryption required for requested authentication mechanism\n"
                         "mail 530 5.7.0 Authentication required\n");
    auto tls = scenario(server, "submission", "no_login");
    EXPECT_TRUE(has_line(tls.out, "mail 530 5.7.0 Authentication required")) << tls.out << tls.err;
}

// Like Postfix's reject_sender_login_mismatch: alice cannot send as mallory.
TEST(SubmissionRules, TheSenderMustBeTheLogin) {
    auto server = submission_server();
    add_user(server, "alice@localhost", "secret");
    auto result = scenario(server, "submission", "send", {"alice@localhost", "secret", "mallory@localhost", "bob@example.net"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "refused 553")) << result.out;
}

TEST(SubmissionRules, CancelledAndMalformedExchangesAndUnknownMechanisms) {
    auto server = submission_server();
    auto result = scenario(server, "submission", "cancel");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "auth 334 ")) << result.out;
    EXPECT_TRUE(has_line(result.out, "cancelled 501 5.0.0 Authentication cancelled")) << result.out;
    EXPECT_TRUE(has_line(result.out, "not base64 501 5.5.2 Cannot decode base64")) << result.out;
    EXPECT_TRUE(has_line(result.out, "mechanism 504 5.5.4 Unrecognized authentication type")) << result.out;
    EXPECT_TRUE(has_line(result.out, "noop 250 2.0.0 Ok")) << result.out;
}

// Each wrong password waits --login-failure-delay; the third closes the connection.
TEST(SubmissionRules, WrongPasswordsArePausedAndTheThirdCloses) {
    auto server = submission_server({"--login-failure-delay", "300ms"});
    add_user(server, "alice@localhost", "secret");
    auto start = std::chrono::steady_clock::now();
    auto result = scenario(server, "submission", "wrong", {"alice@localhost", "guess"});
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_TRUE(has_line(result.out, "auth 535 5.7.8 Authentication credentials invalid")) << result.out;
    EXPECT_NE(result.out.find("auth 421 4.7.0 localhost Too many failed logins, closing connection"),
              std::string::npos)
        << result.out;
    EXPECT_GE(took, 900ms) << "three wrong passwords, three pauses of 300 ms";
}

// One throttle for SMTP and POP3: failures on either count for both.
TEST(SubmissionRules, TheThrottleCountsSmtpAndPop3Together) {
    auto server = submission_server({"--max-address-failures", "3"});
    add_user(server, "alice@localhost", "secret");
    auto smtp = scenario(server, "submission", "wrong", {"alice@localhost", "guess"}); // three failures
    ASSERT_EQ(smtp.exit_code, 0) << smtp.out << smtp.err;
    LineClient pop3(server.port("pop3"));
    ASSERT_TRUE(pop3.read_line().value_or("").starts_with("+OK"));
    pop3.send_line("USER alice");
    pop3.read_line();
    pop3.send_line("PASS secret");
    EXPECT_EQ(pop3.read_line().value_or(""), "-ERR [SYS/TEMP] Too many failed logins from your address, try again later");
    auto right = scenario(server, "submission", "send", {"alice@localhost", "secret", "alice@localhost", "alice@localhost"});
    EXPECT_TRUE(has_line(right.out, "login 454 4.7.0 Too many failed logins from your address, try again later"))
        << right.out << right.err;
}

// Forty guesses at once on forty connections: no more passwords are checked than the throttle allows.
TEST(SubmissionRules, WrongPasswordsAtFullSpeedOnManyConnectionsAreThrottled) {
    auto server = submission_server({"--max-address-failures", "10"});
    add_user(server, "alice@localhost", "secret");
    auto result = scenario(server, "submission", "storm", {"40"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "454 30\n535 10\n");
}

// The MX port is for mail to us and from the relay networks: no logins there.
TEST(SubmissionRules, TheSmtpPortOffersNoAuth) {
    auto server = submission_server();
    auto result = scenario(server, "smtp", "no_auth");
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err << server.log();
    EXPECT_EQ(result.out, "auth before tls False\nauth after tls \nauth 500 5.5.2 Command not recognized\n");
}

TEST(SubmissionRules, TraceHidesPasswords) {
    auto server = submission_server({"--trace"});
    add_user(server, "alice@localhost", "secret");
    auto plain = scenario(server, "submission", "send", {"alice@localhost", "secret", "alice@localhost", "alice@localhost"});
    auto login = scenario(server, "submission", "login", {"alice@localhost", "secret", "alice@localhost", "alice@localhost"});
    ASSERT_TRUE(has_line(plain.out, "sent 0")) << plain.out << plain.err;
    ASSERT_TRUE(has_line(login.out, "sent 0")) << login.out << login.err;
    auto log = server.log();
    EXPECT_NE(log.find("C: AUTH PLAIN ****"), std::string::npos) << log;
    EXPECT_NE(log.find("C: ****"), std::string::npos) << log;
    EXPECT_EQ(log.find("c2VjcmV0"), std::string::npos) << "base64 of the password in the log:\n" << log;
    EXPECT_EQ(log.find("AGFsaWNl"), std::string::npos) << "base64 of the PLAIN message in the log:\n" << log;
}

TEST(SubmissionHostile, GarbageOnTheSubmissionsPortIsClosed) {
    auto server = submission_server();
    LineClient client(server.port("submissions"));
    client.send("EHLO client.test\r\n");
    EXPECT_EQ(client.read_line(10s), std::nullopt) << "no TLS, no SMTP";
    EXPECT_TRUE(eventually([&] { return server.log().find("TLS handshake failed") != std::string::npos; }));
}

// A client of the submissions port waits for a handshake: a server at its connection limit
// closes without the clear-text 421 the other ports send, which would only break the client's TLS.
TEST(SubmissionHostile, ABusyServerClosesTheSubmissionsPortWithoutAWord) {
    auto server = submission_server({"--max-connections", "1"});
    LineClient holder(server.port("smtp"));
    ASSERT_TRUE(holder.read_line()) << server.log();
    LineClient client(server.port("submissions"));
    EXPECT_EQ(client.read_line(10s), std::nullopt);
    EXPECT_TRUE(client.closed()) << "closed, not silent";
    EXPECT_NE(server.log().find("refusing 127.0.0.1"), std::string::npos) << server.log();
}

} // namespace
