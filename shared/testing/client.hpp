#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailsteps::testing {

using namespace std::chrono_literals;

// A plain blocking TCP client for tests, speaking in CRLF lines. Every read has a timeout,
// so a server that does not answer fails the test instead of hanging it.
class LineClient {
public:
    // Connects to host:port, optionally from a chosen local address (e.g. 127.0.0.5).
    explicit LineClient(std::uint16_t port, const std::string& host = "127.0.0.1",
                        const std::string& local_address = "");
    ~LineClient();
    LineClient(const LineClient&) = delete;
    LineClient& operator=(const LineClient&) = delete;

    void send(std::string_view bytes);      // exactly these bytes, in one write
    void send_line(std::string_view line);  // line + CRLF

    // The next line without its CRLF; nullopt on timeout or when the server closed.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = 10s);
    bool closed() const { return closed_; }
    // True when the server closes the connection within the timeout (data before it is dropped).
    bool wait_closed(std::chrono::milliseconds timeout = 10s);

    void close();

private:
    bool fill(std::chrono::milliseconds timeout);

    int fd_ = -1;
    std::string buffer_;
    bool closed_ = false;
};

// A TCP port that is free on `address` now, for a server that cannot be given port 0 and
// report its port (Postfix, aiosmtpd). Another program may take it first: callers retry or
// use an address no other test listens on.
std::uint16_t free_tcp_port(const std::string& address = "127.0.0.1");

} // namespace mailsteps::testing
