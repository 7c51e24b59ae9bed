// The echo server's timeouts and limits (chapter 03 onwards), end to end.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

using namespace mailsteps::testing;
using namespace std::chrono_literals;

TEST(Echo, IdleClientIsDisconnected) {
    ChapterServer server({"--idle-timeout", "1s"});
    LineClient client(server.port("echo"));
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(client.read_line(5s), "error: idle timeout");
    EXPECT_TRUE(client.wait_closed());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST(Echo, ConnectionsOverTheLimitAreRefused) {
    ChapterServer server({"--max-connections", "2"});
    auto port = server.port("echo");
    LineClient first(port), second(port);
    first.send_line("1");
    second.send_line("2");
    ASSERT_EQ(first.read_line(), "1"); // both are being served
    ASSERT_EQ(second.read_line(), "2");
    LineClient third(port);
    EXPECT_EQ(third.read_line(), "error: too many connections");
    EXPECT_TRUE(third.wait_closed());
    second.close();
    // A place is free again once a client leaves.
    for (int attempt = 0; attempt < 50; ++attempt) {
        LineClient fourth(port);
        fourth.send_line("4");
        if (auto reply = fourth.read_line(); reply == "4") {
            return;
        }
        std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "the freed connection slot was never reused";
}

// One host cannot take every place: past --max-connections-per-address its next connection is
// refused, while another address (127.0.0.2, loopback too) still gets in.
TEST(Echo, ConnectionsFromOneAddressOverItsLimitAreRefused) {
    ChapterServer server({"--max-connections-per-address", "3"});
    auto port = server.port("echo");
    LineClient first(port), second(port), third(port);
    for (auto* client : {&first, &second, &third}) {
        client->send_line("in");
        ASSERT_EQ(client->read_line(), "in"); // being served
    }
    LineClient fourth(port);
    EXPECT_EQ(fourth.read_line(), "error: too many connections");
    EXPECT_TRUE(fourth.wait_closed());
    LineClient elsewhere(port, "127.0.0.1", "127.0.0.2");
    elsewhere.send_line("other host");
    EXPECT_EQ(elsewhere.read_line(), "other host");
    second.close();
    // A place is free again once a client from the address leaves.
    for (int attempt = 0; attempt < 50; ++attempt) {
        LineClient next(port);
        next.send_line("again");
        if (auto reply = next.read_line(); reply == "again") {
            return;
        }
        std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "the freed place was never given to the address again";
}
