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

// SIGTERM twice while a session waits for a disk job that outlasts the goodbye time (5 s):
// the server gives up on the session, yet run() returns only after the job has ended, so a
// program may destroy what disk jobs use (the relay's queue) as soon as run() returns.
TEST(Server, NoDiskJobRunsAfterRunReturns) {
    mailsteps::ServerOptions options;
    options.threads = 1;
    options.shutdown_grace = std::chrono::minutes(1); // only the second signal ends the session
    mailsteps::Server server(options);
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    auto endpoint = server.listen("test", 0, "busy\r\n", [&](mailsteps::LineStream&) -> asio::awaitable<void> {
        co_await server.disk().run([&] {
            started = true;
            std::this_thread::sleep_for(8s);
            finished = true;
            return true;
        });
    });
    std::thread client([&] {
        mailsteps::testing::LineClient connection(endpoint.port());
        while (!started) {
            std::this_thread::sleep_for(10ms);
        }
        ::kill(::getpid(), SIGTERM); // stop accepting; sessions get --shutdown-grace
        // Two signals at once would be one: the second goes only once the server has closed
        // its listener, that is, once it has handled the first.
        for (bool listening = true; listening; std::this_thread::sleep_for(10ms)) {
            try {
                mailsteps::testing::LineClient probe(endpoint.port());
            } catch (const std::system_error&) {
                listening = false;
            }
        }
        ::kill(::getpid(), SIGTERM); // stop them now
    });
    EXPECT_EQ(server.run(), 0);
    EXPECT_TRUE(finished) << "run() returned while a disk job was still running";
    client.join();
}
