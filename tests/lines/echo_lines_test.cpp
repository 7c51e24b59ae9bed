// The echo server in lines (chapter 02 onwards): framing and the line limit, end to end.
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
