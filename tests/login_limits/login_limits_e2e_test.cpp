// Login limits end to end: the delay after a wrong password, the cap per connection, the cap per
// client address across connections, and --demo's account.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "user_command/user_testing.hpp"
#include "smtp/smtp_testing.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

using namespace mailsteps::testing;
using namespace pop3::tests;
namespace fs = std::filesystem;

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

// A wrong password is answered only after --login-failure-delay: guessing is slow.
TEST(Pop3Logins, WrongPasswordIsAnsweredAfterTheDelay) {
    ChapterServer server({"--login-failure-delay", "500ms"});
    add_user(server, "alice@localhost", "secret");
    Pop3Client client(server);
    ASSERT_EQ(ask(client, "USER alice@localhost"), "+OK Send PASS");
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(ask(client, "PASS wrong"), "-ERR [AUTH] Invalid user name or password");
    EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
    EXPECT_TRUE(client.login("alice@localhost", "secret").starts_with("+OK Logged in"));
}

TEST(Pop3Logins, TooManyFailuresCloseTheConnection) {
    ChapterServer server({"--login-failure-delay", "10ms"});
    add_user(server, "alice@localhost", "secret");
    Pop3Client client(server);
    EXPECT_EQ(client.login("alice", "one"), "-ERR [AUTH] Invalid user name or password");
    EXPECT_EQ(client.login("alice", "two"), "-ERR [AUTH] Invalid user name or password");
    EXPECT_EQ(client.login("alice", "three"), "-ERR [AUTH] Invalid user name or password; too many failures, closing");
    EXPECT_TRUE(client.wait_closed());
}

// Guessing from connection after connection: after --max-address-failures the address may not
// log in at all, not even with the right password, until --address-failure-window has passed.
TEST(Pop3Logins, FailuresAcrossConnectionsAreCappedPerAddress) {
    ChapterServer server({"--login-failure-delay", "10ms", "--max-login-failures", "2", "--max-address-failures", "5",
                          "--address-failure-window", "6s"}); // five crypt(3) checks fit even on a busy machine
    add_user(server, "alice@localhost", "secret");
    auto window_start = std::chrono::steady_clock::now();
    for (int connection = 0; connection < 2; ++connection) {
        Pop3Client client(server);
        EXPECT_EQ(client.login("alice", "guess"), "-ERR [AUTH] Invalid user name or password");
        EXPECT_TRUE(client.login("alice", "guess").ends_with("too many failures, closing"));
    }
    {
        Pop3Client client(server);
        EXPECT_EQ(client.login("alice", "guess"), "-ERR [AUTH] Invalid user name or password"); // the fifth
        EXPECT_EQ(client.login("alice", "secret"), "-ERR [SYS/TEMP] Too many failed logins from your address, try again later");
        EXPECT_TRUE(client.wait_closed());
    }
    EXPECT_NE(server.log().find("user=alice status=throttled"), std::string::npos) << server.log();
    std::this_thread::sleep_until(window_start + 7s); // the window runs from the first failure, a little later
    Pop3Client client(server);
    EXPECT_TRUE(client.login("alice", "secret").starts_with("+OK Logged in"));
}

// Guesses sent all at once from one address: each takes one of the address's attempts before
// its password is checked, so exactly --max-address-failures are checked and the rest refused.
// (When failures were counted only after the check, all sixty were checked.)
TEST(Pop3Logins, GuessesSentAtOnceAreCappedPerAddressToo) {
    constexpr int clients = 60;
    constexpr int limit = 5;
    ChapterServer server({"--login-failure-delay", "10ms", "--max-address-failures", std::to_string(limit),
                          "--max-connections-per-address", std::to_string(clients)});
    add_user(server, "alice@localhost", "secret");
    std::vector<std::unique_ptr<Pop3Client>> guessers;
    for (int i = 0; i < clients; ++i) {
        guessers.push_back(std::make_unique<Pop3Client>(server)); // connected and greeted
    }
    for (auto& guesser : guessers) {
        guesser->send("USER alice\r\nPASS guess\r\n"); // RFC 2449 6.6: pipelined, nobody waits
    }
    int checked = 0;
    int refused = 0;
    for (auto& guesser : guessers) {
        EXPECT_EQ(guesser->read_line(), "+OK Send PASS");
        auto answer = guesser->read_line().value_or("(nothing)");
        if (answer == "-ERR [AUTH] Invalid user name or password") {
            ++checked;
        } else if (answer == "-ERR [SYS/TEMP] Too many failed logins from your address, try again later") {
            ++refused;
        } else {
            ADD_FAILURE() << answer;
        }
    }
    EXPECT_EQ(checked, limit);
    EXPECT_EQ(refused, clients - limit);
}

// --demo makes its account the first time only; started again on the same files it finds the
// account there, even when --domain is not in lowercase, as the users file is.
TEST(Pop3Accounts, DemoStartsAgainOnTheSameFilesWhateverTheDomainsCase) {
    TempDir files;
    const std::vector<std::string> args{"--demo", "--domain", "Example.test", "--users", (files.path() / "users").string(),
                                        "--maildir-root", (files.path() / "mail").string()};
    for (int start = 1; start <= 2; ++start) {
        ChapterServer server(args);
        ASSERT_NE(server.port("pop3"), 0) << "start " << start << ":\n" << server.log();
        Pop3Client client(server);
        EXPECT_TRUE(client.login("demo", "demo").starts_with("+OK Logged in, 3 messages")) << "start " << start;
        EXPECT_TRUE(ask(client, "QUIT").starts_with("+OK"));
    }
}
