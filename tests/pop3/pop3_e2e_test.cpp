// The POP3 server end to end: the real binary on loopback, driven line by line, for
// what the dialog scripts cannot show: several connections, dropped clients, time, the users
// file changing underneath, signals and file modes.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "user_command/user_testing.hpp"
#include "smtp/smtp_testing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <memory>
#include <thread>

using namespace mailsteps::testing;
using smtp::tests::files_in;
using smtp::tests::mode_of;
using namespace pop3::tests;
namespace fs = std::filesystem;

namespace {

// Delivers `count` messages to user@localhost over SMTP.
void deliver(ChapterServer& server, const std::string& user, int count) {
    LineClient smtp(server.port("smtp"));
    ASSERT_EQ(smtp::tests::read_reply(smtp).code, 220);
    ASSERT_EQ(smtp::tests::command(smtp, "HELO test.example").code, 250);
    for (int i = 1; i <= count; ++i) {
        auto reply = smtp::tests::send_message(smtp, "sender@example.test", {user + "@localhost"},
                                               "Subject: message " + std::to_string(i) + "\n\nbody\n");
        ASSERT_EQ(reply.code, 250) << reply;
    }
}

// Sends one command and returns the first line of the answer ("" if none came).
std::string ask(LineClient& client, const std::string& line) {
    client.send_line(line);
    return client.read_line().value_or("");
}

// A POP3 connection that has read the greeting.
struct Pop3Client : LineClient {
    explicit Pop3Client(ChapterServer& server) : LineClient(server.port("pop3")) {
        EXPECT_EQ(read_line().value_or("").substr(0, 3), "+OK");
    }
    std::string login(const std::string& user, const std::string& password) {
        EXPECT_EQ(ask(*this, "USER " + user).substr(0, 3), "+OK");
        return ask(*this, "PASS " + password);
    }
};

} // namespace

// RFC 1939 4: one session per maildrop; the lock goes with the session.
TEST(Pop3Sessions, SecondLoginToTheSameMaildropIsInUseUntilTheFirstEnds) {
    ChapterServer server;
    add_user(server, "alice@localhost", "secret");
    Pop3Client first(server);
    ASSERT_EQ(first.login("alice", "secret").substr(0, 3), "+OK");

    Pop3Client second(server);
    EXPECT_EQ(second.login("alice", "secret"), "-ERR [IN-USE] Mailbox already in use by another session");

    first.close(); // a dropped connection releases the lock too
    std::string answer;
    for (int attempt = 0; attempt < 50 && !answer.starts_with("+OK"); ++attempt) {
        std::this_thread::sleep_for(20ms);
        answer = second.login("alice", "secret");
    }
    EXPECT_TRUE(answer.starts_with("+OK Logged in")) << answer;
}

// RFC 1939 6: deletions happen in the UPDATE state, after QUIT, and only then.
TEST(Pop3Sessions, DroppedConnectionDeletesNothingAndQuitDeletes) {
    ChapterServer server;
    add_user(server, "alice@localhost", "secret");
    deliver(server, "alice", 2);
    auto before = files_in(mailbox(server, "alice") / "new");
    ASSERT_EQ(before.size(), 2U);
    {
        Pop3Client client(server);
        ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK Logged in, 2 messages"));
        EXPECT_EQ(ask(client, "DELE 1"), "+OK Message 1 deleted");
        EXPECT_EQ(ask(client, "DELE 2"), "+OK Message 2 deleted");
    } // dropped without QUIT
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(files_in(mailbox(server, "alice") / "new"), before);

    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK Logged in, 2 messages"));
    EXPECT_EQ(ask(client, "DELE 1"), "+OK Message 1 deleted");
    EXPECT_EQ(ask(client, "QUIT"), "+OK mailsteps POP3 server signing off (1 message left)");
    EXPECT_TRUE(client.wait_closed());
    // Message 1 is the first delivered, whatever its file name sorts like ("M9" sorts after "M10").
    auto left = files_in(mailbox(server, "alice") / "new");
    ASSERT_EQ(left.size(), 1U);
    EXPECT_NE(std::find(before.begin(), before.end(), left[0]), before.end());
    EXPECT_NE(smtp::tests::read_file(left[0]).find("Subject: message 2\n"), std::string::npos) << left[0];
}

// RFC 1939 4: the message list is fixed at login; new mail waits for the next session.
TEST(Pop3Sessions, MailArrivingDuringASessionWaitsForTheNext) {
    ChapterServer server;
    add_user(server, "alice@localhost", "secret");
    deliver(server, "alice", 1);
    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK Logged in, 1 message ("));
    deliver(server, "alice", 1);
    EXPECT_TRUE(ask(client, "STAT").starts_with("+OK 1 "));
    EXPECT_TRUE(ask(client, "QUIT").starts_with("+OK"));

    Pop3Client next(server);
    EXPECT_TRUE(next.login("alice", "secret").starts_with("+OK Logged in, 2 messages"));
}

// The server re-reads the users file when it changes: no restart after `mailserver user`.
TEST(Pop3Logins, UsersAddedAndRemovedWhileRunningTakeEffect) {
    ChapterServer server;
    {
        Pop3Client client(server);
        EXPECT_EQ(client.login("alice", "secret"), "-ERR [AUTH] Invalid user name or password");
    }
    add_user(server, "alice@localhost", "secret");
    {
        Pop3Client client(server);
        EXPECT_EQ(client.login("alice", "secret"), "+OK Logged in, 0 messages (0 octets)");
    }
    auto removed = user_command(server, {"remove", "alice@localhost"});
    EXPECT_EQ(removed.exit_code, 0) << removed.err;
    Pop3Client client(server);
    EXPECT_EQ(client.login("alice", "secret"), "-ERR [AUTH] Invalid user name or password");
}

TEST(Pop3Logins, TraceHidesThePassword) {
    ChapterServer server({"--trace"});
    add_user(server, "alice@localhost", "correct horse");
    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "correct horse").starts_with("+OK"));
    EXPECT_TRUE(ask(client, "QUIT").starts_with("+OK"));
    EXPECT_TRUE(client.wait_closed());
    EXPECT_NE(server.log().find("C: USER alice"), std::string::npos) << server.log();
    EXPECT_NE(server.log().find("C: PASS ****"), std::string::npos) << server.log();
    EXPECT_EQ(server.log().find("horse"), std::string::npos) << server.log();
}

// RFC 1939 3: the autologout timer ends an idle session without the UPDATE state.
TEST(Pop3Limits, IdleSessionIsLoggedOutWithoutDeleting) {
    ChapterServer server({"--pop3-timeout", "1s"});
    add_user(server, "alice@localhost", "secret");
    deliver(server, "alice", 1);
    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK"));
    EXPECT_EQ(ask(client, "DELE 1"), "+OK Message 1 deleted");
    EXPECT_FALSE(client.read_line(5s)); // RFC 1939 3: closed without a response
    EXPECT_TRUE(client.wait_closed());
    EXPECT_EQ(files_in(mailbox(server, "alice") / "new").size(), 1U);
}

// A client trickling a byte at a time never finishes a command: logged out all the same.
TEST(Pop3Limits, TricklingClientIsLoggedOutAtTheTimeout) {
    ChapterServer server({"--pop3-timeout", "1s"});
    add_user(server, "alice@localhost", "secret");
    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK"));
    for (int i = 0; i < 50 && !client.closed(); ++i) {
        client.send("N");
        client.read_line(100ms);
    }
    EXPECT_TRUE(client.closed()) << "still connected after 5 s of trickling";
}

TEST(Pop3Limits, ConnectionsPastTheLimitAreTurnedAway) {
    ChapterServer server({"--max-connections", "1"});
    Pop3Client first(server);
    LineClient second(server.port("pop3"));
    EXPECT_EQ(second.read_line(), "-ERR [SYS/TEMP] Too many connections, try again later");
    EXPECT_TRUE(second.wait_closed());
    EXPECT_EQ(ask(first, "NOOP"), "-ERR Log in first");
}

// --max-connections-per-address counts SMTP and POP3 together: a host holding SMTP sessions
// cannot also take the POP3 places, while another address (127.0.0.2) still gets in.
TEST(Pop3Limits, ConnectionsPerAddressCountSmtpAndPop3Together) {
    ChapterServer server({"--max-connections-per-address", "3"});
    LineClient smtp_first(server.port("smtp")), smtp_second(server.port("smtp"));
    ASSERT_EQ(smtp::tests::read_reply(smtp_first).code, 220);
    ASSERT_EQ(smtp::tests::read_reply(smtp_second).code, 220);
    Pop3Client pop3(server);
    LineClient refused(server.port("pop3"));
    EXPECT_EQ(refused.read_line(), "-ERR [SYS/TEMP] Too many connections, try again later");
    EXPECT_TRUE(refused.wait_closed());
    LineClient elsewhere(server.port("pop3"), "127.0.0.1", "127.0.0.2");
    EXPECT_TRUE(elsewhere.read_line().value_or("").starts_with("+OK")); // the greeting
    EXPECT_EQ(ask(pop3, "NOOP"), "-ERR Log in first"); // the clients inside go on

    smtp_first.close(); // a place is free once the server has seen an SMTP client leave
    EXPECT_TRUE(smtp::tests::eventually([&] {
        LineClient next(server.port("pop3"));
        return next.read_line().value_or("").starts_with("+OK");
    }));
}

// Shutdown: a session in progress is told, its deletions are not applied, the server exits 0.
TEST(Pop3Limits, ShutdownEndsSessionsWithoutDeleting) {
    ChapterServer server({"--shutdown-grace", "1s"});
    add_user(server, "alice@localhost", "secret");
    deliver(server, "alice", 1);
    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK"));
    EXPECT_EQ(ask(client, "DELE 1"), "+OK Message 1 deleted");
    server.process().send_signal(SIGTERM);
    EXPECT_EQ(client.read_line(5s), "-ERR [SYS/TEMP] Server shutting down");
    EXPECT_TRUE(client.wait_closed());
    // Wait, not stop(): a second SIGTERM could reach the server as it exits and kill it.
    EXPECT_EQ(server.process().wait(), 0);
    EXPECT_EQ(files_in(mailbox(server, "alice") / "new").size(), 1U);
}

TEST(Pop3Accounts, MaildirAndLockArePrivate) {
    ChapterServer server;
    add_user(server, "alice@localhost", "secret");
    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK")); // creates the empty maildrop
    for (const char* directory : {"", "new", "cur", "tmp"}) {
        EXPECT_EQ(mode_of(mailbox(server, "alice") / directory), 0700U) << directory;
    }
    EXPECT_EQ(mode_of(mailbox(server, "alice") / "pop3.lock"), 0600U);
}

// A big message goes out whole, CRLF lines, dot-stuffed, and exactly the size LIST announced.
TEST(Pop3Limits, BigMessageIsRetrievedWhole) {
    ChapterServer server;
    add_user(server, "alice@localhost", "secret");
    fs::create_directories(mailbox(server, "alice") / "new");
    std::string text = "Subject: big\n\n";
    while (text.size() < 8'000'000) {
        text += ".a line starting with a dot, and some more text to make it longer than most\n";
    }
    std::ofstream(mailbox(server, "alice") / "new" / "1700000000.M1P1.test", std::ios::binary) << text;
    std::size_t lines = std::count(text.begin(), text.end(), '\n');

    Pop3Client client(server);
    ASSERT_TRUE(client.login("alice", "secret").starts_with("+OK"));
    EXPECT_EQ(ask(client, "LIST 1"), "+OK 1 " + std::to_string(text.size() + lines));
    EXPECT_EQ(ask(client, "RETR 1"), "+OK " + std::to_string(text.size() + lines) + " octets");
    std::size_t received = 0;
    std::size_t received_lines = 0;
    for (auto line = client.read_line(); line && *line != "."; line = client.read_line()) {
        received += line->size() + 2 - (line->starts_with("..") ? 1 : 0); // unstuffed, with CRLF
        ++received_lines;
    }
    EXPECT_EQ(received_lines, lines);
    EXPECT_EQ(received, text.size() + lines);
}

// `user add` takes no password a client could not send: PASS and it fit in 255 octets.
TEST(Pop3Accounts, LongestPasswordStillFitsInAPassCommand) {
    ChapterServer server;
    std::string longest(248, 'p');
    add_user(server, "alice@localhost", longest);
    EXPECT_EQ(user_command(server, {"add", "bob@localhost"}, longest + "p\n").exit_code, 1);
    Pop3Client client(server);
    EXPECT_TRUE(client.login("alice@localhost", longest).starts_with("+OK Logged in"));
}
