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

// A TCP port that is free on `address` now, for a peer that can neither be given port 0 and
// report its port nor be handed a socket (Postfix, aiosmtpd's command line). Another program
// may take the port before the peer binds it: callers must notice that the peer failed to bind
// (not merely that something answers there) and start it again on another port.
std::uint16_t free_tcp_port(const std::string& address = "127.0.0.1");

// A TCP port held on `address` (0: any free one) for as long as the object lives: a socket
// bound to it, without SO_REUSEADDR, so no other program can bind it, and not listening, so a
// connection to it is refused (on Linux a reset answers it), as by a host whose server is down.
// A server started on this socket (Process's `socket`) brings the host up on the same port,
// which was never free in between. Throws std::system_error when the port is in use.
class HeldPort {
public:
    explicit HeldPort(const std::string& address = "127.0.0.1", std::uint16_t port = 0);
    ~HeldPort();
    HeldPort(const HeldPort&) = delete;
    HeldPort& operator=(const HeldPort&) = delete;

    const std::string& address() const { return address_; }
    std::uint16_t port() const { return port_; }
    int socket() const { return fd_; }

private:
    std::string address_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

} // namespace mailsteps::testing
