// The echo server on threads, and its graceful shutdown (chapter 04 onwards), end to end.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

using namespace mailsteps::testing;
using namespace std::chrono_literals;

TEST(Echo, HundredConcurrentClientsOnFourThreads) {
    // All from 127.0.0.1: past the default --max-connections-per-address, 50.
    ChapterServer server({"--threads", "4", "--max-connections-per-address", "100"});
    auto port = server.port("echo");
    std::vector<std::unique_ptr<LineClient>> clients;
    for (int i = 0; i < 100; ++i) {
        clients.push_back(std::make_unique<LineClient>(port));
    }
    // Every client talks at once, from its own thread; each must get exactly its own lines.
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 100; ++i) {
        threads.emplace_back([&, i] {
            for (int round = 0; round < 50; ++round) {
                std::string line = "client " + std::to_string(i) + " round " + std::to_string(round);
                clients[i]->send_line(line);
                if (clients[i]->read_line() != line) {
                    ++mismatches;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(mismatches, 0);
}

TEST(Echo, SigtermWithClientsConnectedExitsZero) {
    ChapterServer server({"--shutdown-grace", "1s"});
    LineClient client(server.port("echo"));
    client.send_line("before");
    ASSERT_EQ(client.read_line(), "before");
    server.process().send_signal(SIGTERM);
    // During the grace period the session goes on...
    client.send_line("during");
    EXPECT_EQ(client.read_line(), "during");
    // ...and then the server closes it and exits cleanly.
    EXPECT_TRUE(client.wait_closed(5s));
    EXPECT_EQ(server.process().wait(), 0) << server.log();
}

TEST(Echo, NoNewConnectionsAfterSigterm) {
    ChapterServer server({"--shutdown-grace", "2s"});
    auto port = server.port("echo");
    LineClient client(port);
    client.send_line("x");
    ASSERT_EQ(client.read_line(), "x");
    server.process().send_signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    EXPECT_THROW(LineClient late(port), std::system_error);
    client.close();
    EXPECT_EQ(server.process().wait(), 0) << server.log();
}

TEST(Echo, TracePrintsTheConversation) {
    ChapterServer server({"--trace"});
    LineClient client(server.port("echo"));
    client.send_line("traced");
    ASSERT_EQ(client.read_line(), "traced");
    client.close();
    EXPECT_EQ(server.stop(), 0);
    EXPECT_NE(server.log().find("C: traced"), std::string::npos) << server.log();
    EXPECT_NE(server.log().find("S: traced"), std::string::npos) << server.log();
}
