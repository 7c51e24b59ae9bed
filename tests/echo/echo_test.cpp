// End-to-end tests of the echo server: the real binary, real sockets, port 0.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

using namespace mailsteps::testing;
using namespace std::chrono_literals;

TEST(Echo, LineSplitAcrossPacketsIsEchoedOnceWhole) {
    ChapterServer server;
    LineClient client(server.port("echo"));
    client.send("hel");
    std::this_thread::sleep_for(100ms); // let the first half arrive on its own
    client.send("lo wor");
    std::this_thread::sleep_for(100ms);
    client.send("ld\r\n");
    EXPECT_EQ(client.read_line(), "hello world");
}

TEST(Echo, ManyLinesInOnePacket) {
    ChapterServer server;
    LineClient client(server.port("echo"));
    std::string packet;
    for (int i = 0; i < 500; ++i) {
        packet += "line " + std::to_string(i) + "\r\n";
    }
    client.send(packet);
    for (int i = 0; i < 500; ++i) {
        ASSERT_EQ(client.read_line(), "line " + std::to_string(i));
    }
}

TEST(Echo, LineAtTheLimitPassesOneOverIsRefused) {
    ChapterServer server({"--max-line", "1000"});
    LineClient client(server.port("echo"));
    std::string longest(998, 'x'); // + CRLF = 1000 octets
    client.send_line(longest);
    EXPECT_EQ(client.read_line(), longest);
    client.send_line(longest + "y");
    EXPECT_EQ(client.read_line(), "error: line longer than 1000 octets");
    EXPECT_TRUE(client.wait_closed());
}

TEST(Echo, HugeLineWithoutNewlineIsCutOffEarly) {
    ChapterServer server;
    LineClient client(server.port("echo"));
    client.send(std::string(1 << 20, 'x')); // the server answers long before the last byte
    EXPECT_EQ(client.read_line(), "error: line longer than 1000 octets");
    EXPECT_TRUE(client.wait_closed());
}

TEST(Echo, IdleClientIsDisconnected) {
    ChapterServer server({"--idle-timeout", "1s"});
    LineClient client(server.port("echo"));
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(client.read_line(5s), "error: idle timeout");
    EXPECT_TRUE(client.wait_closed());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

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

TEST(Echo, BadCommandLineExitsTwo) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--port", "70000"}, {"--listen", "not-an-address"}, {"--idle-timeout", "soon"}, {"--no-such-option"}}) {
        auto result = run(chapter_program(), args);
        EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
        EXPECT_FALSE(result.err.empty());
    }
}

TEST(Echo, HelpExitsZero) {
    auto result = run(chapter_program(), {"--help"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("--max-line"), std::string::npos);
    EXPECT_NE(result.out.find("--max-connections-per-address"), std::string::npos); // shared/cli.cpp
}

TEST(Echo, ListensOnIpv6Literal) {
    ChapterServer server({"--listen", "::1"});
    EXPECT_NE(server.port("echo"), 0);
}

TEST(Echo, OptionsComeFromAConfigFileToo) {
    TempDir dir;
    auto config = dir.path() / "echo.toml";
    std::ofstream(config) << "# every long option can live here\nmax-line = 10\nidle-timeout = \"5s\"\n";
    ChapterServer server({"--config", config.string()});
    LineClient client(server.port("echo"));
    client.send_line("123456789");
    EXPECT_EQ(client.read_line(), "error: line longer than 10 octets");
}
