#include "line_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>

namespace mailsteps {

using asio::experimental::as_tuple;
using asio::use_awaitable;

namespace {

constexpr std::size_t read_chunk = 4096;

asio::ip::tcp::endpoint remote_of(const asio::ip::tcp::socket& socket) {
    asio::error_code ignored;
    return socket.remote_endpoint(ignored);
}

} // namespace

LineStream::LineStream(asio::ip::tcp::socket socket, Logger log)
    : socket_(std::move(socket)), remote_(remote_of(socket_)), log_(std::move(log)) {}

asio::awaitable<LineStream::ReadResult> LineStream::read_line(std::size_t max_length) {
    ReadResult result{ReadStatus::line, {}};
    for (;;) {
        switch (buffer_.next_line(max_length, result.line)) {
        case LineBuffer::Status::line:
            co_return result;
        case LineBuffer::Status::too_long:
            co_return ReadResult{ReadStatus::too_long, {}};
        case LineBuffer::Status::need_more:
            break;
        }
        if (!socket_.is_open()) {
            co_return ReadResult{ReadStatus::closed, {}};
        }
        auto space = buffer_.prepare(read_chunk);
        auto [error, size] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                              as_tuple(use_awaitable));
        buffer_.commit(size);
        if (error) {
            co_return ReadResult{ReadStatus::closed, {}};
        }
    }
}

asio::awaitable<void> LineStream::write(std::string_view data) {
    if (!socket_.is_open()) {
        co_return;
    }
    auto [error, size] = co_await asio::async_write(socket_, asio::buffer(data), as_tuple(use_awaitable));
    if (error) {
        close();
    }
}

asio::awaitable<void> LineStream::close_gracefully() {
    if (!socket_.is_open()) {
        co_return;
    }
    asio::error_code error;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, error);
    std::array<char, 4096> discard;
    while (!error) {
        std::tie(error, std::ignore) = co_await socket_.async_read_some(asio::buffer(discard), as_tuple(use_awaitable));
    }
    close();
}

void LineStream::close() {
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
    auto address = endpoint.address();
    std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return host + ":" + std::to_string(endpoint.port());
}

} // namespace mailsteps
