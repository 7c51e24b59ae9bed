// Plays every MX dialog script of a topic: a scripted fake MX host on one side, the chapter's
// mail server relaying to it on the other. A script a student can read:
//
//   # comment (say which RFC rule the next steps check)
//   ! args: --retry-schedule 1s   extra command-line arguments for our server (without
//                                 --relay-network, the runner adds 127.0.0.1, where it submits from)
//   ! from: <>                    the sender of the message submitted (<alice@localhost> if none)
//   ! rcpt: bob@example.test      a recipient of the message submitted (bob@example.test if none)
//   ! expect: 250 *               what our server answers the end of DATA to the submitting client
//   ! log: *status=deferred*      a line our server's log must come to hold
//   M: 220 mx.example.test ESMTP  the fake MX sends this line and CRLF
//   R: EHLO *                     our relay client must send a line that matches; * matches any run
//   R: <closed>                   our relay client closes the connection
//   M: <close>                    the fake MX hangs up
//   M: <accept>                   the fake MX hangs up and waits for the next connection (a retry)
//
// The test submits one message (Subject: dialog, a body line starting with a dot) to our server
// from 127.0.0.1, which may relay; example.test's MX, in dnsmasq, is the fake MX.
#include "dns/dnsmasq.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/dialog.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

using namespace mailsteps::testing;
using namespace std::chrono_literals;

namespace {

struct MxStep {
    char who; // 'M' (the fake MX sends) or 'R' (our relay sends)
    std::string text;
    int line_number;
};

struct MxDialog {
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> recipients;
    std::string sender = "<alice@localhost>";
    std::string expect = "250 *";
    std::vector<std::string> logs;
    std::vector<MxStep> steps;
};

MxDialog load(const std::filesystem::path& path) {
    std::ifstream file(path);
    MxDialog dialog{path.filename().string(), {}, {}, "<alice@localhost>", "250 *", {}, {}};
    std::string line;
    for (int number = 1; std::getline(file, line); ++number) {
        auto rest = [&](std::size_t prefix) { return line.substr(std::min(line.size(), prefix)); };
        if (line.empty() || line.starts_with('#')) {
            continue;
        } else if (line.starts_with("! args: ")) {
            std::istringstream words(rest(8));
            for (std::string word; words >> word;) {
                dialog.args.push_back(word);
            }
        } else if (line.starts_with("! from: ")) {
            dialog.sender = rest(8);
        } else if (line.starts_with("! rcpt: ")) {
            dialog.recipients.push_back(rest(8));
        } else if (line.starts_with("! expect: ")) {
            dialog.expect = rest(10);
        } else if (line.starts_with("! log: ")) {
            dialog.logs.push_back(rest(7));
        } else if (line.starts_with("M: ") || line.starts_with("R: ")) {
            dialog.steps.push_back({line[0], rest(3), number});
        } else {
            throw std::runtime_error(dialog.name + ":" + std::to_string(number) + ": expected '#', '!', 'M:' or 'R:'");
        }
    }
    if (dialog.recipients.empty()) {
        dialog.recipients.push_back("bob@example.test");
    }
    return dialog;
}

// The fake MX host: listens on 127.0.0.1, takes one connection and plays the script's side.
class FakeMx {
public:
    FakeMx() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(listener_, 4) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
            throw std::runtime_error("the fake MX cannot listen");
        }
        port_ = ntohs(address.sin_port);
    }
    ~FakeMx() {
        ::close(listener_);
        if (client_ >= 0) {
            ::close(client_);
        }
    }
    std::uint16_t port() const { return port_; }

    // Each mismatch is returned as text naming the script line; empty when the script was played.
    std::string play(const MxDialog& dialog) {
        if (!wait_readable(listener_, 20s)) {
            return "our relay never connected";
        }
        client_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        for (const auto& step : dialog.steps) {
            std::string where = dialog.name + ":" + std::to_string(step.line_number) + ": ";
            if (step.who == 'M' && (step.text == "<close>" || step.text == "<accept>")) {
                ::close(std::exchange(client_, -1));
                buffer_.clear();
                if (step.text == "<accept>") {
                    if (!wait_readable(listener_, 20s)) {
                        return where + "our relay did not come back";
                    }
                    client_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
                }
            } else if (step.who == 'M') {
                std::string line = step.text + "\r\n";
                if (::send(client_, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
                    return where + "could not send '" + step.text + "'";
                }
            } else {
                auto line = read_line();
                if (step.text == "<closed>") {
                    if (line) {
                        return where + "expected our relay to close the connection, got '" + *line + "'";
                    }
                } else if (!line) {
                    return where + "expected '" + step.text + "', got nothing";
                } else if (!wildcard_match(step.text, *line)) {
                    return where + "expected '" + step.text + "', got '" + *line + "'";
                }
            }
        }
        return {};
    }

private:
    static bool wait_readable(int fd, std::chrono::milliseconds timeout) {
        pollfd poll_fd{fd, POLLIN, 0};
        return ::poll(&poll_fd, 1, static_cast<int>(timeout.count())) == 1;
    }

    std::optional<std::string> read_line() {
        for (;;) {
            if (auto end = buffer_.find("\r\n"); end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                return line;
            }
            char chunk[4096];
            if (!wait_readable(client_, 20s)) {
                return std::nullopt;
            }
            auto got = ::recv(client_, chunk, sizeof chunk, 0);
            if (got <= 0) {
                return std::nullopt;
            }
            buffer_.append(chunk, static_cast<std::size_t>(got));
        }
    }

    int listener_ = -1;
    int client_ = -1;
    std::uint16_t port_ = 0;
    std::string buffer_;
};

class MxDialogs : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(MxDialogs, Play) {
    MxDialog dialog = load(GetParam());
    dns::tests::Dnsmasq dns({"--mx-host=example.test,mx.example.test,10", "--host-record=mx.example.test,127.0.0.1"});
    FakeMx mx;
    std::vector<std::string> args{"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port())};
    if (std::find(dialog.args.begin(), dialog.args.end(), "--relay-network") == dialog.args.end()) {
        args.insert(args.end(), {"--relay-network", "127.0.0.1"}); // we submit from there
    }
    args.insert(args.end(), dialog.args.begin(), dialog.args.end());
    ChapterServer server(args);
    auto played = std::async(std::launch::async, [&] { return mx.play(dialog); });

    LineClient client(server.port("smtp"));
    std::string sent = "EHLO client.test\r\nMAIL FROM:" + dialog.sender + "\r\n";
    for (const auto& recipient : dialog.recipients) {
        sent += "RCPT TO:<" + recipient + ">\r\n";
    }
    client.send(sent + "DATA\r\n");
    std::optional<std::string> line;
    while ((line = client.read_line()) && !line->starts_with("354")) {
    }
    ASSERT_TRUE(line) << server.log();
    client.send("Subject: dialog\r\n\r\nHello.\r\n..a line starting with a dot\r\n.\r\n");
    auto reply = client.read_line(60s);
    ASSERT_TRUE(reply) << server.log();
    EXPECT_TRUE(wildcard_match(dialog.expect, *reply)) << "expected '" << dialog.expect << "', got '" << *reply
                                                       << "'\n" << server.log();
    client.send("QUIT\r\n");
    EXPECT_EQ(played.get(), "") << server.log();
    for (const auto& pattern : dialog.logs) {
        bool found = false;
        for (auto deadline = std::chrono::steady_clock::now() + 10s; !found && std::chrono::steady_clock::now() < deadline;
             std::this_thread::sleep_for(50ms)) {
            std::istringstream log(server.log());
            for (std::string entry; !found && std::getline(log, entry);) {
                found = wildcard_match(pattern, entry);
            }
        }
        EXPECT_TRUE(found) << "no log line matches '" << pattern << "'\n" << server.log();
    }
}

INSTANTIATE_TEST_SUITE_P(Script, MxDialogs, ::testing::ValuesIn(find_dialogs(MAILSTEPS_DIALOG_DIR)),
                         [](const auto& info) {
                             std::string name = info.param.stem().string();
                             for (char& c : name) {
                                 c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             }
                             return name;
                         });

} // namespace
