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
namespace relay {
class Relay;
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
    asio::ssl::context* tls = nullptr;                             // STARTTLS is offered when set (RFC 3207)
};

// One SMTP conversation (RFC 5321), from the greeting to QUIT.
asio::awaitable<void> smtp_session(mailsteps::LineStream& client, const Options& options);

} // namespace smtp
