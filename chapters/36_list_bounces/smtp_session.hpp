#pragma once

#include "disk_threads.hpp"
#include "line_stream.hpp"
#include "relay_network.hpp"

#include "shared/duration.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace accounts {
class Users;
}
namespace aliases {
class Aliases;
}
namespace pop3 {
class LoginThrottle;
}
namespace relay {
class Relay;
}
namespace srs {
class Rewriter;
}

namespace smtp {

struct Options {
    std::uint16_t port = 2525;
    std::string hostname = "localhost";
    std::vector<std::string> domains{"localhost"}; // mail for these is delivered here
    std::filesystem::path maildir_root = "./var/mail";
    std::uint64_t max_message_size = 10485760;
    std::size_t max_recipients = 100;
    mailsteps::Duration command_timeout = std::chrono::minutes(5); // RFC 5321 4.5.3.2.7
    mailsteps::Duration data_timeout = std::chrono::minutes(3);    // RFC 5321 4.5.3.2.5
    mailsteps::DiskThreads* disk = nullptr;                        // where messages are stored: the server's
    std::vector<relay::Network> relay_networks;                    // clients that may relay
    relay::Relay* relay = nullptr;                                 // where their mail for others goes
    accounts::Users* users = nullptr;                              // once it has entries, only they get mail
    aliases::Aliases* aliases = nullptr;                           // more addresses than mailboxes
    srs::Rewriter* srs = nullptr;                                  // the sender of what is forwarded
    std::filesystem::path lists_dir;                               // mailing lists (lists.hpp); empty: none
    asio::ssl::context* tls = nullptr;                             // STARTTLS is offered when set (RFC 3207)
    // Submission (RFC 6409): AUTH once TLS is on, and no mail without it; a client that logged in
    // may send to any domain, as the address it logged in as. Logins are checked as POP3's are.
    bool submission = false;
    pop3::LoginThrottle* throttle = nullptr; // failed logins per client address, POP3's and ours
    mailsteps::Duration login_failure_delay = std::chrono::seconds(2);
    int max_login_failures = 3; // then the connection is closed
};

// One SMTP conversation (RFC 5321), from the greeting to QUIT.
asio::awaitable<void> smtp_session(mailsteps::LineStream& client, const Options& options);

// RFC 8314 3.3: implicit TLS, the handshake as soon as the client connects, then the same
// conversation inside it.
asio::awaitable<void> submissions_session(mailsteps::LineStream& client, const Options& options);

} // namespace smtp
