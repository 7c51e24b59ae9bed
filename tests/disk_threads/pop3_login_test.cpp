// POP3 logins with crypt(3) off the network threads: the optimization chapter's disk threads.
// In the plain chapters (20 to 24) a password is checked on the session's own thread, so with
// --threads 1 every other session waits for it; this test holds the optimization to its promise.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "user_command/user_testing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

using namespace mailsteps::testing;
using namespace pop3::tests;

namespace {

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

// crypt(3) takes tens of milliseconds of CPU (about 30 here) and runs on a disk thread: with one
// network thread, another session is answered again and again while a password is checked
// (50 to 100 NOOPs here). When it ran on the network thread, it held every answer back until
// it ended, and only 4 to 6 NOOPs fitted between its end and the login's answer. On a machine
// busy with other tests the count can dip (19 once in CI), so alice logs in up to three times
// and the best count counts.
TEST(Pop3Logins, OtherSessionsAreAnsweredWhileAPasswordIsChecked) {
    ChapterServer server({"--threads", "1"});
    add_user(server, "alice@localhost", "secret");
    add_user(server, "bob@localhost", "secret");
    Pop3Client bob(server);
    ASSERT_TRUE(bob.login("bob", "secret").starts_with("+OK Logged in"));

    int best = 0;
    for (int attempt = 0; attempt < 3 && best < 20; ++attempt) {
        Pop3Client alice(server);
        ASSERT_EQ(ask(alice, "USER alice"), "+OK Send PASS");
        alice.send_line("PASS secret");
        int answered = 0;
        std::optional<std::string> logged_in;
        while (!(logged_in = alice.read_line(0ms))) {
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
