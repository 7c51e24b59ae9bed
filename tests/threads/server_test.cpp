// The server runtime in this process: what run() promises the program that calls it.
#include "server.hpp"
#include "shared/testing/client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;
using mailsteps::LineStream;
using Read = LineStream::ReadStatus;

namespace {

// Sends SIGTERM to this process once `ready` is set, then waits until the listener on `port`
// is closed, which shows the server has handled the signal.
void signal_when(const std::atomic<bool>& ready, std::uint16_t port) {
    while (!ready) {
        std::this_thread::sleep_for(10ms);
    }
    ::kill(::getpid(), SIGTERM);
    for (bool listening = true; listening; std::this_thread::sleep_for(10ms)) {
        try {
            mailsteps::testing::LineClient probe(port);
        } catch (const std::system_error&) {
            listening = false;
        }
    }
}

} // namespace

TEST(Server, RunReturnsZeroOnSigtermWithoutSessions) {
    mailsteps::ServerOptions options;
    options.threads = 2;
    mailsteps::Server server(options);
    auto endpoint = server.listen("test", 0, "busy\r\n", [](LineStream&) -> asio::awaitable<void> { co_return; });
    std::atomic<bool> ready{true};
    std::thread signaller([&] { signal_when(ready, endpoint.port()); });
    EXPECT_EQ(server.run(), 0);
    signaller.join();
}

// A session waiting for a line when the grace period ends is told: its read returns `stopped`,
// and it may still say goodbye before run() returns.
TEST(Server, ASessionStillReadingAfterTheGraceIsStopped) {
    mailsteps::ServerOptions options;
    options.threads = 2;
    options.shutdown_grace = 300ms;
    mailsteps::Server server(options);
    std::atomic<bool> reading{false};
    std::optional<Read> last_read;
    auto endpoint = server.listen("test", 0, "busy\r\n", [&](LineStream& client) -> asio::awaitable<void> {
        reading = true;
        auto [status, line] = co_await client.read_line(1000, std::chrono::minutes(1));
        last_read = status;
        co_await client.write("goodbye\r\n");
    });
    std::optional<std::string> goodbye;
    std::thread client([&] {
        mailsteps::testing::LineClient connection(endpoint.port());
        std::thread signaller([&] { signal_when(reading, endpoint.port()); });
        goodbye = connection.read_line(10s);
        signaller.join();
    });
    EXPECT_EQ(server.run(), 0);
    client.join();
    EXPECT_EQ(last_read, Read::stopped);
    EXPECT_EQ(goodbye, "goodbye");
}
