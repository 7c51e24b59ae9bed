#include "line_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>

namespace mailsteps {

using asio::experimental::as_tuple;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t read_chunk = 4096;
constexpr std::size_t hold_limit = 64 * 1024;

asio::ip::tcp::endpoint remote_of(const asio::ip::tcp::socket& socket) {
    asio::error_code ignored;
    return socket.remote_endpoint(ignored);
}

} // namespace

LineStream::LineStream(asio::ip::tcp::socket socket, Logger log, Peer peer)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), remote_(remote_of(socket_)), log_(std::move(log)),
      peer_(peer), read_prefix_(peer == Peer::client ? "C: " : "S: "),
      write_prefix_(peer == Peer::client ? "S: " : "C: ") {
    // Our writes are whole answers, or many gathered by write_soon(). Nagle's algorithm (RFC 896)
    // would hold back the last, partly filled segment of such a write until the peer acknowledges
    // the rest, and a peer that waits for the whole answer delays its acknowledgement (40 ms on Linux).
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    // So that write() can offer data without waiting (Asio's own reads and writes never block).
    socket_.non_blocking(true, ignored);
}

asio::awaitable<void> LineStream::timeout(Duration duration) {
    timer_.expires_after(duration);
    co_await timer_.async_wait(as_tuple(use_awaitable));
}

asio::awaitable<LineStream::ReadResult> LineStream::read_line(std::size_t max_length, Duration timeout) {
    // The timeout is for the whole line, not for each piece of it: a client trickling one byte
    // at a time must not hold a connection for ever.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    ReadResult result{ReadStatus::line, {}};
    for (;;) {
        if (stopped_) {
            co_return ReadResult{ReadStatus::stopped, {}};
        }
        switch (buffer_.next_line(max_length, result.line)) {
        case LineBuffer::Status::line:
            if (log_.tracing()) {
                log_.trace(read_prefix_, trace_filter_ ? trace_filter_(result.line.text) : result.line.text);
            }
            co_return result;
        case LineBuffer::Status::too_long:
            log_.trace(read_prefix_, "<line longer than " + std::to_string(max_length) + " octets>");
            co_return ReadResult{ReadStatus::too_long, {}};
        case LineBuffer::Status::need_more:
            break;
        }
        // About to wait for the peer, who may be waiting for the answers held back: they go first.
        if (!held_.empty()) {
            co_await write({});
        }
        if (!socket_.is_open()) {
            co_return ReadResult{ReadStatus::closed, {}};
        }
        auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        if (left <= Duration::zero()) {
            co_return ReadResult{ReadStatus::timed_out, {}};
        }
        // A read racing a timer: whichever finishes first cancels the other.
        auto space = buffer_.prepare(read_chunk);
        auto outcome = co_await (read_some(asio::buffer(space.data(), space.size())) || this->timeout(left));
        if (outcome.index() == 1) {
            buffer_.commit(0);
            co_return ReadResult{ReadStatus::timed_out, {}};
        }
        auto [error, size] = std::get<0>(outcome);
        buffer_.commit(size);
        if (error) {
            co_return ReadResult{stopped_ ? ReadStatus::stopped : ReadStatus::closed, {}};
        }
    }
}

// The same reads and writes, on the socket or, after start_tls(), through TLS.
asio::awaitable<std::tuple<asio::error_code, std::size_t>> LineStream::read_some(asio::mutable_buffer space) {
    if (tls_) {
        co_return co_await tls_->async_read_some(space, as_tuple(use_awaitable));
    }
    co_return co_await socket_.async_read_some(space, as_tuple(use_awaitable));
}

asio::awaitable<std::tuple<asio::error_code, std::size_t>> LineStream::write_all(asio::const_buffer data) {
    if (tls_) {
        co_return co_await asio::async_write(*tls_, data, as_tuple(use_awaitable));
    }
    co_return co_await asio::async_write(socket_, data, as_tuple(use_awaitable));
}

asio::awaitable<bool> LineStream::start_tls(asio::ssl::context& context, Duration timeout) {
    // Whatever came after the command that starts TLS was sent in the clear, where anyone on the
    // way could have added it: it must not be taken as sent through TLS (CVE-2011-0411).
    if (buffer_.buffered() > 0) {
        log_.warning("discarding ", buffer_.buffered(), " octets sent before the TLS handshake");
        buffer_ = LineBuffer{};
    }
    auto tls = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
    auto side = peer_ == Peer::client ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
    auto outcome = co_await (tls->async_handshake(side, as_tuple(use_awaitable)) || this->timeout(timeout));
    if (outcome.index() == 1 || std::get<0>(std::get<0>(outcome))) {
        log_.warning("TLS handshake failed: ",
                     outcome.index() == 1 ? "timed out" : std::get<0>(std::get<0>(outcome)).message());
        close();
        co_return false;
    }
    tls_ = std::move(tls);
    log_.info("TLS established: ", tls_description());
    co_return true;
}

std::string LineStream::tls_description() const {
    if (!tls_) {
        return {};
    }
    SSL* ssl = tls_->native_handle();
    return std::string(SSL_get_version(ssl)) + " with cipher " + SSL_get_cipher_name(ssl);
}

void LineStream::trace_written(std::string_view data) const {
    if (log_.tracing()) {
        for (std::string_view rest = data; !rest.empty();) {
            auto end = rest.find("\r\n");
            log_.trace(write_prefix_, rest.substr(0, end));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
        }
    }
}

asio::awaitable<void> LineStream::write_soon(std::string_view data) {
    trace_written(data);
    held_ += data;
    if (held_.size() >= hold_limit) {
        co_await write({});
    }
}

asio::awaitable<void> LineStream::write(std::string_view data, Duration timeout) {
    trace_written(data);
    if (!held_.empty()) { // what was held back goes first, in the same write
        held_ += data;
        data = held_;
    }
    if (!socket_.is_open()) {
        held_.clear();
        co_return;
    }
    // An answer usually fits in the socket's send buffer: a send that does not wait takes it at
    // once, and no timer is armed. Only what it leaves waits for the peer, racing the timeout.
    asio::error_code error;
    if (!tls_) { // through TLS, only the stream can turn the data into records
        data.remove_prefix(socket_.write_some(asio::buffer(data), error));
    }
    bool failed = error && error != asio::error::would_block;
    if (!data.empty() && !failed) {
        auto outcome = co_await (write_all(asio::buffer(data)) || this->timeout(timeout));
        failed = outcome.index() == 1 || std::get<0>(std::get<0>(outcome));
    }
    held_.clear(); // keeps its memory for the next answers
    if (failed) {
        close();
    }
}

void LineStream::stop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->stopped_ = true;
        asio::error_code ignored;
        self->socket_.cancel(ignored);
    });
}

asio::awaitable<void> LineStream::close_gracefully(Duration linger) {
    if (!socket_.is_open()) {
        co_return;
    }
    auto deadline = std::chrono::steady_clock::now() + linger;
    if (tls_) { // RFC 8446 6.1: TLS says it is done (close_notify) before TCP does
        co_await (tls_->async_shutdown(as_tuple(use_awaitable)) || this->timeout(linger));
    }
    asio::error_code error;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, error);
    std::array<char, 4096> discard;
    while (!error && !stopped_ && std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        auto outcome = co_await (socket_.async_read_some(asio::buffer(discard), as_tuple(use_awaitable)) ||
                                 this->timeout(left));
        if (outcome.index() == 1) {
            break;
        }
        error = std::get<0>(std::get<0>(outcome));
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
