#pragma once

#include "line_buffer.hpp"

#include "shared/duration.hpp"
#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

namespace mailsteps {

// One TCP connection spoken in lines: every read has a length limit and a timeout, every
// write a timeout. With --trace it prints each line as "C: ..." (received) or "S: ..." (sent).
// Errors are results, not exceptions: a failed write closes the connection, and the next
// read reports it as closed. After start_tls() the same lines go through TLS.
class LineStream : public std::enable_shared_from_this<LineStream> {
public:
    enum class ReadStatus {
        line,      // a complete line arrived
        too_long,  // the line passed max_length; its rest is discarded as it arrives
        timed_out, // nothing complete within the timeout
        closed,    // the peer closed the connection, or it failed
        stopped,   // the server is shutting down
    };
    struct ReadResult {
        ReadStatus status;
        Line line; // when status == line
    };

    static constexpr Duration default_write_timeout = std::chrono::seconds(60);

    // Who is at the other end, for --trace and for the side we take in a TLS handshake: a server
    // traces what it reads as "C: " (from the client), a client (chapter 15's relay) as "S: ".
    enum class Peer { client, server };

    LineStream(asio::ip::tcp::socket socket, Logger log, Peer peer = Peer::client);

    // How --trace shows a received line: a protocol that receives secrets (POP3's PASS) hides them.
    using TraceFilter = std::string (*)(std::string_view line);
    void set_trace_filter(TraceFilter filter) { trace_filter_ = filter; }

    // `timeout` bounds the whole line, however slowly its bytes arrive.
    asio::awaitable<ReadResult> read_line(std::size_t max_length, Duration timeout);
    asio::awaitable<void> write(std::string_view data, Duration timeout = default_write_timeout);
    // Holds `data` back to go out with the next write, or before the next read that has to wait
    // for the peer: the answers to commands a client sent together (pipelined) then leave
    // together, in one write instead of one each. Once 64 KB are held, writes them at once.
    asio::awaitable<void> write_soon(std::string_view data);

    // Our side of a TLS handshake on this connection: the server's when the peer is a client
    // (RFC 3207's STARTTLS, RFC 8314's implicit TLS), the client's when the peer is a server (the
    // relay's STARTTLS). False if it fails or takes longer than `timeout`, and then the connection
    // is closed. Lines the peer sent before the handshake and we have not read yet are thrown away.
    asio::awaitable<bool> start_tls(asio::ssl::context& context, Duration timeout);
    bool is_tls() const { return tls_ != nullptr; }
    // "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384", for Received: headers and the log.
    std::string tls_description() const;

    // Safe from any thread (the stream must be owned by a shared_ptr): the current and every
    // later read returns `stopped`.
    void stop();

    bool is_open() const { return socket_.is_open(); }
    void close();
    // Ends the conversation as TCP wants it ended: say we are done sending, then read and
    // discard what the peer still sends for up to `linger`, then close. Closing with unread
    // data would send a reset, which can destroy our last reply before the peer reads it.
    asio::awaitable<void> close_gracefully(Duration linger = std::chrono::seconds(2));
    const Logger& log() const { return log_; }
    asio::ip::tcp::endpoint remote_endpoint() const { return remote_; }
    asio::ip::tcp::socket::executor_type get_executor() { return socket_.get_executor(); }

private:
    asio::awaitable<void> timeout(Duration duration);
    asio::awaitable<std::tuple<asio::error_code, std::size_t>> read_some(asio::mutable_buffer space);
    asio::awaitable<std::tuple<asio::error_code, std::size_t>> write_all(asio::const_buffer data);
    void trace_written(std::string_view data) const;

    asio::ip::tcp::socket socket_;
    std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_; // on socket_, once start_tls() succeeded
    asio::steady_timer timer_;
    asio::ip::tcp::endpoint remote_;
    Logger log_;
    Peer peer_;
    std::string_view read_prefix_;  // "C: " or "S: "
    std::string_view write_prefix_;
    LineBuffer buffer_;
    std::string held_; // by write_soon()
    TraceFilter trace_filter_ = nullptr;
    bool stopped_ = false;
};

// "127.0.0.1:25", "[::1]:25"
std::string to_string(const asio::ip::tcp::endpoint& endpoint);

} // namespace mailsteps
