// Line I/O over a real loopback connection: limits, timeouts and closing.
#include "timeouts/line_stream_connection.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace std::chrono_literals;
using mailsteps::LineStream;
using mailsteps::testing::Connection;
using Read = LineStream::ReadStatus;

TEST(LineStream, ReadsLinesTheClientSends) {
    Connection c;
    c.client.send("one\r\ntwo\n");
    auto first = c.run(c.stream->read_line(100, 1s));
    ASSERT_EQ(first.status, Read::line);
    EXPECT_EQ(first.line.text, "one");
    auto second = c.run(c.stream->read_line(100, 1s));
    ASSERT_EQ(second.status, Read::line);
    EXPECT_EQ(second.line.text, "two");
    EXPECT_EQ(second.line.end, mailsteps::LineEnd::bare_lf);
}

TEST(LineStream, TimesOutWhenNothingArrives) {
    Connection c;
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(c.run(c.stream->read_line(100, 200ms)).status, Read::timed_out);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
}

TEST(LineStream, APartialLineStillTimesOut) {
    Connection c;
    c.client.send("no line end");
    EXPECT_EQ(c.run(c.stream->read_line(100, 200ms)).status, Read::timed_out);
    c.client.send("\r\n"); // the bytes were kept
    auto read = c.run(c.stream->read_line(100, 1s));
    EXPECT_EQ(read.line.text, "no line end");
}

// A client sending a byte every 50 ms keeps the connection busy but never finishes a line: the
// timeout counts from the start of the line, so the read gives up before the line end comes.
TEST(LineStream, ATrickledLineTimesOutAtItsDeadline) {
    Connection c;
    std::thread trickle([&] {
        for (int i = 0; i < 30; ++i) {
            c.client.send("x");
            std::this_thread::sleep_for(50ms);
        }
        c.client.send("\r\n");
    });
    auto result = c.run(c.stream->read_line(100, 500ms));
    trickle.join();
    EXPECT_EQ(result.status, Read::timed_out);
}

TEST(LineStream, ReportsTooLongThenGoesOn) {
    Connection c;
    c.client.send(std::string(50, 'x') + "\r\nshort\r\n");
    EXPECT_EQ(c.run(c.stream->read_line(20, 1s)).status, Read::too_long);
    auto next = c.run(c.stream->read_line(20, 1s));
    ASSERT_EQ(next.status, Read::line);
    EXPECT_EQ(next.line.text, "short");
}

TEST(LineStream, ReportsClose) {
    Connection c;
    c.client.send("last\r\n");
    c.client.close();
    EXPECT_EQ(c.run(c.stream->read_line(100, 1s)).line.text, "last");
    EXPECT_EQ(c.run(c.stream->read_line(100, 1s)).status, Read::closed);
}

TEST(LineStream, WritesReachTheClient) {
    Connection c;
    c.run(c.stream->write("220 hello\r\n"));
    EXPECT_EQ(c.client.read_line(), "220 hello");
}

TEST(LineStream, WriteToAVanishedClientClosesTheStream) {
    Connection c;
    c.client.close();
    // The first writes may still be accepted by the kernel; a reset makes a later one fail.
    for (int i = 0; i < 100 && c.stream->is_open(); ++i) {
        c.run(c.stream->write(std::string(64 * 1024, 'x')));
    }
    EXPECT_FALSE(c.stream->is_open());
    EXPECT_EQ(c.run(c.stream->read_line(100, 1s)).status, Read::closed);
}

// A client that never reads: the kernel's buffers fill, and the write gives up at its timeout
// and closes the stream instead of waiting for ever.
TEST(LineStream, AWriteToAClientThatNeverReadsTimesOut) {
    Connection c;
    std::string more_than_the_buffers_hold(64 * 1024 * 1024, 'x');
    auto start = std::chrono::steady_clock::now();
    c.run(c.stream->write(more_than_the_buffers_hold, 300ms));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(c.stream->is_open());
    EXPECT_GE(took, 290ms);
    EXPECT_LT(took, 10s);
}
