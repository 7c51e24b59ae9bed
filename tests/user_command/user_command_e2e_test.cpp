// `mailserver user` end to end: the real binary edits the users file, and a running server sees
// the change at once.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "smtp/smtp_testing.hpp"
#include "user_command/user_testing.hpp"

#include <gtest/gtest.h>

using namespace mailsteps::testing;
using smtp::tests::mode_of;
using namespace pop3::tests;

TEST(UserCommand, ListsAndRefusesNonsense) {
    ChapterServer server;
    add_user(server, "bob@localhost", "b");
    add_user(server, "Alice@Localhost", "a");
    auto list = user_command(server, {"list"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(list.out, "alice@localhost\nbob@localhost\n");

    EXPECT_EQ(user_command(server, {"add", "alice@localhost"}, "again\n").exit_code, 1); // exists
    EXPECT_EQ(user_command(server, {"add", "no-at-sign"}, "x\n").exit_code, 1);
    EXPECT_EQ(user_command(server, {"add", "../etc@localhost"}, "x\n").exit_code, 1);
    EXPECT_EQ(user_command(server, {"add", "carol@localhost"}, "\n").exit_code, 1); // empty password
    EXPECT_EQ(user_command(server, {"remove", "carol@localhost"}).exit_code, 1);
    EXPECT_EQ(user_command(server, {"frobnicate"}).exit_code, 2);

    // Only hashes are stored, in a file only the server's user can read.
    std::string file = smtp::tests::read_file(users_file(server));
    EXPECT_EQ(file.find(":a\n"), std::string::npos) << file;
    EXPECT_NE(file.find("alice@localhost:$"), std::string::npos) << file;
    EXPECT_EQ(mode_of(users_file(server)), 0600U);
}

// The running server re-reads the users file: an account added or removed with `mailserver user`
// gets mail, or stops getting it, without a restart.
TEST(UserCommand, AccountsAddedAndRemovedWhileRunningTakeEffect) {
    ChapterServer server;
    add_user(server, "alice@localhost", "secret");
    LineClient smtp(server.port("smtp"));
    ASSERT_EQ(smtp::tests::read_reply(smtp).code, 220);
    ASSERT_EQ(smtp::tests::command(smtp, "HELO test.example").code, 250);
    ASSERT_EQ(smtp::tests::command(smtp, "MAIL FROM:<a@example.test>").code, 250);
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<bob@localhost>").code, 550);

    add_user(server, "bob@localhost", "secret");
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<bob@localhost>").code, 250);

    auto removed = user_command(server, {"remove", "alice@localhost"});
    EXPECT_EQ(removed.exit_code, 0) << removed.err;
    EXPECT_EQ(removed.out, "removed alice@localhost\n");
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<alice@localhost>").code, 550);
}
