// A list's posts end to end (chapter 34 onwards): the List-* headers in every member's copy, read
// with poplib; members-only lists refusing others at RCPT, as smtplib sees it; and posts that
// have been through the list before not sent out again.
#include "lists/list_testing.hpp"
#include "relay/relay_e2e_testing.hpp"
#include "user_command/user_testing.hpp"

namespace {

using lists::tests::list_command;

const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";
const std::string password = "tulip-7-Sky";

struct ListPosts : ::testing::Test {
    ChapterServer server;

    void SetUp() override {
        pop3::tests::add_user(server, "alice@localhost", password);
        pop3::tests::add_user(server, "bob@localhost", password);
    }

    void make_list(const std::string& list, const std::vector<std::string>& members, bool members_only = false) {
        auto created = members_only ? list_command(server, {"create", list, "--members-only"})
                                    : list_command(server, {"create", list});
        ASSERT_EQ(created.exit_code, 0) << created.err;
        for (const auto& member : members) {
            ASSERT_EQ(list_command(server, {"add", list, member}).exit_code, 0) << member;
        }
    }

    RunResult smtplib(const std::string& from, const std::string& to, const std::string& message) {
        return run("/usr/bin/python3", {smtplib_client, std::to_string(server.port("smtp")), from, to}, crlf(message));
    }

    std::size_t copies(const std::string& user) { return new_messages(mailbox(server, user)).size(); }
};

} // namespace

TEST_F(ListPosts, EveryCopyCarriesTheListsHeaders) {
    make_list("family@localhost", {"alice@localhost", "bob@localhost"});
    auto sent = smtplib("dave@sender.test", "family@localhost", "Subject: lunch\n\nSunday?\n");
    ASSERT_EQ(sent.exit_code, 0) << sent.err << server.log();
    auto poplib = lists::tests::poplib_retr(server.port("pop3"), "bob@localhost", password);
    ASSERT_EQ(poplib.exit_code, 0) << poplib.err;
    for (const char* header : {"\nList-Id: <family.localhost>\n", "\nList-Post: <mailto:family@localhost>\n",
                               "\nPrecedence: list\n", "\nX-Loop: family@localhost\n"}) {
        EXPECT_NE(poplib.out.find(header), std::string::npos) << header << poplib.out;
    }
    EXPECT_NE(poplib.out.find("X-Loop: family@localhost\nSubject: lunch\n\nSunday?"), std::string::npos) << poplib.out;
    EXPECT_EQ(copies("alice"), 1U);
}

// "Others get a clear bounce": refused at RCPT, so the poster's own server tells them why.
TEST_F(ListPosts, AMembersOnlyListRefusesOthers) {
    make_list("board@localhost", {"alice@localhost", "bob@localhost"}, true);
    auto refused = smtplib("dave@sender.test", "board@localhost", "Subject: hi\n\nlet me in\n");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("550 5.7.2 <board@localhost> takes posts from its members only"), std::string::npos)
        << refused.err;
    auto accepted = smtplib("Alice@Localhost", "board@localhost", "Subject: minutes\n\nattached\n");
    EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
    EXPECT_EQ(copies("bob"), 1U);
    // An open list takes anyone, but no list takes the null sender: bounces go to NAME-bounces@.
    make_list("open@localhost", {"bob@localhost"});
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<>");
    EXPECT_EQ(command(client, "RCPT TO:<open@localhost>").last(),
              "550 5.7.1 <open@localhost> takes no bounces: they go to <open-bounces@localhost>");
}

// A post that has been through the list before (its List-Id, or its X-Loop) is not sent out
// again: a member's server forwarding it back, or a forged List-Id, cannot make it go round.
TEST_F(ListPosts, APostThatHasBeenThroughTheListIsNotSentAgain) {
    make_list("family@localhost", {"alice@localhost", "bob@localhost"});
    ASSERT_EQ(smtplib("dave@sender.test", "family@localhost", "Subject: lunch\n\nSunday?\n").exit_code, 0);
    auto copy = read_file(new_messages(mailbox(server, "alice")).front());
    auto returned = copy.substr(copy.find("\nList-Id:") + 1); // the copy as a member's server would send it back
    ASSERT_EQ(smtplib("alice@localhost", "family@localhost", returned).exit_code, 0);
    ASSERT_EQ(smtplib("mallory@sender.test", "family@localhost", "List-Id: forged <family.localhost>\n\nhi\n").exit_code, 0);
    ASSERT_EQ(smtplib("mallory@sender.test", "family@localhost", "x-loop: FAMILY@localhost\n\nhi\n").exit_code, 0);
    EXPECT_EQ(copies("alice"), 1U);
    EXPECT_EQ(copies("bob"), 1U);
    auto log = server.log();
    std::size_t refusals = 0;
    for (auto at = log.find("not sent: the message has been through this list before"); at != std::string::npos;
         at = log.find("not sent: the message has been through this list before", at + 1)) {
        ++refusals;
    }
    EXPECT_EQ(refusals, 3U) << log;
    // Another list's headers are no reason: a post from a club's list goes on.
    ASSERT_EQ(smtplib("dave@sender.test", "family@localhost", "List-Id: <club.example.test>\n\nhi\n").exit_code, 0);
    EXPECT_EQ(copies("bob"), 2U);
}

// A list among its own members, or two lists naming each other, send each post once.
TEST_F(ListPosts, AListThatContainsItselfSendsEachPostOnce) {
    make_list("a@localhost", {"alice@localhost", "a@localhost", "b@localhost"});
    make_list("b@localhost", {"bob@localhost", "a@localhost"});
    ASSERT_EQ(smtplib("dave@sender.test", "a@localhost", "Subject: round\n\nand round\n").exit_code, 0);
    EXPECT_EQ(copies("alice"), 1U);
    EXPECT_EQ(copies("bob"), 0U);
    EXPECT_FALSE(fs::exists(mailbox(server, "a")));
    EXPECT_FALSE(fs::exists(mailbox(server, "b")));
}
