// Aliases end to end (chapter 31 onwards): the real server with an aliases file, real clients
// sending to aliases, catch-alls and subaddresses (smtplib, swaks), the mail read back over POP3
// (curl), an alias elsewhere reached through the relay (aiosmtpd, found through dnsmasq), and
// the file edited under the running server.
#include "relay/relay_e2e_testing.hpp"
#include "user_command/user_testing.hpp"

#include <atomic>
#include <fstream>
#include <thread>

namespace {

const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";
const std::string password = "tulip-7-Sky";

// As an administrator's editor writes it: the whole file anew, in one rename.
void write_aliases(const ChapterServer& server, const std::string& text) {
    auto temporary = server.dir() / "aliases.new";
    std::ofstream(temporary) << text;
    fs::rename(temporary, server.dir() / "aliases");
}

// A server with the accounts alice@localhost and bob@localhost: the others get no mail.
void add_alice_and_bob(const ChapterServer& server) {
    pop3::tests::add_user(server, "alice@localhost", password);
    pop3::tests::add_user(server, "bob@localhost", password);
}

Reply rcpt(std::uint16_t port, const std::string& to) {
    LineClient client(port);
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<carol@sender.test>");
    return command(client, "RCPT TO:<" + to + ">");
}

} // namespace

// smtplib sends to info@, an alias of alice and bob: each gets one copy, and curl reads
// alice's over POP3, the Received: header naming her.
TEST(Aliases, SmtplibToAnAliasReachesEveryTargetAndCurlReadsIt) {
    ChapterServer server;
    add_alice_and_bob(server);
    write_aliases(server, "info@localhost: alice@localhost, bob@localhost\n");
    auto sent = run("/usr/bin/python3", {smtplib_client, std::to_string(server.port("smtp")), "carol@sender.test",
                                         "info@localhost", "alice@localhost"},
                    crlf("Subject: for info\n\nHello, shop.\n"));
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err << server.log();
    ASSERT_EQ(new_messages(mailbox(server, "alice")).size(), 1U); // named twice, one copy
    ASSERT_EQ(new_messages(mailbox(server, "bob")).size(), 1U);
    auto fetched = run("/usr/bin/curl", {"--silent", "--show-error", "--user", "alice@localhost:" + password,
                                         "pop3://127.0.0.1:" + std::to_string(server.port("pop3")) + "/1"});
    ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
    EXPECT_NE(fetched.out.find("for <alice@localhost>;"), std::string::npos) << fetched.out;
    EXPECT_NE(fetched.out.find("Subject: for info\r\n\r\nHello, shop.\r\n"), std::string::npos) << fetched.out;
}

// swaks to an address nobody has, caught by the catch-all, and to a subaddress of bob's.
TEST(Aliases, SwaksToTheCatchAllAndToASubaddress) {
    ChapterServer server;
    add_alice_and_bob(server);
    write_aliases(server, "@localhost: alice@localhost\n");
    auto swaks = [&](const std::string& to) {
        return run("/usr/bin/swaks", {"--server", "127.0.0.1", "--port", std::to_string(server.port("smtp")),
                                      "--helo", "client.test", "--from", "carol@sender.test", "--to", to,
                                      "--header", "Subject: to " + to, "--body", "Hello."});
    };
    auto sent = swaks("sales@localhost");
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
    sent = swaks("bob+lists@localhost");
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
    auto alice = new_messages(mailbox(server, "alice"));
    auto bob = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(alice.size(), 1U);
    ASSERT_EQ(bob.size(), 1U);
    EXPECT_EQ(header_value(read_file(alice[0]), "Subject"), "to sales@localhost");
    EXPECT_EQ(header_value(read_file(bob[0]), "Subject"), "to bob+lists@localhost");
    EXPECT_FALSE(fs::exists(mailbox(server, "sales")));
    EXPECT_FALSE(fs::exists(mailbox(server, "bob+lists")));
}

// RCPT answers 250 only for an address that reaches somebody: an alias whose targets have no
// mailbox reaches nobody. Odd '+'s are subaddresses or nothing, never a way round the rules.
TEST(Aliases, RcptIsRefusedForAnAddressThatReachesNobody) {
    ChapterServer server;
    add_alice_and_bob(server);
    write_aliases(server, "ghosts@localhost: casper@localhost\ninfo@localhost: alice@localhost\n");
    auto port = server.port("smtp");
    EXPECT_EQ(rcpt(port, "ghosts@localhost").last(), "550 5.1.1 <ghosts@localhost>: no such user here");
    EXPECT_EQ(rcpt(port, "casper@localhost").code, 550);
    EXPECT_EQ(rcpt(port, "+alice@localhost").code, 550);
    EXPECT_EQ(rcpt(port, "+@localhost").code, 550);
    EXPECT_EQ(rcpt(port, "alice+@localhost").code, 250);
    EXPECT_EQ(rcpt(port, "alice++x+y@localhost").code, 250);
    EXPECT_EQ(rcpt(port, "info+anything@localhost").code, 250);
    EXPECT_EQ(rcpt(port, "\"alice+x\"@localhost").code, 250);
    EXPECT_EQ(rcpt(port, "postmaster@localhost").code, 250); // RFC 5321 4.5.1
}

// --max-recipients counts what the client names, not what the aliases make of it.
TEST(Aliases, TheRecipientLimitCountsRcptCommands) {
    ChapterServer server({"--max-recipients", "2"});
    add_alice_and_bob(server);
    write_aliases(server, "all@localhost: alice@localhost, bob@localhost, carol@elsewhere.test\n");
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<carol@sender.test>");
    EXPECT_EQ(command(client, "RCPT TO:<all@localhost>").code, 250);
    EXPECT_EQ(command(client, "RCPT TO:<alice@localhost>").code, 250);
    EXPECT_EQ(command(client, "RCPT TO:<bob@localhost>").last(), "452 4.5.3 Too many recipients");
}

// An alias elsewhere: the message goes through the relay to the MX host (aiosmtpd), even for a
// client that may not relay itself, with its envelope sender, here one of ours, unchanged.
TEST(Aliases, AnAliasElsewhereGoesThroughTheRelay) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 0, "");
    ChapterServer server({"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port)});
    add_alice_and_bob(server);
    write_aliases(server, "alice@localhost: alice@localhost, alice@example.test\n");
    EXPECT_EQ(rcpt(server.port("smtp"), "someone@example.test").code, 550); // 127.0.0.1 may not relay
    ASSERT_EQ(send(server.port("smtp"), "bob@localhost", "alice@localhost", text).code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    EXPECT_EQ(read_file(mx.dir.path() / "envelope-1"), "bob@localhost\nalice@example.test\ntls=none\n");
    EXPECT_EQ(new_messages(mailbox(server, "alice")).size(), 1U); // and the copy she keeps
}

// The running server reads the file again when it changes. A bad edit is logged with its line,
// and the aliases read before stay in use.
TEST(Aliases, AnEditTakesEffectAndABadOneIsLoggedWithItsLine) {
    ChapterServer server;
    add_alice_and_bob(server);
    auto port = server.port("smtp");
    EXPECT_EQ(rcpt(port, "sales@localhost").code, 550);
    write_aliases(server, "sales@localhost: bob@localhost\n");
    EXPECT_EQ(rcpt(port, "sales@localhost").code, 250);
    write_aliases(server, "sales@localhost: team@localhost\nteam@localhost: sales@localhost\n");
    EXPECT_EQ(rcpt(port, "sales@localhost").code, 250);
    EXPECT_TRUE(eventually([&] {
        return server.log().find("line 2: alias loop: sales@localhost -> team@localhost -> sales@localhost "
                                 "(still using the aliases read before)") != std::string::npos;
    })) << server.log();
}

TEST(Aliases, ALoopInTheFileIsAStartUpFailure) {
    TempDir dir;
    std::ofstream(dir.path() / "aliases") << "# the shop\na@localhost: b@localhost\nb@localhost: c@localhost, "
                                             "a+x@localhost\n";
    auto args = other_port_args("");
    args.insert(args.end(), {"--aliases", (dir.path() / "aliases").string(), "--maildir-root",
                             (dir.path() / "mail").string(), "--users", (dir.path() / "users").string(),
                             "--queue-dir", (dir.path() / "queue").string()});
    auto result = run(chapter_program(), args);
    EXPECT_NE(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.err.find("aliases: line 3: alias loop: a@localhost -> b@localhost -> a@localhost"),
              std::string::npos)
        << result.err;
}

// Sessions on every thread look the aliases up while the file is rewritten under them (for
// ThreadSanitizer: `ctest --preset tsan-ch36` runs this on 4 threads). Each lookup sees the
// old file or the new one: sales@ always reaches somebody.
TEST(Aliases, SessionsOnManyThreadsLookUpWhileTheFileChanges) {
    ChapterServer server;
    add_alice_and_bob(server);
    write_aliases(server, "sales@localhost: alice@localhost\n");
    auto port = server.port("smtp");
    std::atomic<bool> writing{true};
    std::thread editor([&] {
        for (int i = 0; writing; ++i) {
            write_aliases(server, "sales@localhost: " + std::string(i % 2 ? "alice" : "bob") + "@localhost\n" +
                                      "x" + std::to_string(i) + "@localhost: bob@localhost\n");
        }
    });
    std::vector<std::thread> clients;
    std::atomic<int> accepted{0};
    for (int c = 0; c < 8; ++c) {
        clients.emplace_back([&] {
            LineClient client(port);
            read_reply(client);
            command(client, "EHLO client.test");
            for (int i = 0; i < 20; ++i) {
                command(client, "MAIL FROM:<carol@sender.test>");
                accepted += command(client, "RCPT TO:<sales@localhost>").code == 250 ? 1 : 0;
                command(client, "RSET");
            }
        });
    }
    for (auto& client : clients) {
        client.join();
    }
    writing = false;
    editor.join();
    EXPECT_EQ(accepted, 160) << server.log();
    EXPECT_EQ(server.log().find("still using the aliases read before"), std::string::npos) << server.log();
}
