#pragma once

#include "disk_threads.hpp"
#include "line_stream.hpp"
#include "relay_network.hpp"

#include "shared/duration.hpp"

#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace accounts {
class Users;
}

namespace pop3 {

class LoginThrottle;

struct Options {
    std::uint16_t port = 1100;
    std::string default_domain = "localhost";       // "USER bob" means bob@default_domain
    std::filesystem::path maildir_root = "./var/mail"; // the same store SMTP delivers into
    accounts::Users* users = nullptr;
    mailsteps::Duration idle_timeout = std::chrono::minutes(10); // RFC 1939 3: at least 10 minutes
    mailsteps::Duration login_failure_delay = std::chrono::seconds(2);
    int max_login_failures = 3; // then the connection is closed
    LoginThrottle* throttle = nullptr; // failures per client address, across connections
    mailsteps::DiskThreads* disk = nullptr; // where maildrops are listed and changed: the server's
    asio::ssl::context* tls = nullptr;      // for STLS and the pop3s port
    std::vector<relay::Network> plaintext_networks; // clients that may send a password outside TLS
};

// One POP3 conversation (RFC 1939): AUTHORIZATION, TRANSACTION, and UPDATE after QUIT.
asio::awaitable<void> pop3_session(mailsteps::LineStream& client, const Options& options);

// RFC 8314 3.1: POP3 on a port where TLS starts at once (995, "pop3s"), then the same session.
asio::awaitable<void> pop3s_session(mailsteps::LineStream& client, const Options& options);

} // namespace pop3
