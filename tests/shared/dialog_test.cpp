// The dialog-script harness itself: if it matched too loosely, every dialog test would lie.
#include "shared/testing/dialog.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

using namespace mailsteps::testing;

TEST(Wildcard, MatchesLiterallyWithoutStar) {
    EXPECT_TRUE(wildcard_match("250 OK", "250 OK"));
    EXPECT_FALSE(wildcard_match("250 OK", "250 OK "));
    EXPECT_FALSE(wildcard_match("250 OK", "250"));
}

TEST(Wildcard, StarMatchesAnyRun) {
    EXPECT_TRUE(wildcard_match("250 *", "250 2.0.0 Ok"));
    EXPECT_TRUE(wildcard_match("250 *", "250 "));
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_TRUE(wildcard_match("5*5*", "555 5.5.4 x"));
    EXPECT_TRUE(wildcard_match("a*b*c", "a-b-b-c"));
    EXPECT_FALSE(wildcard_match("250 *", "251 x"));
    EXPECT_FALSE(wildcard_match("a*c", "abcd"));
}

namespace {

Dialog load_text(const std::string& text) {
    TempDir dir;
    auto path = dir.path() / "test.dialog";
    std::ofstream(path) << text;
    return load_dialog(path);
}

} // namespace

TEST(DialogScript, ParsesStepsArgsAndEscapes) {
    auto dialog = load_text("# comment\n! args: --a 1 --b\nC: hi\\tthere\nB: x\\r\\ny\\n\\x41\nS: 250 *\nS: <closed>\nS:\n"
                            "S*: 250-*\n");
    EXPECT_EQ(dialog.args, (std::vector<std::string>{"--a", "1", "--b"}));
    ASSERT_EQ(dialog.steps.size(), 6U);
    EXPECT_EQ(dialog.steps[0].text, "hi\tthere\r\n");
    EXPECT_EQ(dialog.steps[1].text, "x\r\ny\nA");
    EXPECT_EQ(dialog.steps[2].kind, DialogStep::Kind::expect_line);
    EXPECT_EQ(dialog.steps[2].text, "250 *");
    EXPECT_EQ(dialog.steps[2].line_number, 5);
    EXPECT_EQ(dialog.steps[3].kind, DialogStep::Kind::expect_closed);
    EXPECT_EQ(dialog.steps[4].text, "");
    EXPECT_EQ(dialog.steps[5].kind, DialogStep::Kind::expect_lines);
    EXPECT_EQ(dialog.steps[5].text, "250-*");
}

TEST(DialogScript, RefusesWhatItDoesNotUnderstand) {
    EXPECT_THROW(load_text("X: what\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: bad \\q escape\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: \\x4\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: \\xZZ\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: trailing \\\n"), std::runtime_error);
}

namespace {

// A server for one client: it sends `text`, then closes the connection.
class CannedServer {
public:
    explicit CannedServer(std::string text) : text_(std::move(text)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(listener_, 1), 0);
        EXPECT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            int client = ::accept(listener_, nullptr, nullptr);
            EXPECT_EQ(::write(client, text_.data(), text_.size()), static_cast<ssize_t>(text_.size()));
            ::close(client);
        });
    }
    ~CannedServer() {
        thread_.join();
        ::close(listener_);
    }
    CannedServer(const CannedServer&) = delete;
    CannedServer& operator=(const CannedServer&) = delete;

    std::uint16_t port() const { return port_; }

private:
    std::string text_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

// The failures playing `script` against a server that sends `text` reports.
std::vector<std::string> play(const std::string& script, const std::string& text) {
    auto dialog = load_text(script);
    CannedServer server(text);
    ::testing::TestPartResultArray failures;
    {
        ::testing::ScopedFakeTestPartResultReporter reporter(
            ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
        LineClient client(server.port());
        play_dialog(dialog, client);
    }
    std::vector<std::string> messages;
    for (int i = 0; i < failures.size(); ++i) {
        messages.push_back(failures.GetTestPartResult(i).message());
    }
    return messages;
}

} // namespace

TEST(DialogPlay, RepeatedLinesStopAtTheFirstOther) {
    const std::string script = "S: 250-localhost\nS*: 250-*\nS: 250 LAST\nS: <closed>\n";
    EXPECT_EQ(play(script, "250-localhost\r\n250-A\r\n250-B\r\n250 LAST\r\n"), std::vector<std::string>{});
    EXPECT_EQ(play(script, "250-localhost\r\n250 LAST\r\n"), std::vector<std::string>{}); // none is fine
}

TEST(DialogPlay, ALineNeitherStepMatchesFails) {
    auto failures = play("S*: 250-*\nS: 250 LAST\n", "250-A\r\n251 other\r\n");
    ASSERT_EQ(failures.size(), 1U);
    EXPECT_NE(failures[0].find("expected '250 LAST', got '251 other'"), std::string::npos) << failures[0];
}

TEST(DialogPlay, ALineLeftBeforeTheCloseFails) {
    auto failures = play("S*: 250-*\nS: <closed>\n", "250-A\r\n250 LAST\r\n");
    ASSERT_EQ(failures.size(), 1U);
    EXPECT_NE(failures[0].find("got '250 LAST'"), std::string::npos) << failures[0];
}
