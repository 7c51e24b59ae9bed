#pragma once

#include "line_buffer.hpp"

#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <string>
#include <string_view>

namespace mailsteps {

// One TCP connection spoken in lines: every read has a length limit. Errors are results, not
// exceptions: a failed write closes the connection, and the next read reports it as closed.
class LineStream {
public:
    enum class ReadStatus {
        line,      // a complete line arrived
        too_long,  // the line passed max_length; its rest is discarded as it arrives
        closed,    // the peer closed the connection, or it failed
    };
    struct ReadResult {
        ReadStatus status;
        Line line; // when status == line
    };

    LineStream(asio::ip::tcp::socket socket, Logger log);

    asio::awaitable<ReadResult> read_line(std::size_t max_length);
    asio::awaitable<void> write(std::string_view data);

    bool is_open() const { return socket_.is_open(); }
    void close();
    // Ends the conversation as TCP wants it ended: say we are done sending, then read and
    // discard what the peer still sends until it closes too, then close. Closing with unread
    // data would send a reset, which can destroy our last reply before the peer reads it.
    asio::awaitable<void> close_gracefully();
    const Logger& log() const { return log_; }
    asio::ip::tcp::endpoint remote_endpoint() const { return remote_; }

private:
    asio::ip::tcp::socket socket_;
    asio::ip::tcp::endpoint remote_;
    Logger log_;
    LineBuffer buffer_;
};

// "127.0.0.1:25", "[::1]:25"
std::string to_string(const asio::ip::tcp::endpoint& endpoint);

} // namespace mailsteps
