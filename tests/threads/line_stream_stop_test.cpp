// Stopping a LineStream from another thread, as the server does on shutdown.
#include "timeouts/line_stream_connection.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace std::chrono_literals;
using mailsteps::testing::Connection;
using Read = mailsteps::LineStream::ReadStatus;

TEST(LineStream, StopEndsAPendingRead) {
    Connection c;
    auto read = asio::co_spawn(c.io, c.stream->read_line(100, 10s), asio::use_future);
    std::thread runner([&] { c.io.run(); });
    std::this_thread::sleep_for(100ms);
    c.stream->stop(); // from another thread, as the server does on shutdown
    runner.join();
    EXPECT_EQ(read.get().status, Read::stopped);
    EXPECT_EQ(c.run(c.stream->read_line(100, 1s)).status, Read::stopped);
}
