#pragma once

// A scripted name server running in the test's own process on 127.0.0.1, UDP and TCP on one
// port, and a fixture that runs the client's coroutines against it (chapters 13 and 14).

#include "dns_client.hpp"
#include "dns_message.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <optional>

namespace dns::tests {

using Bytes = std::vector<std::uint8_t>;
using asio::use_awaitable;
using asio::experimental::as_tuple;
using asio::ip::tcp;
using asio::ip::udp;
using dns::Type;
using namespace std::chrono_literals;

inline constexpr auto use_nothrow_awaitable = as_tuple(use_awaitable);

inline dns::Name name(std::string_view text) {
    return dns::Name::from_text(text).value();
}

// ---- A scripted name server --------------------------------------------------------------

struct Reply {
    Bytes wire;
    bool from_another_port = false;  // the source address will not match the server's
};

inline Reply reply(const dns::Message& message) {
    return {dns::encode(message), false};
}

inline dns::Message response_to(const dns::Message& query, dns::Rcode rcode = dns::Rcode::NOERROR) {
    dns::Message response;
    response.header = query.header;
    response.header.qr = true;
    response.header.rcode = rcode;
    response.questions = query.questions;
    return response;
}

// Listens on UDP and TCP, same port, on 127.0.0.1. `respond` decides what goes back for
// each query (nothing: stay silent) and whether it came over TCP.
class FakeServer {
public:
    using Respond = std::function<std::vector<Reply>(const dns::Message& query, bool over_tcp)>;

    FakeServer(asio::io_context& io, Respond respond)
        : respond_(std::move(respond)), udp_(io), other_port_(io, {asio::ip::address_v4::loopback(), 0}),
          acceptor_(io) {
        // A name server listens on UDP and TCP with the same port number. The OS picks a free
        // UDP port; that TCP port may be taken, so try again until both are ours.
        for (int attempt = 0; !acceptor_.is_open(); ++attempt) {
            udp_ = udp::socket(io, {asio::ip::address_v4::loopback(), 0});
            asio::ip::tcp::endpoint same_port{asio::ip::address_v4::loopback(), udp_.local_endpoint().port()};
            asio::error_code error;
            acceptor_.open(same_port.protocol());
            acceptor_.bind(same_port, error);
            if (!error) {
                acceptor_.listen();
            } else if (acceptor_.close(error); attempt == 100) {
                throw std::runtime_error("no port free for both UDP and TCP");
            }
        }
        asio::co_spawn(io, serve_udp(), asio::detached);
        asio::co_spawn(io, serve_tcp(), asio::detached);
    }

    udp::endpoint endpoint() const { return udp_.local_endpoint(); }

    std::vector<dns::Question> udp_queries;
    std::vector<dns::Question> tcp_queries;

private:
    std::optional<dns::Message> parse(std::span<const std::uint8_t> packet) {
        auto result = dns::parse_message(packet);
        if (auto* query = std::get_if<dns::Message>(&result); query && query->questions.size() == 1) {
            return std::move(*query);
        }
        ADD_FAILURE() << "the client sent a malformed query";
        return std::nullopt;
    }

    asio::awaitable<void> serve_udp() {
        Bytes buffer(65535);
        while (true) {
            udp::endpoint client;
            const auto [error, size] =
                co_await udp_.async_receive_from(asio::buffer(buffer), client, use_nothrow_awaitable);
            if (error) {
                co_return;
            }
            const auto query = parse(std::span(buffer).first(size));
            if (!query) {
                continue;
            }
            udp_queries.push_back(query->questions.front());
            for (const auto& answer : respond_(*query, false)) {
                auto& socket = answer.from_another_port ? other_port_ : udp_;
                co_await socket.async_send_to(asio::buffer(answer.wire), client, use_nothrow_awaitable);
            }
        }
    }

    asio::awaitable<void> serve_tcp() {
        while (true) {
            auto [error, connection] = co_await acceptor_.async_accept(use_nothrow_awaitable);
            if (error) {
                co_return;
            }
            asio::co_spawn(acceptor_.get_executor(), serve_connection(std::move(connection)), asio::detached);
        }
    }

    // RFC 1035 4.2.2: messages with a two-octet length prefix.
    asio::awaitable<void> serve_connection(tcp::socket connection) {
        std::array<std::uint8_t, 2> length{};
        const auto [length_error, n] =
            co_await asio::async_read(connection, asio::buffer(length), use_nothrow_awaitable);
        if (length_error) {
            co_return;
        }
        Bytes packet(static_cast<std::size_t>(length[0] << 8 | length[1]));
        const auto [read_error, m] = co_await asio::async_read(connection, asio::buffer(packet), use_nothrow_awaitable);
        if (read_error) {
            co_return;
        }
        const auto query = parse(packet);
        if (!query) {
            co_return;
        }
        tcp_queries.push_back(query->questions.front());
        for (const auto& answer : respond_(*query, true)) {
            const auto size = answer.wire.size();
            length = {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
            const std::array<asio::const_buffer, 2> buffers{asio::buffer(length), asio::buffer(answer.wire)};
            co_await asio::async_write(connection, buffers, use_nothrow_awaitable);
        }
        // Keep the connection open until the client closes it: silence is silence.
        co_await asio::async_read(connection, asio::buffer(length), use_nothrow_awaitable);
    }

    Respond respond_;
    udp::socket udp_;
    udp::socket other_port_;
    tcp::acceptor acceptor_;
};

// An authoritative server for a few records: NXDOMAIN for names it does not know, no data
// for known names without records of the type asked, CNAMEs without following them.
struct Zone {
    std::vector<dns::Record> records;

    std::vector<Reply> operator()(const dns::Message& query, bool) const {
        auto response = response_to(query);
        const auto& question = query.questions.front();
        bool known = false;
        for (const auto& record : records) {
            if (record.name == question.name) {
                known = true;
                if (record.type == question.type || record.type == Type::CNAME) {
                    response.answers.push_back(record);
                }
            }
        }
        response.header.aa = true;
        response.header.rcode = known ? dns::Rcode::NOERROR : dns::Rcode::NXDOMAIN;
        return {reply(response)};
    }
};

inline dns::Record mx(std::string_view owner, std::uint16_t preference, std::string_view host) {
    return {name(owner), Type::MX, dns::class_in, 300, dns::rdata::Mx{preference, name(host)}};
}

inline dns::Record a(std::string_view owner, std::string_view address) {
    return {name(owner), Type::A, dns::class_in, 300, dns::rdata::A{asio::ip::make_address_v4(address)}};
}

inline dns::Record aaaa(std::string_view owner, std::string_view address) {
    return {name(owner), Type::AAAA, dns::class_in, 300, dns::rdata::Aaaa{asio::ip::make_address_v6(address)}};
}

inline dns::Record cname(std::string_view owner, std::string_view target) {
    return {name(owner), Type::CNAME, dns::class_in, 300, dns::rdata::Cname{name(target)}};
}

inline dns::Record txt(std::string_view owner, std::vector<std::string> strings) {
    return {name(owner), Type::TXT, dns::class_in, 300, dns::rdata::Txt{std::move(strings)}};
}

inline FakeServer::Respond always(dns::Rcode rcode) {
    return [rcode](const dns::Message& query, bool) { return std::vector<Reply>{reply(response_to(query, rcode))}; };
}

// Runs the client's coroutines against fake servers on the same io_context.
class ClientTest : public testing::Test {
protected:
    dns::ClientOptions options_for(const FakeServer& server) {
        dns::ClientOptions options;
        options.servers = {server.endpoint()};
        options.timeout = 2s;
        return options;
    }

    // Runs one coroutine to completion; the fake servers keep running in the background.
    template <typename T>
    T run(asio::awaitable<T> task) {
        std::optional<T> result;
        asio::co_spawn(io_, std::move(task), [&](std::exception_ptr error, T value) {
            if (error) {
                std::rethrow_exception(error);
            }
            result = std::move(value);
            io_.stop();
        });
        io_.restart();
        io_.run();
        return std::move(result).value();
    }

    asio::io_context io_;
};

}  // namespace dns::tests
