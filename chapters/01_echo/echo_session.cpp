#include "echo_session.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>

using asio::experimental::as_tuple;
using asio::use_awaitable;

asio::awaitable<void> echo_session(asio::ip::tcp::socket& client) {
    std::array<char, 4096> data;
    for (;;) {
        // Whatever has arrived, up to 4096 octets: TCP is a stream of bytes, not of messages.
        auto [read_error, size] = co_await client.async_read_some(asio::buffer(data), as_tuple(use_awaitable));
        if (read_error) {
            co_return; // asio::error::eof when the client closed the connection
        }
        auto [write_error, written] = co_await asio::async_write(client, asio::buffer(data, size), as_tuple(use_awaitable));
        if (write_error) {
            co_return;
        }
    }
}
