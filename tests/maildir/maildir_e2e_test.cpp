// End-to-end tests of delivery into Maildir (chapter 08 onwards): the chapter's real program
// on port 0, real clients (Python's smtplib, curl, swaks, mutt) and raw sockets. What is checked
// is what lands on disk: the files in the Maildirs, byte for byte, their trace headers and modes;
// under load, at the limits, on signals and when the disk fails.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

const std::string python = "/usr/bin/python3";
const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";

class Sequence : public ::testing::TestWithParam<CommandSequence> {};

TEST_P(Sequence, RepliesInOrder) { expect_reply_codes(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Maildir, Sequence,
    ::testing::Values(
        // Names that could leave the Maildir root.
        CommandSequence{"unsafe_mailbox", {"EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<\"../x\"@localhost>"}, {250, 250, 553}}),
    [](const auto& info) { return info.param.name; });

TEST(Session, DuplicateRecipientGetsOneCopy) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = send_message(client, "alice@example.test", {"bob@localhost", "BOB@localhost", "\"bob\"@localhost"},
                              "Subject: once\n\nhello\n");
    EXPECT_EQ(reply.code, 250) << reply;
    EXPECT_EQ(new_messages(mailbox(server, "bob")).size(), 1U);
    EXPECT_EQ(all_files(mail_root(server)).size(), 1U);
}

TEST(Session, StoresUnstuffedTextWithLfAfterTraceHeaders) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    ASSERT_EQ(command(client, "HELO client.test").code, 250);
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, "Subject: x\n\n.dot\n");
    ASSERT_EQ(reply.code, 250) << reply;
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0]));
    EXPECT_EQ(stored.return_path, "Return-Path: <alice@example.test>");
    // HELO, not EHLO: the Received: header says SMTP (RFC 5321 4.4).
    EXPECT_NE(stored.received.find(" with SMTP id " + queue_id(reply.last()) + " "), std::string::npos)
        << stored.received;
    EXPECT_EQ(stored.rest, "Subject: x\n\n.dot\n");
}

TEST(Session, BounceToPostmasterWithoutDomainGoesToTheFirstDomain) {
    ChapterServer server({"--domain", "mail.example.test", "--domain", "localhost"});
    LineClient client(server.port("smtp"));
    greet(client);
    EXPECT_EQ(send_message(client, "", {"Postmaster"}, "hi\n").code, 250);
    auto files = new_messages(maildir(mail_root(server), "mail.example.test", "postmaster"));
    ASSERT_EQ(files.size(), 1U);
    // RFC 5321 4.4: the null reverse-path of a bounce is kept as Return-Path: <>.
    EXPECT_EQ(split_stored(read_file(files[0])).return_path, "Return-Path: <>");
}

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
// ssl_force_tls by default and then asks for STARTTLS whether EHLO offers it or not; before
// chapter 27 the server has no TLS. From chapter 27 on it offers STARTTLS, which mutt then
// uses, trusting the certificates in certificate_file: the one the server made (for
// "localhost", not the 127.0.0.1 mutt connects to, hence ssl_verify_host).
TEST(SmtpClients, MuttSendsInBatchMode) {
    ChapterServer server;
    TempDir home;
    auto muttrc = home.path() / "muttrc";
    std::ofstream(muttrc) << "set smtp_url = \"smtp://127.0.0.1:" << server.port("smtp") << "/\"\n"
                          << "set ssl_force_tls = no\n"
                          << "set certificate_file = \"" << (server.working_dir() / "var/tls/cert.pem").string()
                          << "\"\n"
                          << "set ssl_verify_host = no\n"
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

TEST(SmtpLimits, MessageOfExactlyTheLimitIsDelivered) {
    ChapterServer server({"--max-message-size", "1000"});
    LineClient client(server.port("smtp"));
    greet(client);
    auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, message_of_1000_octets());
    EXPECT_EQ(reply.code, 250) << reply;
    EXPECT_EQ(new_messages(mailbox(server, "bob")).size(), 1U);
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

} // namespace
