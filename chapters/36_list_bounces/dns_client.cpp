#include "dns_client.hpp"

#include "dns_text.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace dns {

namespace {

using asio::use_awaitable;
using asio::experimental::as_tuple;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

// Errors come back as values (a tuple of error_code and result), not as exceptions.
constexpr auto use_nothrow_awaitable = as_tuple(use_awaitable);

// One attempt with one server: the accepted response, or why there is none.
struct Attempt {
    std::optional<Message> response;
    std::string problem;
};

std::string describe(const udp::endpoint& server) {
    std::ostringstream text;
    text << server;
    return text.str();
}

void trace(const ClientOptions& options, const std::string& what, std::span<const std::uint8_t> wire) {
    if (options.trace) {
        options.trace(what, wire);
    }
}

// RFC 5452 9.1: accept a response only if it repeats our ID and our question. Anything
// else is a forgery, a late answer to another query, or garbage: the reason is returned.
std::variant<Message, std::string> match_response(std::span<const std::uint8_t> packet, const Message& query) {
    auto parsed = parse_message(packet);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        return "malformed: " + error->what + " at offset " + std::to_string(error->offset);
    }
    const auto& response = std::get<Message>(parsed);
    if (!response.header.qr) {
        return "not a response";
    }
    if (response.header.id != query.header.id) {
        return "wrong ID " + std::to_string(response.header.id);
    }
    if (response.questions.size() != 1 || !(response.questions.front() == query.questions.front())) {
        return "not an answer to our question";
    }
    return std::get<Message>(std::move(parsed));
}

// RFC 1035 4.2.1. These helpers are awaited at once by query(), so their reference
// parameters stay valid while they are suspended.
asio::awaitable<Attempt> over_udp(const udp::endpoint& server, const Message& query,
                                  std::span<const std::uint8_t> wire, std::chrono::milliseconds timeout,
                                  const ClientOptions& options) {
    const auto executor = co_await asio::this_coro::executor;
    // A fresh socket per attempt: a fresh random source port (RFC 5452 9.2).
    udp::socket socket(executor);
    std::error_code error;
    socket.open(server.protocol(), error);
    if (error) {
        co_return Attempt{std::nullopt, "UDP socket: " + error.message()};
    }
    const auto [send_error, sent] =
        co_await socket.async_send_to(asio::buffer(wire.data(), wire.size()), server, use_nothrow_awaitable);
    if (send_error) {
        co_return Attempt{std::nullopt, "UDP send to " + describe(server) + ": " + send_error.message()};
    }
    trace(options, "query over UDP to " + describe(server), wire);

    asio::steady_timer deadline(executor, timeout);
    std::vector<std::uint8_t> buffer(65535);  // a whole datagram, however big
    std::string ignored;                      // why the last datagram was not the answer
    while (true) {
        udp::endpoint sender;
        // Whichever finishes first cancels the other.
        const auto received =
            co_await (socket.async_receive_from(asio::buffer(buffer), sender, use_nothrow_awaitable) ||
                      deadline.async_wait(use_nothrow_awaitable));
        if (received.index() == 1) {
            std::string problem = "no answer from " + describe(server) + " within " +
                                  std::to_string(timeout.count()) + " ms";
            if (!ignored.empty()) {
                problem += "; ignored: " + ignored;
            }
            co_return Attempt{std::nullopt, problem};
        }
        const auto [receive_error, size] = std::get<0>(received);
        if (receive_error) {
            co_return Attempt{std::nullopt, "UDP receive: " + receive_error.message()};
        }
        const auto packet = std::span(buffer).first(size);
        if (sender != server) {
            ignored = "a datagram from " + describe(sender);
            trace(options, "ignored: " + ignored, packet);
            continue;
        }
        auto matched = match_response(packet, query);
        if (const auto* why = std::get_if<std::string>(&matched)) {
            ignored = *why;
            trace(options, "ignored: " + ignored, packet);
            continue;
        }
        trace(options, "response over UDP from " + describe(server), packet);
        co_return Attempt{std::get<Message>(std::move(matched)), {}};
    }
}

struct TcpReply {
    std::string problem;
    std::vector<std::uint8_t> packet;
};

// RFC 1035 4.2.2, RFC 7766 8: over TCP each message is preceded by its length in two octets.
asio::awaitable<TcpReply> tcp_exchange(tcp::socket& socket, tcp::endpoint server, std::span<const std::uint8_t> wire,
                                       const ClientOptions& options) {
    const auto [connect_error] = co_await socket.async_connect(server, use_nothrow_awaitable);
    if (connect_error) {
        co_return TcpReply{"connect: " + connect_error.message(), {}};
    }
    const std::array<std::uint8_t, 2> length{static_cast<std::uint8_t>(wire.size() >> 8),
                                             static_cast<std::uint8_t>(wire.size())};
    const std::array<asio::const_buffer, 2> request{asio::buffer(length), asio::buffer(wire.data(), wire.size())};
    const auto [send_error, sent] = co_await asio::async_write(socket, request, use_nothrow_awaitable);
    if (send_error) {
        co_return TcpReply{"send: " + send_error.message(), {}};
    }
    trace(options, "query over TCP to " + describe(udp::endpoint(server.address(), server.port())), wire);

    std::array<std::uint8_t, 2> reply_length{};
    const auto [length_error, length_read] =
        co_await asio::async_read(socket, asio::buffer(reply_length), use_nothrow_awaitable);
    if (length_error) {
        co_return TcpReply{"reading the length: " + length_error.message(), {}};
    }
    std::vector<std::uint8_t> packet(static_cast<std::size_t>(reply_length[0] << 8 | reply_length[1]));
    const auto [read_error, read] = co_await asio::async_read(socket, asio::buffer(packet), use_nothrow_awaitable);
    if (read_error) {
        co_return TcpReply{"reading the response: " + read_error.message(), {}};
    }
    co_return TcpReply{{}, std::move(packet)};
}

asio::awaitable<Attempt> over_tcp(const udp::endpoint& server, const Message& query,
                                  std::span<const std::uint8_t> wire, std::chrono::milliseconds timeout,
                                  const ClientOptions& options) {
    const auto executor = co_await asio::this_coro::executor;
    tcp::socket socket(executor);
    asio::steady_timer deadline(executor, timeout);
    // Whichever finishes first cancels the other.
    auto result = co_await (tcp_exchange(socket, {server.address(), server.port()}, wire, options) ||
                            deadline.async_wait(use_nothrow_awaitable));
    if (result.index() == 1) {
        co_return Attempt{std::nullopt, "no answer over TCP from " + describe(server) + " within " +
                                            std::to_string(timeout.count()) + " ms"};
    }
    auto& reply = std::get<0>(result);
    if (!reply.problem.empty()) {
        co_return Attempt{std::nullopt, "TCP to " + describe(server) + ": " + reply.problem};
    }
    auto matched = match_response(reply.packet, query);
    if (const auto* why = std::get_if<std::string>(&matched)) {
        trace(options, "rejected: " + *why, reply.packet);
        co_return Attempt{std::nullopt, "TCP answer from " + describe(server) + " rejected: " + *why};
    }
    trace(options, "response over TCP from " + describe(server), reply.packet);
    co_return Attempt{std::get<Message>(std::move(matched)), {}};
}

QueryResult classify(Message response, const udp::endpoint& server) {
    Outcome outcome = Outcome::other_rcode;
    switch (response.header.rcode) {
    case Rcode::NOERROR:
        // RFC 2308 2.2: NOERROR without answers is "no data"
        outcome = response.answers.empty() ? Outcome::no_data : Outcome::answer;
        break;
    case Rcode::NXDOMAIN:
        outcome = Outcome::nx_domain;
        break;
    case Rcode::SERVFAIL:
        outcome = Outcome::server_failure;
        break;
    case Rcode::REFUSED:
        outcome = Outcome::refused;
        break;
    default:
        break;
    }
    std::string detail = to_string(response.header.rcode) + " from " + describe(server);
    return QueryResult{outcome, std::move(response), std::move(detail)};
}

bool parse_port(std::string_view text, std::uint16_t& port) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    return error == std::errc() && end == text.data() + text.size() && port != 0;
}

}  // namespace

asio::awaitable<QueryResult> query(Name name, Type type, ClientOptions options) {
    const Message request = build_query(name, type, options.edns);
    const std::vector<std::uint8_t> wire = encode(request);
    if (options.servers.empty()) {
        co_return QueryResult{Outcome::timeout, std::nullopt, "no name server to ask"};
    }
    const int attempts = std::max(options.attempts, 1);
    const auto per_attempt = options.timeout / attempts;
    std::string problem;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        const udp::endpoint& server = options.servers[static_cast<std::size_t>(attempt) % options.servers.size()];
        Attempt result;
        if (options.tcp_only) {
            result = co_await over_tcp(server, request, wire, per_attempt, options);
        } else {
            result = co_await over_udp(server, request, wire, per_attempt, options);
            // RFC 7766 5: a truncated UDP response means "ask again over TCP".
            if (result.response && result.response->header.tc) {
                result = co_await over_tcp(server, request, wire, per_attempt, options);
            }
        }
        if (result.response) {
            co_return classify(std::move(*result.response), server);
        }
        problem = std::move(result.problem);
    }
    co_return QueryResult{Outcome::timeout, std::nullopt,
                          problem + " (" + std::to_string(attempts) + " attempts, " +
                              std::to_string(options.timeout.count()) + " ms in all)"};
}

std::vector<udp::endpoint> read_resolv_conf(std::istream& in) {
    constexpr std::size_t max_servers = 3;  // MAXNS in resolv.conf(5)
    std::vector<udp::endpoint> servers;
    std::string line;
    while (servers.size() < max_servers && std::getline(in, line)) {
        std::istringstream words(line);
        std::string keyword;
        std::string address;
        if (words >> keyword >> address && keyword == "nameserver") {
            std::error_code error;
            const auto ip = asio::ip::make_address(address, error);
            if (!error) {
                servers.emplace_back(ip, 53);
            }
        }
    }
    if (servers.empty()) {
        servers.emplace_back(asio::ip::address_v4::loopback(), 53);
    }
    return servers;
}

std::vector<udp::endpoint> read_resolv_conf(const std::string& path) {
    std::ifstream file(path);
    return read_resolv_conf(file);
}

std::optional<udp::endpoint> parse_server(std::string_view text) {
    std::string_view host = text;
    std::uint16_t port = 53;
    if (text.starts_with('[')) {
        // "[::1]:5353": brackets keep an IPv6 address's colons apart from the port
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !(rest.starts_with(':') && parse_port(rest.substr(1), port))) {
            return std::nullopt;
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const auto colon = text.find(':');
        host = text.substr(0, colon);
        if (!parse_port(text.substr(colon + 1), port)) {
            return std::nullopt;
        }
    }
    std::error_code error;
    const auto address = asio::ip::make_address(std::string(host), error);
    if (error) {
        return std::nullopt;
    }
    return udp::endpoint(address, port);
}

std::string to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::answer:
        return "answer";
    case Outcome::no_data:
        return "no data";
    case Outcome::nx_domain:
        return "no such domain (NXDOMAIN)";
    case Outcome::server_failure:
        return "server failure (SERVFAIL)";
    case Outcome::refused:
        return "refused (REFUSED)";
    case Outcome::other_rcode:
        return "error response";
    case Outcome::timeout:
        return "timeout";
    }
    return "unknown outcome";
}

}  // namespace dns
