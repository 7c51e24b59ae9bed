// Chapter 26: answers held back by write_soon() leave together, before the server waits for
// the client again, so that a client that pipelines gets one write for many answers and a
// client that does not is never left waiting.
#include "timeouts/line_stream_connection.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace std::chrono_literals;
using mailsteps::LineStream;
using mailsteps::testing::Connection;
using Read = LineStream::ReadStatus;

namespace {

// What a session does for one command: read it, then hold its answer back.
asio::awaitable<Read> answer_next(LineStream& stream, std::string answer) {
    auto read = co_await stream.read_line(100, 300ms);
    co_await stream.write_soon(answer);
    co_return read.status;
}

} // namespace

// The client sent two commands at once: the first answer waits while the second command is
// already there, and both leave when the server would wait for a third.
TEST(WriteSoon, AnswersWaitWhileTheNextCommandIsAlreadyThere) {
    Connection c;
    c.client.send("RETR 1\r\nRETR 2\r\n");
    ASSERT_EQ(c.run(answer_next(*c.stream, "+OK one\r\n")), Read::line);
    ASSERT_EQ(c.run(answer_next(*c.stream, "+OK two\r\n")), Read::line);
    EXPECT_EQ(c.client.read_line(200ms), std::nullopt) << "an answer left before the next read had to wait";

    EXPECT_EQ(c.run(c.stream->read_line(100, 200ms)).status, Read::timed_out); // waited, after sending
    EXPECT_EQ(c.client.read_line(), "+OK one");
    EXPECT_EQ(c.client.read_line(), "+OK two");
}

// A plain write sends what is held first, in order.
TEST(WriteSoon, AWriteSendsTheHeldAnswersFirst) {
    Connection c;
    c.run(c.stream->write_soon("+OK held\r\n"));
    c.run(c.stream->write("-ERR written\r\n"));
    EXPECT_EQ(c.client.read_line(), "+OK held");
    EXPECT_EQ(c.client.read_line(), "-ERR written");
}

// Memory stays bounded: once 64 KB are held they go out without waiting for a read.
TEST(WriteSoon, SixtyFourKilobytesAreWrittenAtOnce) {
    Connection c;
    std::string line(1000, 'x');
    for (int i = 0; i < 66; ++i) { // the 66th line of 1,002 octets passes 65,536
        c.run(c.stream->write_soon(line + "\r\n"));
    }
    for (int i = 0; i < 66; ++i) {
        ASSERT_EQ(c.client.read_line(), line) << "line " << i;
    }
    c.run(c.stream->write_soon("+OK short\r\n"));
    EXPECT_EQ(c.client.read_line(200ms), std::nullopt) << "a short answer is held again";
}
