// End-to-end tests of the SMTP server: the chapter's real program on port 0, real clients
// (Python's smtplib, curl, swaks, mutt), Postfix relaying to it, and raw sockets. What is
// checked is what users see: replies, the files in the Maildirs, exit codes, behaviour under
// load and on signals.
#include "postfix.hpp"
#include "smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

const std::string python = "/usr/bin/python3";
const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";

// RFC 5321 4.4: the server adds Return-Path: and Received: in front of the message; returns
// what follows them, the message as the client sent it.
std::string check_trace_headers(const fs::path& file, const std::string& sender, const std::string& recipient,
                                const std::string& id) {
    auto stored = split_stored(read_file(file));
    EXPECT_EQ(stored.return_path, "Return-Path: <" + sender + ">");
    EXPECT_TRUE(stored.received.starts_with("Received: from client.test ([127.0.0.1]) ")) << stored.received;
    EXPECT_NE(stored.received.find(" by localhost (mailsteps) with ESMTP id " + id + " "), std::string::npos)
        << stored.received;
    EXPECT_NE(stored.received.find(" for <" + recipient + ">; "), std::string::npos) << stored.received;
    return stored.rest;
}

// The text a message's header field has in a stored file ("" if none).
std::string header_value(const std::string& file, const std::string& name) {
    auto at = file.find("\n" + name + ": ");
    if (at == std::string::npos) {
        return "";
    }
    at += name.size() + 3;
    return file.substr(at, file.find('\n', at) - at);
}

// One message with what makes byte-exactness hard: a dot at the start of a line, a lone dot,
// an empty line, 8-bit UTF-8.
const std::string tricky_text = "From: Alice <alice@example.test>\n"
                                "To: bob@localhost, carol@localhost\n"
                                "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
                                "MIME-Version: 1.0\n"
                                "Content-Type: text/plain; charset=utf-8\n"
                                "Content-Transfer-Encoding: 8bit\n"
                                "\n"
                                "Grüße aus Köln, naïve café ✓\n"
                                "\n"
                                ".a line that starts with a dot\n"
                                "..and one with two\n"
                                ".\n"
                                "the end\n";

TEST(SmtpClients, PythonSmtplibDeliversByteExactCopiesToTwoMailboxes) {
    ChapterServer server;
    auto port = std::to_string(server.port("smtp"));
    auto sent = run(python, {smtplib_client, port, "alice@example.test", "bob@localhost", "carol@localhost"},
                    crlf(tricky_text));
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
    auto id = queue_id(sent.out);
    ASSERT_FALSE(id.empty()) << sent.out;
    for (std::string user : {"bob", "carol"}) {
        auto files = new_messages(mailbox(server, user));
        ASSERT_EQ(files.size(), 1U) << user;
        EXPECT_EQ(check_trace_headers(files[0], "alice@example.test", user + "@localhost", id), tricky_text);
    }
}

TEST(SmtpClients, CurlDeliversToTwoRecipients) {
    ChapterServer server;
    TempDir files;
    auto message = files.path() / "message.eml";
    std::ofstream(message, std::ios::binary) << crlf(tricky_text);
    // The URL's path is the name curl gives in EHLO.
    auto url = "smtp://127.0.0.1:" + std::to_string(server.port("smtp")) + "/client.test";
    auto sent = run("/usr/bin/curl", {"--silent", "--show-error", "--verbose", url, "--mail-from", "alice@example.test",
                                      "--mail-rcpt", "bob@localhost", "--mail-rcpt", "carol@localhost",
                                      "--upload-file", message.string()});
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
    auto id = queue_id(sent.err); // --verbose shows the server's replies on stderr
    ASSERT_FALSE(id.empty()) << sent.err;
    for (std::string user : {"bob", "carol"}) {
        auto delivered = new_messages(mailbox(server, user));
        ASSERT_EQ(delivered.size(), 1U) << user;
        EXPECT_EQ(check_trace_headers(delivered[0], "alice@example.test", user + "@localhost", id), tricky_text);
    }
}

TEST(SmtpClients, SwaksDelivers) {
    ChapterServer server;
    auto sent = run("/usr/bin/swaks", {"--server", "127.0.0.1", "--port", std::to_string(server.port("smtp")),
                                       "--helo", "client.test", "--from", "alice@example.test", "--to",
                                       "bob@localhost", "--header", "Subject: swaks test", "--body",
                                       "Hello from swaks."});
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
    auto id = queue_id(sent.out); // swaks prints the conversation
    ASSERT_FALSE(id.empty()) << sent.out;
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    auto text = check_trace_headers(files[0], "alice@example.test", "bob@localhost", id);
    EXPECT_EQ(header_value("\n" + text, "Subject"), "swaks test");
    EXPECT_NE(text.find("\n\nHello from swaks.\n"), std::string::npos) << text;
}

// mutt in batch mode (-s, the body on stdin) sends with its own SMTP client. mutt 2.2 sets
// ssl_force_tls by default and then asks for STARTTLS whether EHLO offers it or not; this
// server has no TLS.
TEST(SmtpClients, MuttSendsInBatchMode) {
    ChapterServer server;
    TempDir home;
    auto muttrc = home.path() / "muttrc";
    std::ofstream(muttrc) << "set smtp_url = \"smtp://127.0.0.1:" << server.port("smtp") << "/\"\n"
                          << "set ssl_force_tls = no\n"
                          << "set from = \"alice@example.test\"\n"
                          << "set hostname = \"client.test\"\n"
                          << "set record = \"\"\n"; // keep no copy of what is sent
    const std::string body = "Hello from mutt.\n.a line that starts with a dot\n.\nthe end\n";
    auto sent = run("/usr/bin/env", {"HOME=" + home.path().string(), "/usr/bin/mutt", "-n", "-F", muttrc.string(),
                                     "-s", "mutt test", "--", "bob@localhost"},
                    body);
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err << server.log();
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0]));
    EXPECT_EQ(stored.return_path, "Return-Path: <alice@example.test>");
    EXPECT_TRUE(stored.received.starts_with("Received: from client.test ([127.0.0.1]) ")) << stored.received;
    EXPECT_NE(stored.received.find(" for <bob@localhost>; "), std::string::npos) << stored.received;
    EXPECT_EQ(header_value("\n" + stored.rest, "Subject"), "mutt test");
    EXPECT_EQ(header_value("\n" + stored.rest, "To"), "bob@localhost");
    EXPECT_TRUE(stored.rest.ends_with("\n\n" + body)) << stored.rest;
}

// Postfix, the MTA many mail servers run, hands a message to us with its smtp(8) client, as
// it would to any next hop.
TEST(SmtpClients, PostfixRelaysAMessageHere) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    ChapterServer server;
    Postfix postfix({.relayhost = "[127.0.0.1]:" + std::to_string(server.port("smtp"))});
    auto submitted = postfix.sendmail("alice@example.test", "bob@localhost", tricky_text);
    ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err << postfix.log();

    auto bob = mailbox(server, "bob");
    ASSERT_TRUE(eventually([&] { return !new_messages(bob).empty(); }, 30s)) << postfix.log() << server.log();
    auto files = new_messages(bob);
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0]));
    EXPECT_EQ(stored.return_path, "Return-Path: <alice@example.test>");
    EXPECT_TRUE(stored.received.starts_with("Received: from mx.postfix.test ([127.0.0.1]) ")) << stored.received;
    // Postfix puts its Received: in front and adds the Message-Id: and Date: the message lacks
    // at the end of the header; the rest arrives unchanged.
    auto header_end = tricky_text.find("\n\n");
    EXPECT_TRUE(stored.rest.starts_with("Received: by mx.postfix.test (Postfix")) << stored.rest;
    EXPECT_TRUE(stored.rest.ends_with(tricky_text.substr(header_end))) << stored.rest;
    for (std::string field : {"From", "To", "Subject"}) {
        EXPECT_EQ(header_value("\n" + stored.rest, field), header_value("\n" + tricky_text, field)) << field;
    }
    // The file is on disk before our 250 reaches Postfix, so its log line may come later.
    auto sent = [&] { return postfix.log().find("status=sent (250 2.0.0 Ok: queued as ") != std::string::npos; };
    EXPECT_TRUE(eventually(sent)) << postfix.log();
}

// Twenty messages queued at once: Postfix sends them over several connections and reuses some;
// it sends RSET after a transaction to keep a connection for later (18 connections and 11
// RSETs in one run here). Each message must arrive once.
TEST(SmtpClients, PostfixDeliversTwentyQueuedMessagesEachOnce) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    constexpr int count = 20;
    ChapterServer server;
    Postfix postfix({.relayhost = "[127.0.0.1]:" + std::to_string(server.port("smtp"))});
    std::multiset<std::string> sent;
    for (int i = 1; i <= count; ++i) {
        auto subject = "queued " + std::to_string(i);
        auto submitted = postfix.sendmail("alice@example.test", "bob@localhost", "Subject: " + subject + "\n\nHello\n");
        ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err << postfix.log();
        sent.insert(subject);
    }

    auto bob = mailbox(server, "bob");
    EXPECT_TRUE(eventually([&] { return new_messages(bob).size() >= std::size_t{count}; }, 60s))
        << postfix.log() << server.log();
    std::multiset<std::string> arrived;
    for (const auto& file : new_messages(bob)) {
        arrived.insert(header_value(read_file(file), "Subject"));
    }
    EXPECT_EQ(arrived, sent);
}

// Maildir (http://cr.yp.to/proto/maildir.html): the file goes through tmp/ into new/; only
// the owner may read the mail.
TEST(SmtpStorage, StoredFileHasTraceHeadersAndPrivateModes) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = send_message(client, "alice@example.test", {"Bob@localhost"}, "Subject: modes\n\nhello\n");
    ASSERT_EQ(reply.code, 250) << reply;
    auto id = queue_id(reply.last());
    ASSERT_FALSE(id.empty()) << reply;
    auto bob = mailbox(server, "bob"); // local parts are stored lowercased
    auto files = new_messages(bob);
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(check_trace_headers(files[0], "alice@example.test", "Bob@localhost", id), "Subject: modes\n\nhello\n");
    EXPECT_EQ(mode_of(files[0]), 0600U);
    for (const auto& directory : {bob, bob / "tmp", bob / "new", bob / "cur"}) {
        EXPECT_EQ(mode_of(directory), 0700U) << directory;
    }
    EXPECT_TRUE(files_in(bob / "tmp").empty());
    EXPECT_TRUE(files_in(bob / "cur").empty());
}

// RFC 2920: two whole transactions and QUIT in a single write; the replies come in order.
TEST(SmtpPipelining, TwoTransactionsInOneWriteDeliverTwice) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    std::string both;
    for (std::string subject : {"one", "two"}) {
        both += "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\n"
                "Subject: " + subject + "\r\n\r\nbody " + subject + "\r\n.\r\n";
    }
    client.send(both + "QUIT\r\n");
    std::vector<int> codes;
    for (int i = 0; i < 9; ++i) {
        codes.push_back(read_reply(client).code);
    }
    EXPECT_EQ(codes, (std::vector<int>{250, 250, 354, 250, 250, 250, 354, 250, 221}));
    std::set<std::string> subjects;
    for (const auto& file : new_messages(mailbox(server, "bob"))) {
        subjects.insert(header_value(read_file(file), "Subject"));
    }
    EXPECT_EQ(subjects, (std::set<std::string>{"one", "two"}));
}

// RFC 1870 6.1: a declared size over the limit is refused before any data is sent.
TEST(SmtpLimits, SizeParameterOverTheLimitIsRefusedAtMail) {
    ChapterServer server({"--max-message-size", "1000"});
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = command(client, "MAIL FROM:<alice@example.test> SIZE=1001");
    EXPECT_EQ(reply.code, 552) << reply;
    EXPECT_TRUE(reply.last().starts_with("552 5.3.4 ")) << reply;
}

// Ten lines of 98 characters and CRLF: exactly 1000 octets (RFC 1870 5).
std::string message_of_1000_octets() {
    std::string text;
    for (int line = 0; line < 10; ++line) {
        text += std::string(97, 'a' + line) + "|\n";
    }
    return text;
}

TEST(SmtpLimits, MessageOfExactlyTheLimitIsDelivered) {
    ChapterServer server({"--max-message-size", "1000"});
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, message_of_1000_octets());
    EXPECT_EQ(reply.code, 250) << reply;
    EXPECT_EQ(new_messages(mailbox(server, "bob")).size(), 1U);
}

// RFC 1870 4 and 6.3: a message that turns out bigger than the limit is refused after the data.
TEST(SmtpLimits, OversizeMessageIsRefusedAfterTheData) {
    ChapterServer server({"--max-message-size", "1000"});
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, "x" + message_of_1000_octets());
    EXPECT_EQ(reply.code, 552) << reply;
    EXPECT_TRUE(reply.last().starts_with("552 5.3.4 ")) << reply;
    EXPECT_TRUE(all_files(mail_root(server)).empty());
    EXPECT_EQ(command(client, "NOOP").code, 250); // the session goes on
}

// RFC 5321 4.5.3.1.6: a text line is at most 1000 octets, CRLF included.
TEST(SmtpLimits, TextLineOf1000OctetsIsDelivered) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    auto text = "Subject: long line\n\n" + std::string(998, 'x') + "\n";
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, text);
    ASSERT_EQ(reply.code, 250) << reply;
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(split_stored(read_file(files[0])).rest, text);
}

// The limit is on the text: a line of 998 characters that starts with a dot arrives as 999,
// with the dot the client added (RFC 5321 4.5.2).
TEST(SmtpLimits, DotStuffedTextLineOf1000OctetsIsDelivered) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    auto text = "Subject: long line\n\n." + std::string(997, 'x') + "\n";
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, text);
    ASSERT_EQ(reply.code, 250) << reply;
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(split_stored(read_file(files[0])).rest, text);
}

// RFC 5321 4.3.2: 554 is among the replies to the end of DATA, 500 is not.
TEST(SmtpLimits, TextLineOver1000OctetsIsRefusedAtTheEndOfTheData) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    for (const std::string& line : {std::string(999, 'x'), "." + std::string(998, 'x')}) {
        auto reply = send_message(client, "alice@example.test", {"bob@localhost"},
                                  "Subject: long line\n\n" + line + "\nafter it\n");
        EXPECT_EQ(reply.code, 554) << reply;
        EXPECT_TRUE(reply.last().starts_with("554 5.6.0 ")) << reply;
    }
    EXPECT_TRUE(all_files(mail_root(server)).empty());
    EXPECT_EQ(command(client, "NOOP").code, 250);
}

// RFC 5321 4.5.3.1.8: 100 recipients must be accepted; this server takes no more.
TEST(SmtpLimits, HundredRecipientsAreAcceptedTheNextGets452) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(command(client, "RCPT TO:<user" + std::to_string(i) + "@localhost>").code, 250) << i;
    }
    auto refused = command(client, "RCPT TO:<user100@localhost>");
    EXPECT_EQ(refused.code, 452) << refused;
    EXPECT_TRUE(refused.last().starts_with("452 4.5.3 ")) << refused;
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send(wire_data("Subject: to a hundred\n\nhi\n"));
    EXPECT_EQ(read_reply(client).code, 250);
    EXPECT_EQ(all_files(mail_root(server)).size(), 100U);
    EXPECT_EQ(new_messages(mailbox(server, "user99")).size(), 1U);
    EXPECT_FALSE(fs::exists(mailbox(server, "user100")));
}

// RFC 5321 3.6.2 and 7.1: mail for a domain that is not ours is refused, not relayed.
TEST(SmtpSecurity, RelayAttemptIsDenied) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    auto reply = command(client, "RCPT TO:<bob@example.com>");
    EXPECT_EQ(reply.code, 550) << reply; // RFC 5321 4.3.2: 550, not 554, among RCPT's replies
    EXPECT_NE(reply.last().find(" 5.7.1 "), std::string::npos) << reply;
    EXPECT_EQ(command(client, "DATA").code, 554); // RFC 5321 3.3: no valid recipient
    EXPECT_TRUE(all_files(server.dir()).empty());
}

// A local part is a directory name on disk: none may climb out of the root or hide in it.
TEST(SmtpSecurity, UnsafeLocalPartsAreRefusedAndWriteNothing) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    for (std::string unsafe : {"\"../x\"", "\"a/b\"", "\"..\"", "\"../../../tmp/evil\"", "\".hidden\""}) {
        auto reply = command(client, "RCPT TO:<" + unsafe + "@localhost>");
        EXPECT_EQ(reply.code, 553) << unsafe << ": " << reply;
        EXPECT_TRUE(reply.last().starts_with("553 5.1.3 ")) << reply;
    }
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send(wire_data("Subject: only bob\n\nhi\n"));
    ASSERT_EQ(read_reply(client).code, 250);
    // Everything the server wrote under its directory is bob's one message.
    auto files = all_files(server.dir());
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(files[0].parent_path(), mailbox(server, "bob") / "new");
    EXPECT_FALSE(fs::exists(mail_root(server) / "x"));
    EXPECT_FALSE(fs::exists(server.dir() / "x"));
}

// RFC 5321 2.3.8 and 4.1.1.4: only CRLF "." CRLF ends the data. SMTP smuggling hides a second
// transaction behind an end-of-data that some servers accept; here it must stay message text
// of a refused message, and nothing at all may be delivered.
struct SmugglingVector {
    std::string name;
    std::string bytes; // right after the line "real"
};

void PrintTo(const SmugglingVector& vector, std::ostream* out) { *out << vector.name; }

class SmtpSmuggling : public ::testing::TestWithParam<SmugglingVector> {};

TEST_P(SmtpSmuggling, NothingIsDeliveredAndTheHiddenCommandsNeverRun) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: real\r\n\r\nreal" + GetParam().bytes +
                "MAIL FROM:<mallory@example.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\n"
                "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n");
    auto refused = read_reply(client);
    EXPECT_EQ(refused.code, 554) << refused;
    EXPECT_TRUE(refused.last().starts_with("554 5.6.0 ")) << refused;
    // Had the smuggled commands run, their replies would come before QUIT's.
    client.send_line("QUIT");
    auto next = read_reply(client);
    EXPECT_EQ(next.code, 221) << "the reply after the refusal: " << next;
    EXPECT_TRUE(client.wait_closed());
    EXPECT_TRUE(all_files(mail_root(server)).empty());
}

INSTANTIATE_TEST_SUITE_P(Vectors, SmtpSmuggling,
                         ::testing::Values(SmugglingVector{"lf_dot_lf", "\n.\n"},
                                           SmugglingVector{"cr_dot_cr", "\r.\r"},
                                           SmugglingVector{"lf_dot_crlf", "\n.\r\n"},
                                           SmugglingVector{"crlf_dot_lf", "\r\n.\n"},
                                           SmugglingVector{"cr_dot_crlf", "\r.\r\n"},
                                           SmugglingVector{"crlf_dot_cr_crlf", "\r\n.\r\r\n"},
                                           SmugglingVector{"bare_cr_mid_line", "\rstill the same line\r\n"},
                                           SmugglingVector{"bare_lf_mid_message", "\nnext line\r\n"},
                                           // Discarded as too long, its bare LF must still count.
                                           SmugglingVector{"overlong_line_lf_dot_crlf",
                                                           "\r\n" + std::string(1100, 'x') + "\n.\r\n"}),
                         [](const auto& info) { return info.param.name; });

// Many sessions on several threads: every message lands exactly once, under a unique name.
TEST(SmtpLoad, FiftyClientsTimesTwentyMessagesAllDeliveredOnce) {
    constexpr int clients = 50;
    constexpr int messages = 20;
    ChapterServer server({"--threads", "4"});
    auto port = server.port("smtp");
    std::atomic<int> failures{0};
    std::mutex ids_mutex;
    std::set<std::string> queue_ids;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            LineClient client(port);
            greet(client);
            for (int m = 0; m < messages; ++m) {
                auto id = "<" + std::to_string(c) + "." + std::to_string(m) + "@load.test>";
                auto reply = send_message(client, "sender" + std::to_string(c) + "@example.test",
                                          {"user" + std::to_string(c % 5) + "@localhost"},
                                          "Message-ID: " + id + "\nSubject: load\n\nmessage " + id + "\n");
                if (reply.code != 250) {
                    ++failures;
                    return;
                }
                std::lock_guard lock(ids_mutex);
                queue_ids.insert(queue_id(reply.last()));
            }
            command(client, "QUIT");
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    ASSERT_EQ(failures, 0);
    EXPECT_EQ(queue_ids.size(), std::size_t{clients * messages}); // every queue id is different
    std::map<std::string, int> copies;
    for (int user = 0; user < 5; ++user) {
        for (const auto& file : new_messages(mailbox(server, "user" + std::to_string(user)))) {
            ++copies[header_value(read_file(file), "Message-ID")];
        }
    }
    EXPECT_EQ(copies.size(), std::size_t{clients * messages});
    for (const auto& [id, count] : copies) {
        EXPECT_EQ(count, 1) << id;
    }
}

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

TEST(SmtpShutdown, AMessageFinishedWithinTheGraceIsDelivered) {
    ChapterServer server({"--shutdown-grace", "10s"});
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: in time\r\n\r\nthe first half\r\n");
    server.process().send_signal(SIGTERM);
    std::this_thread::sleep_for(200ms);
    client.send("the second half\r\n.\r\n");
    EXPECT_EQ(read_reply(client).code, 250);
    EXPECT_EQ(command(client, "QUIT").code, 221);
    EXPECT_EQ(server.process().wait(5s), 0) << server.log(); // no need to wait out the grace
    EXPECT_EQ(new_messages(mailbox(server, "bob")).size(), 1U);
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

// The server's resident memory, from /proc.
long resident_kb(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) {
            return std::stol(line.substr(6));
        }
    }
    return -1L;
}

// A server started with AddressSanitizer's quarantine off: it holds freed memory back to catch
// use after free, which would look like growth; the server inherits our environment.
std::unique_ptr<ChapterServer> server_measuring_memory() {
    std::string asan_options = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    setenv("ASAN_OPTIONS", (asan_options + ":quarantine_size_mb=0").c_str(), 1);
    auto server = std::make_unique<ChapterServer>();
    setenv("ASAN_OPTIONS", asan_options.c_str(), 1);
    return server;
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

// The octets the server holds in files that no name leads to any more (its spools), from /proc.
std::uintmax_t spooled_octets(pid_t pid) {
    std::uintmax_t octets = 0;
    std::error_code error;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        auto target = fs::read_symlink(fd.path(), error).string();
        struct stat status {};
        if (!error && target.ends_with(" (deleted)") && ::stat(fd.path().c_str(), &status) == 0 &&
            S_ISREG(status.st_mode)) {
            octets += static_cast<std::uintmax_t>(status.st_size);
        }
    }
    return octets;
}

// A message is not held in memory while it arrives: ten sessions in the middle of 2 MB each
// have it on disk, and the server's memory grows by far less than what they sent. One then
// ends its message, which is stored whole.
TEST(SmtpLimits, MessagesArrivingInDataAreNotHeldInMemory) {
    constexpr int sessions = 10;
    constexpr int lines_each = 2048; // of 1000 octets: 2 MB
    auto measured = server_measuring_memory();
    ChapterServer& server = *measured;
    long before = 0;
    std::vector<std::unique_ptr<LineClient>> clients;
    const std::string line = std::string(998, 'x') + "\r\n";
    for (int i = 0; i < sessions; ++i) {
        auto& client = *clients.emplace_back(std::make_unique<LineClient>(server.port("smtp")));
        greet(client);
        if (i == 0) {
            before = resident_kb(server.process().pid()); // once the server has started up fully
        }
        ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
        ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
        ASSERT_EQ(command(client, "DATA").code, 354);
        client.send("Subject: big " + std::to_string(i) + "\r\n\r\n");
        for (int n = 0; n < lines_each; ++n) {
            client.send(line);
        }
    }
    constexpr std::uintmax_t sent = std::uintmax_t{sessions} * lines_each * 1000;
    // All but the last 64 KB of each is in its spool file once the server has read it.
    ASSERT_TRUE(eventually([&] { return spooled_octets(server.process().pid()) >= sent - sessions * (64 << 10); }))
        << spooled_octets(server.process().pid()) << " of " << sent << " octets spooled";
    long during = resident_kb(server.process().pid());
    std::cout << "server RSS before " << before << " kB, with " << sessions << " sessions 2 MB into DATA " << during
              << " kB\n";
    // Holding the messages would take all of it; under half proves they went to disk.
    EXPECT_LT(during - before, static_cast<long>(sent / 1024 / 2)) << "the server holds the messages in memory";
    clients[0]->send(".\r\n");
    ASSERT_EQ(read_reply(*clients[0]).code, 250);
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0])).rest;
    EXPECT_EQ(stored.size(), std::string("Subject: big 0\n\n").size() + lines_each * 999U);
}

// RFC 5321 4.5.3.2: the same within DATA, and the half message is dropped.
TEST(SmtpLimits, ClientSilentInDataGets421AndNothingIsDelivered) {
    ChapterServer server({"--data-timeout", "1s"});
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send("Subject: stalled\r\n\r\nand then nothing\r\n");
    auto reply = read_reply(client, 10s);
    EXPECT_EQ(reply.code, 421) << reply;
    EXPECT_TRUE(reply.last().starts_with("421 4.4.2 ")) << reply;
    EXPECT_TRUE(client.wait_closed());
    EXPECT_TRUE(all_files(mail_root(server)).empty());
}

// A delivery that fails on disk is a temporary failure (451 4.3.0): the client keeps the
// message and tries again later. The tests run as root, so a file stands in the way instead
// of missing permissions.
TEST(SmtpStorage, DiskErrorGets451AndTheServerKeepsWorking) {
    ChapterServer server;
    fs::create_directories(mail_root(server) / "localhost");
    std::ofstream(mailbox(server, "bob")) << "a file where bob's Maildir should be\n";
    LineClient client(server.port("smtp"));
    greet(client);
    auto failed = send_message(client, "alice@example.test", {"bob@localhost"}, "Subject: lost?\n\nhi\n");
    EXPECT_EQ(failed.code, 451) << failed;
    EXPECT_TRUE(failed.last().starts_with("451 4.3.0 ")) << failed;
    EXPECT_EQ(all_files(mail_root(server)), std::vector<fs::path>{mailbox(server, "bob")});
    auto delivered = send_message(client, "alice@example.test", {"carol@localhost"}, "Subject: fine\n\nhi\n");
    EXPECT_EQ(delivered.code, 250) << delivered;
    EXPECT_EQ(new_messages(mailbox(server, "carol")).size(), 1U);
}

// Contract: bad command-line input gets a clear message and exit code 2.
TEST(SmtpCommandLine, BadOptionsExitTwo) {
    for (auto args : std::vector<std::vector<std::string>>{{"--smtp-port", "70000"},
                                                           {"--max-recipients", "0"},
                                                           {"--max-message-size", "-5"},
                                                           {"--command-timeout", "soon"}}) {
        auto result = run(chapter_program(), args);
        EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
        EXPECT_FALSE(result.err.empty()) << args[0];
    }
}

} // namespace
