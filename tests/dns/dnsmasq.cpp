#include "dnsmasq.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace dns::tests {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string dnsmasq_program = "/usr/sbin/dnsmasq";

// A socket that closes itself.
class Socket {
public:
    explicit Socket(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
        if (fd_ < 0) {
            throw std::runtime_error("cannot create a socket");
        }
    }
    ~Socket() { ::close(fd_); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
}

bool bind_to(const Socket& socket, std::uint16_t port) {
    const sockaddr_in address = loopback(port);
    return ::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// A name server listens on UDP and TCP with the same port number: the OS picks a free UDP
// port, and it is kept if that TCP port is free too. dnsmasq cannot be handed sockets, so
// someone may still take the port before dnsmasq binds it; then dnsmasq exits and the
// constructor tries another.
std::uint16_t free_port() {
    for (int attempt = 0; attempt < 100; ++attempt) {
        Socket udp(SOCK_DGRAM);
        sockaddr_in bound{};
        socklen_t length = sizeof bound;
        if (!bind_to(udp, 0) || ::getsockname(udp.fd(), reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
            continue;
        }
        const std::uint16_t port = ntohs(bound.sin_port);
        if (Socket tcp(SOCK_STREAM); bind_to(tcp, port)) {
            return port;
        }
    }
    throw std::runtime_error("no port free for both UDP and TCP on 127.0.0.1");
}

// True when a query for probe.test gets a response (any RCODE) within 200 ms.
bool answers(std::uint16_t port) {
    // RFC 1035 4.1: ID 0x6d73, RD set, one question: probe.test IN A
    static constexpr unsigned char query[] = {0x6d, 0x73, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                              5, 'p', 'r', 'o', 'b', 'e', 4, 't', 'e', 's', 't', 0,
                                              0, 1, 0, 1};
    Socket udp(SOCK_DGRAM);
    const sockaddr_in server = loopback(port);
    if (::connect(udp.fd(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 ||
        ::send(udp.fd(), query, sizeof query, 0) != static_cast<ssize_t>(sizeof query)) {
        return false;
    }
    pollfd readable{udp.fd(), POLLIN, 0};
    unsigned char reply[512];
    return ::poll(&readable, 1, 200) == 1 && ::recv(udp.fd(), reply, sizeof reply, 0) >= 4 &&
           reply[0] == query[0] && reply[1] == query[1] && (reply[2] & 0x80) != 0;  // our ID, QR=1
}

std::vector<std::string> arguments(std::uint16_t port, const std::vector<std::string>& records) {
    std::vector<std::string> args{
        "--keep-in-foreground",
        "--conf-file=/dev/null",  // no system configuration
        "--no-resolv",            // no upstream servers: it knows only what it is told
        "--no-hosts",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--port=" + std::to_string(port),
        "--local=/test/",         // NXDOMAIN or no data for other names under .test, not REFUSED
        "--pid-file=",            // none: the default, /run/dnsmasq.pid, is shared and root's
        "--log-facility=-",       // stderr, which Process keeps as its log
        "--log-queries",
    };
    args.insert(args.end(), records.begin(), records.end());
    return args;
}

}  // namespace

Dnsmasq::Dnsmasq(const std::vector<std::string>& records) {
    if (!std::filesystem::exists(dnsmasq_program)) {
        throw std::runtime_error(dnsmasq_program + " not found: apt-get install dnsmasq-base");
    }
    constexpr int attempts = 3;
    for (int attempt = 1;; ++attempt) {
        port_ = free_port();
        process_ = std::make_unique<mailsteps::testing::Process>(dnsmasq_program, arguments(port_, records));
        if (wait_until_answering()) {
            return;
        }
        const std::string log = process_->log();
        process_.reset();
        if (attempt == attempts) {
            throw std::runtime_error("dnsmasq did not start on 127.0.0.1:" + std::to_string(port_) + "; its log:\n" +
                                     log);
        }
    }
}

Dnsmasq::~Dnsmasq() {
    process_->stop(5s);
}

bool Dnsmasq::wait_until_answering() {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        if (process_->wait(0ms)) {
            return false;  // it exited: the port was taken, or an option was wrong
        }
        // Its own log must show the query: an answer alone may come from whoever took the port.
        if (answers(port_) && process_->log().find("query[A] probe.test") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

}  // namespace dns::tests
