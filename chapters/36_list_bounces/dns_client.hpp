#pragma once

// Asking a name server one question (RFC 1035 4.2): over UDP with a timeout and a bounded
// number of attempts, again over TCP when the answer is truncated.

#include "dns_message.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>

#include <chrono>
#include <functional>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dns {

struct ClientOptions {
    std::vector<asio::ip::udp::endpoint> servers;  // asked in turn, one per attempt
    std::chrono::milliseconds timeout{5000};       // for the whole query, all attempts together
    int attempts = 3;
    bool tcp_only = false;                         // skip UDP (mxlookup --tcp)
    bool edns = true;                              // offer edns_udp_size-octet UDP answers

    // Sees every packet sent, accepted or ignored, with a description (mxlookup --explain).
    std::function<void(std::string_view what, std::span<const std::uint8_t> wire)> trace;
};

// What came back. The RCODEs a mail server must tell apart each have their own value.
enum class Outcome {
    answer,          // NOERROR with records in the answer section
    no_data,         // NOERROR, empty answer: the name exists, without records of this type
    nx_domain,       // NXDOMAIN: the name does not exist
    server_failure,  // SERVFAIL
    refused,         // REFUSED
    other_rcode,     // FORMERR, NOTIMP or an RCODE from a later RFC
    timeout,         // no acceptable response from any server in time
};

struct QueryResult {
    Outcome outcome = Outcome::timeout;
    std::optional<Message> response;  // the accepted response; none after a timeout
    std::string detail;               // for people: the server, or why nothing came back
};

// Asks `name`/`type`. Arguments are taken by value: a coroutine may outlive the caller's
// variables while it is suspended.
asio::awaitable<QueryResult> query(Name name, Type type, ClientOptions options);

// resolv.conf(5): the first three `nameserver ADDRESS` lines, port 53. Without any, the
// local host, as the C library does.
std::vector<asio::ip::udp::endpoint> read_resolv_conf(std::istream& in);
std::vector<asio::ip::udp::endpoint> read_resolv_conf(const std::string& path = "/etc/resolv.conf");

// "127.0.0.1", "127.0.0.1:5353", "::1" or "[::1]:5353"; port 53 unless given.
std::optional<asio::ip::udp::endpoint> parse_server(std::string_view text);

std::string to_string(Outcome outcome);

}  // namespace dns
