#pragma once

#include "disk_threads.hpp"
#include "line_stream.hpp"

#include "shared/duration.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

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
};

// One POP3 conversation (RFC 1939): AUTHORIZATION, TRANSACTION, and UPDATE after QUIT.
asio::awaitable<void> pop3_session(mailsteps::LineStream& client, const Options& options);

} // namespace pop3
