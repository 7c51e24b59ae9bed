// Requests by mail end to end (chapter 35 onwards): a subscriber here and one elsewhere
// (aiosmtpd, found through dnsmasq) each ask to join with smtplib, the test finds the
// confirmation where it was delivered and answers it with smtplib, as a person replying would;
// then the same to leave.
#include "lists/list_testing.hpp"
#include "relay/relay_e2e_testing.hpp"
#include "user_command/user_testing.hpp"

#include <set>

namespace {

using lists::tests::list_command;

const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";

std::string subject_of(const std::string& message) {
    auto at = message.find("\nSubject: ") + 10;
    return message.substr(at, message.find_first_of("\r\n", at) - at);
}

struct ListRequests : ::testing::Test {
    Dnsmasq dns{zone};
    FakeMx mx{"127.0.0.2", 0, ""};
    ChapterServer server{{"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port)}};

    void SetUp() override {
        pop3::tests::add_user(server, "alice@localhost", "tulip-7-Sky");
        ASSERT_EQ(list_command(server, {"create", "club@localhost"}).exit_code, 0);
    }

    void mail_request(const std::string& from, const std::string& subject) {
        auto sent = run("/usr/bin/python3", {smtplib_client, std::to_string(server.port("smtp")), from,
                                             "club-request@localhost"},
                        crlf("From: " + from + "\nSubject: " + subject + "\n\n"));
        ASSERT_EQ(sent.exit_code, 0) << sent.err << server.log();
    }

    std::string members() { return list_command(server, {"members", "club@localhost"}).out; }

    // The one message that has come to Alice since the last call. (Maildir names do not sort by
    // time: the microseconds in them have no leading zeros.)
    std::string alices_next() {
        std::vector<fs::path> arrived;
        for (const auto& file : new_messages(mailbox(server, "alice"))) {
            if (seen_.insert(file).second) {
                arrived.push_back(file);
            }
        }
        EXPECT_EQ(arrived.size(), 1U);
        return arrived.empty() ? "" : read_file(arrived.front());
    }

private:
    std::set<fs::path> seen_;
};

} // namespace

TEST_F(ListRequests, ALocalAddressSubscribesAndUnsubscribesByMail) {
    mail_request("alice@localhost", "subscribe");
    auto confirmation = alices_next();
    ASSERT_TRUE(subject_of(confirmation).starts_with("confirm ")) << confirmation;
    EXPECT_NE(confirmation.find("Return-Path: <club-bounces@localhost>\n"), std::string::npos) << confirmation;
    EXPECT_NE(confirmation.find("\nFrom: club-request@localhost\n"), std::string::npos);
    EXPECT_EQ(members(), ""); // not yet

    mail_request("alice@localhost", "Re: " + subject_of(confirmation)); // her client's reply
    EXPECT_EQ(subject_of(alices_next()), "Welcome to club@localhost");
    EXPECT_EQ(members(), "alice@localhost\n");

    // Posts now reach her, with the headers that say how to leave.
    ASSERT_EQ(send(server.port("smtp"), "dave@sender.test", "club@localhost", text).code, 250);
    auto post = alices_next();
    EXPECT_NE(post.find("\nList-Unsubscribe: <mailto:club-request@localhost?subject=unsubscribe>\n"),
              std::string::npos) << post;
    EXPECT_NE(post.find("\nList-Help: <mailto:club-request@localhost?subject=help>\n"), std::string::npos);
    EXPECT_NE(post.find("\nList-Subscribe: <mailto:club-request@localhost?subject=subscribe>\n"), std::string::npos);

    mail_request("alice@localhost", "unsubscribe");
    mail_request("alice@localhost", "Re: " + subject_of(alices_next()));
    EXPECT_EQ(subject_of(alices_next()), "You have left club@localhost");
    EXPECT_EQ(members(), "");
}

// A subscriber elsewhere: the confirmation leaves through the relay, and the test answers the
// copy aiosmtpd received.
TEST_F(ListRequests, AnAddressElsewhereSubscribesThroughTheRelay) {
    mail_request("carol@example.test", "subscribe");
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    EXPECT_EQ(read_file(mx.dir.path() / "envelope-1"), "club-bounces@localhost\ncarol@example.test\ntls=none\n");
    auto confirmation = read_file(mx.dir.path() / "message-1");
    ASSERT_TRUE(subject_of(confirmation).starts_with("confirm ")) << confirmation;
    mail_request("carol@example.test", "Re: " + subject_of(confirmation));
    EXPECT_EQ(members(), "carol@example.test\n");
    ASSERT_TRUE(eventually([&] { return mx.received() == 2; })) << server.log();
    EXPECT_EQ(subject_of(read_file(mx.dir.path() / "message-2")), "Welcome to club@localhost");
}

// A forged confirmation changes nothing, bounces are refused at RCPT (nothing answers them),
// and a request address exists only beside a list.
TEST_F(ListRequests, ForgedTokensBouncesAndUnknownListsChangeNothing) {
    mail_request("alice@localhost", "confirm 0123456789abcdef0123456789abcdef");
    auto answer = alices_next();
    EXPECT_NE(answer.find("unknown or older than 3 days"), std::string::npos) << answer;
    mail_request("alice@localhost", "confirm ../../../users");
    EXPECT_EQ(members(), "");
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<>");
    EXPECT_EQ(command(client, "RCPT TO:<club-request@localhost>").last(),
              "550 5.7.1 <club-request@localhost> takes no bounces");
    command(client, "RSET");
    command(client, "MAIL FROM:<alice@localhost>");
    EXPECT_EQ(command(client, "RCPT TO:<nolist-request@localhost>").code, 550);
    // The sender becomes the member: it must be a plain address, with nothing to confuse the
    // file that keeps the request.
    command(client, "RSET");
    command(client, "MAIL FROM:<\"victim@example.org 99999999999\"@sender.test>");
    EXPECT_EQ(command(client, "RCPT TO:<club-request@localhost>").last(),
              "550 5.1.7 <club-request@localhost> takes requests from plain addresses only");
}
