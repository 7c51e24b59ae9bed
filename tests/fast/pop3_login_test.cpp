// Chapter 26: checking a password (crypt(3), slow on purpose) runs on a disk thread, so the
// network thread goes on answering other sessions meanwhile.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

using namespace mailsteps::testing;

namespace {

void add_user(ChapterServer& server, const std::string& address) {
    auto result = run(chapter_program(), {"user", "add", address, "--users", (server.dir() / "users").string()},
                      "secret\n");
    ASSERT_EQ(result.exit_code, 0) << address << ": " << result.out << result.err;
}

// Sends one command and returns the first line of the answer ("" if none came).
std::string ask(LineClient& client, const std::string& line) {
    client.send_line(line);
    return client.read_line().value_or("");
}

// crypt(3) takes tens of milliseconds of CPU (about 30 here): with one network thread, another
// session is answered again and again while a password is checked (50 to 100 NOOPs here). When
// it ran on the network thread (chapter 25), it held every answer back until it ended, and only
// 4 to 6 NOOPs fitted between its end and the login's answer. On a machine busy with other
// tests the count can dip (19 once in CI), so alice logs in up to three times and the best
// count counts.
TEST(Pop3Logins, OtherSessionsAreAnsweredWhileAPasswordIsChecked) {
    ChapterServer server({"--threads", "1"});
    add_user(server, "alice@localhost");
    add_user(server, "bob@localhost");
    LineClient bob(server.port("pop3"));
    ASSERT_TRUE(bob.read_line().value_or("").starts_with("+OK"));
    ASSERT_EQ(ask(bob, "USER bob"), "+OK Send PASS");
    ASSERT_TRUE(ask(bob, "PASS secret").starts_with("+OK Logged in"));

    int best = 0;
    for (int attempt = 0; attempt < 3 && best < 20; ++attempt) {
        LineClient alice(server.port("pop3"));
        ASSERT_TRUE(alice.read_line().value_or("").starts_with("+OK"));
        ASSERT_EQ(ask(alice, "USER alice"), "+OK Send PASS");
        alice.send_line("PASS secret");
        int answered = 0;
        std::optional<std::string> logged_in;
        while (!(logged_in = alice.read_line(std::chrono::milliseconds(0)))) {
            ASSERT_EQ(ask(bob, "NOOP"), "+OK Nothing happened");
            ++answered;
        }
        ASSERT_TRUE(logged_in->starts_with("+OK Logged in")) << *logged_in;
        ASSERT_TRUE(ask(alice, "QUIT").starts_with("+OK"));
        ASSERT_TRUE(alice.wait_closed()); // the maildrop is free again for the next attempt
        best = std::max(best, answered);
    }
    EXPECT_GE(best, 20);
}

}  // namespace
