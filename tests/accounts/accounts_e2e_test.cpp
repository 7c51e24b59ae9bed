// The users file end to end: the real server, an SMTP client, and the file edited underneath.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "shared/testing/temp_dir.hpp"
#include "smtp/smtp_testing.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace mailsteps::testing;

namespace {

// Writes the users file the chapter's TEST_ARGS name, as an administrator's editor would: the
// whole file anew (the hash is not checked until POP3 logins come).
void write_users(const ChapterServer& server, const std::string& text) {
    auto temporary = server.dir() / "users.new";
    std::ofstream(temporary) << text;
    std::filesystem::rename(temporary, server.dir() / "users");
}

} // namespace

// RFC 5321 4.5.1 and 3.6.2: once accounts exist, mail for anyone else local is refused at
// RCPT, except postmaster, which must always work.
TEST(Accounts, UnknownLocalRecipientsAreRefusedOnceAccountsExist) {
    ChapterServer server;
    LineClient smtp(server.port("smtp"));
    ASSERT_EQ(smtp::tests::read_reply(smtp).code, 220);
    ASSERT_EQ(smtp::tests::command(smtp, "HELO test.example").code, 250);
    ASSERT_EQ(smtp::tests::command(smtp, "MAIL FROM:<a@example.test>").code, 250);
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<bob@localhost>").code, 250); // no accounts yet: anyone
    ASSERT_EQ(smtp::tests::command(smtp, "RSET").code, 250);

    write_users(server, "alice@localhost:$y$j9T$hash\n");
    ASSERT_EQ(smtp::tests::command(smtp, "MAIL FROM:<a@example.test>").code, 250);
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<bob@localhost>").last(),
              "550 5.1.1 <bob@localhost>: no such user here");
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<Alice@LOCALHOST>").code, 250);
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<postmaster@localhost>").code, 250);
    EXPECT_EQ(smtp::tests::command(smtp, "RCPT TO:<Postmaster>").code, 250);
}

// A users file the server cannot read stops it at start-up, naming the line.
TEST(Accounts, AMalformedUsersFileIsAStartUpFailure) {
    TempDir dir;
    std::ofstream(dir.path() / "users") << "alice@localhost:$y$hash\nbob@localhost\n";
    auto result = run(chapter_program(), {"--users", (dir.path() / "users").string(), "--smtp-port", "0",
                                          "--maildir-root", (dir.path() / "mail").string()});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("line 2: expected address:hash"), std::string::npos) << result.err;
}
