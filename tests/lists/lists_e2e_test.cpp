// Mailing lists end to end (chapter 33 onwards): lists made with `mailserver list` while the real
// server runs, posts sent with smtplib and swaks, the members' copies read with poplib and curl,
// members elsewhere reached through the relay (aiosmtpd, found through dnsmasq).
#include "lists/list_testing.hpp"
#include "relay/relay_e2e_testing.hpp"
#include "user_command/user_testing.hpp"

#include <algorithm>
#include <fstream>
#include <set>

namespace {

using lists::tests::list_command;

const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";
const std::string password = "tulip-7-Sky";

void make_list(const ChapterServer& server, const std::string& list, const std::vector<std::string>& members) {
    auto created = list_command(server, {"create", list});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    for (const auto& member : members) {
        auto added = list_command(server, {"add", list, member});
        ASSERT_EQ(added.exit_code, 0) << added.err;
    }
}

// The chapter's server with accounts alice@ and bob@localhost, relaying to aiosmtpd.
struct Lists : ::testing::Test {
    Dnsmasq dns{zone};
    FakeMx mx{"127.0.0.2", 0, ""};
    ChapterServer server{{"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port)}};

    void SetUp() override {
        pop3::tests::add_user(server, "alice@localhost", password);
        pop3::tests::add_user(server, "bob@localhost", password);
    }
};

} // namespace

TEST_F(Lists, TheListCommandMakesAListTheRunningServerPostsTo) {
    make_list(server, "Family@Localhost", {"alice@localhost", "Bob@Localhost", "carol@example.test"});
    auto members = list_command(server, {"members", "family@localhost"});
    EXPECT_EQ(members.out, "alice@localhost\nbob@localhost\ncarol@example.test\n");

    auto sent = run("/usr/bin/python3", {smtplib_client, std::to_string(server.port("smtp")), "dave@sender.test",
                                         "family@localhost"},
                    crlf("Subject: Sunday lunch\n\nWho is coming?\n"));
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err << server.log();
    // RFC 5321 3.9.2: each copy comes from the list's bounces address, not from Dave.
    for (const char* user : {"alice", "bob"}) {
        auto files = new_messages(mailbox(server, user));
        ASSERT_EQ(files.size(), 1U) << user;
        EXPECT_TRUE(read_file(files[0]).starts_with("Return-Path: <family-bounces@localhost>\n")) << user;
    }
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    EXPECT_EQ(read_file(mx.dir.path() / "envelope-1"), "family-bounces@localhost\ncarol@example.test\ntls=none\n");

    // Bob reads his copy with poplib, Alice hers with curl.
    auto poplib = lists::tests::poplib_retr(server.port("pop3"), "bob@localhost", password);
    ASSERT_EQ(poplib.exit_code, 0) << poplib.err;
    EXPECT_NE(poplib.out.find("Subject: Sunday lunch\n\nWho is coming?"), std::string::npos) << poplib.out;
    auto curl = run("/usr/bin/curl", {"--silent", "--show-error", "--user", "alice@localhost:" + password,
                                      "pop3://127.0.0.1:" + std::to_string(server.port("pop3")) + "/1"});
    ASSERT_EQ(curl.exit_code, 0) << curl.err;
    EXPECT_NE(curl.out.find("Who is coming?"), std::string::npos) << curl.out;
}

// Members added and removed while the server runs count from the next post.
TEST_F(Lists, ChangesCountFromTheNextPost) {
    make_list(server, "club@localhost", {"alice@localhost"});
    auto swaks = [&] {
        return run("/usr/bin/swaks", {"--server", "127.0.0.1", "--port", std::to_string(server.port("smtp")),
                                      "--from", "dave@sender.test", "--to", "club@localhost", "--body", "news"});
    };
    ASSERT_EQ(swaks().exit_code, 0);
    ASSERT_EQ(list_command(server, {"add", "club@localhost", "bob@localhost"}).exit_code, 0);
    ASSERT_EQ(list_command(server, {"remove", "club@localhost", "alice@localhost"}).exit_code, 0);
    ASSERT_EQ(swaks().exit_code, 0);
    EXPECT_EQ(new_messages(mailbox(server, "alice")).size(), 1U);
    EXPECT_EQ(new_messages(mailbox(server, "bob")).size(), 1U);
    ASSERT_EQ(list_command(server, {"delete", "club@localhost"}).exit_code, 0);
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<dave@sender.test>");
    EXPECT_EQ(command(client, "RCPT TO:<club@localhost>").code, 550);
}

// A list of 10,000 members elsewhere is one queued message, handed to their MX host in one
// transaction with 10,000 recipients, not 10,000 copies.
TEST_F(Lists, TenThousandMembersAreOneQueuedMessage) {
    make_list(server, "big@localhost", {});
    std::string members;
    for (int i = 0; i < 10000; ++i) {
        members += "member" + std::to_string(i) + "@example.test\n";
    }
    {
        auto file = server.dir() / "lists" / "big@localhost" / "members";
        std::ofstream(file.string() + ".new") << members;
        fs::rename(file.string() + ".new", file);
    }
    ASSERT_EQ(send(server.port("smtp"), "dave@sender.test", "big@localhost", text).code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; }, 120s)) << server.log();
    auto envelope = read_file(mx.dir.path() / "envelope-1");
    EXPECT_EQ(std::count(envelope.begin(), envelope.end(), '\n'), 10002) << envelope.substr(0, 200);
    EXPECT_NE(server.log().find("list=<big@localhost> local=0 queued=10000 as "), std::string::npos);
    EXPECT_EQ(mx.received(), 1U);
}

// Bounces of the list's posts are mail for the list's bounces address; until a later chapter
// reads them, the postmaster gets them.
TEST_F(Lists, BouncesToTheListGoToThePostmaster) {
    make_list(server, "family@localhost", {"alice@localhost"});
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO mx1.example.test");
    ASSERT_EQ(send_message(client, "", {"family-bounces@localhost"}, "Subject: Undelivered\n\nno\n").code, 250);
    EXPECT_EQ(new_messages(mailbox(server, "postmaster")).size(), 1U);
    EXPECT_EQ(command(client, "MAIL FROM:<>").code, 250);
    EXPECT_EQ(command(client, "RCPT TO:<nolist-bounces@localhost>").code, 550);
}

// Names that could inject a header, climb out of the lists directory or confuse the command line
// are refused, each with the form expected.
TEST_F(Lists, TheListCommandRefusesUnsafeNamesAndMembers) {
    for (const char* bad : {"a\r\nBcc: x@example.test@localhost", "../x@localhost", "x@../etc", "a b@localhost",
                            "family-bounces@localhost"}) {
        auto result = list_command(server, {"create", bad});
        EXPECT_EQ(result.exit_code, 1) << bad;
        EXPECT_NE(result.err.find("is not a valid list address: expected name@domain"), std::string::npos) << result.err;
    }
    make_list(server, "family@localhost", {});
    auto result = list_command(server, {"add", "family@localhost", "not an address"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("'not an address' is not a valid address"), std::string::npos) << result.err;
    result = list_command(server, {"members", "nosuch@localhost"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("there is no list nosuch@localhost"), std::string::npos) << result.err;
    EXPECT_EQ(list_command(server, {"members", "family@localhost"}).out, "");
    // A path is no list, even where a members file waits at its end.
    fs::create_directories(server.dir() / "outside@localhost");
    std::ofstream(server.dir() / "outside@localhost" / "members") << "carol@example.test\n";
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<mallory@sender.test>");
    for (const std::string& path : std::vector<std::string>{"\"../outside\"@localhost",
                                                             (server.dir() / "outside@localhost").string(),
                                                             "\"family@localhost/../family\"@localhost"}) {
        EXPECT_NE(command(client, "RCPT TO:<" + path + ">").code, 250) << path;
    }
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(server.dir() / "lists")) {
        names.insert(entry.path().filename().string());
    }
    EXPECT_EQ(names, (std::set<std::string>{".lock", "family@localhost"}));
}
