#include "shared/testing/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace mailsteps::testing {
namespace {

sockaddr_in ipv4_address(const std::string& host, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        throw std::invalid_argument("not an IPv4 address: " + host);
    }
    return address;
}

} // namespace

std::uint16_t free_tcp_port(const std::string& address) {
    auto bound = ipv4_address(address, 0);
    socklen_t length = sizeof bound;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0;
    ::close(fd);
    if (!ok) {
        throw std::runtime_error("no free TCP port on " + address);
    }
    return ntohs(bound.sin_port);
}

HeldPort::HeldPort(const std::string& address, std::uint16_t port) : address_(address) {
    auto bound = ipv4_address(address, port);
    socklen_t length = sizeof bound;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
        std::system_error error(errno, std::generic_category(), "cannot hold TCP " + address + ":" + std::to_string(port));
        ::close(fd_);
        throw error;
    }
    port_ = ntohs(bound.sin_port);
}

HeldPort::~HeldPort() { ::close(fd_); }

LineClient::LineClient(std::uint16_t port, const std::string& host, const std::string& local_address) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    if (!local_address.empty()) {
        auto local = ipv4_address(local_address, 0);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            throw std::system_error(errno, std::generic_category(), "bind " + local_address);
        }
    }
    auto remote = ipv4_address(host, port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
        int error = errno;
        ::close(fd_);
        throw std::system_error(error, std::generic_category(), "connect " + host + ":" + std::to_string(port));
    }
}

LineClient::~LineClient() { close(); }

void LineClient::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

void LineClient::send(std::string_view bytes) {
    while (!bytes.empty()) {
        auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            closed_ = true; // the server has gone; reads will say so
            return;
        }
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
}

void LineClient::send_line(std::string_view line) { send(std::string(line) + "\r\n"); }

bool LineClient::fill(std::chrono::milliseconds timeout) {
    if (closed_ || fd_ < 0) {
        return false;
    }
    pollfd readable{fd_, POLLIN, 0};
    int ready = 0;
    do { // a signal may land on this thread: a test's SIGTERM meant for the server in this process
        ready = ::poll(&readable, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) {
        return false;
    }
    char chunk[4096];
    auto size = ::recv(fd_, chunk, sizeof chunk, 0);
    if (size <= 0) {
        closed_ = true;
        return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(size));
    return true;
}

std::optional<std::string> LineClient::read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto end = buffer_.find("\r\n");
        if (end != std::string::npos) {
            std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            return line;
        }
        // Past the deadline (or with a timeout of 0) it still takes what has already arrived.
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!fill(std::max(left, 0ms))) {
            return std::nullopt;
        }
    }
}

bool LineClient::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        fill(left);
        buffer_.clear();
    }
    return true;
}

} // namespace mailsteps::testing
