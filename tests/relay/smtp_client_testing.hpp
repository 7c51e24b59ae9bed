#pragma once

// The relay's SMTP client against a scripted SMTP server running in the same process on
// 127.0.0.1: the server, and a fixture that makes one delivery to it. Each test file that uses
// them derives a fixture of its own.
#include "smtp_client.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto use_nothrow_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

const tcp::endpoint loopback_any_port{asio::ip::address_v4::loopback(), 0};

// ---- A scripted SMTP server --------------------------------------------------------------

// Serves one connection: sends `greeting`, then answers each command line from `replies`;
// after a 354 it takes the message up to CRLF "." CRLF and answers `reply_to_message`.
// Replies are raw bytes, so a test can send anything; an empty reply is silence.
class FakeServer {
public:
    static inline const std::string hang_up = "<hang up>"; // as a reply: close the connection instead

    explicit FakeServer(asio::io_context& io) : acceptor_(io, loopback_any_port), socket_(io) {
        asio::co_spawn(io, serve(), asio::detached);
    }

    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

    void close() {
        asio::error_code ignored;
        acceptor_.close(ignored);
        socket_.close(ignored);
    }

    std::string greeting = "220 fake.test ESMTP\r\n";
    std::string endless; // when set: sent again and again after the greeting, nothing is read
    std::chrono::milliseconds pause{0}; // between two sendings of `endless`
    // By whole command line ("RCPT TO:<bob@b.test>"), else by its first four letters ("RCPT").
    std::map<std::string, std::string> replies{
        {"EHLO", "250 fake.test\r\n"}, // no extensions: the fixture of chapter 20's tests adds some
        {"HELO", "250 fake.test\r\n"},
        {"MAIL", "250 2.1.0 Ok\r\n"},
        {"RCPT", "250 2.1.5 Ok\r\n"},
        {"DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"},
        {"QUIT", "221 2.0.0 Bye\r\n"},
    };
    std::string reply_to_message = "250 2.0.0 Ok: queued as 1234\r\n";

    std::string received;              // every byte the client sent
    std::vector<std::string> commands; // the command lines among them

private:
    asio::awaitable<void> serve() {
        auto [error, socket] = co_await acceptor_.async_accept(use_nothrow_awaitable);
        if (error) {
            co_return;
        }
        socket_ = std::move(socket);
        if (!co_await send(greeting)) {
            co_return;
        }
        while (!endless.empty()) {
            if (!co_await send(endless)) {
                co_return;
            }
            asio::steady_timer timer(socket_.get_executor(), pause);
            co_await timer.async_wait(use_nothrow_awaitable);
        }
        std::string unread;
        bool in_message = false;
        std::vector<char> buffer(65536);
        for (;;) {
            auto [read_error, size] = co_await socket_.async_read_some(asio::buffer(buffer), use_nothrow_awaitable);
            if (read_error) {
                co_return;
            }
            received.append(buffer.data(), size);
            unread.append(buffer.data(), size);
            for (;;) {
                std::string reply;
                if (in_message) {
                    // The CRLF before the final dot may be the one that ended DATA.
                    auto end = ("\r\n" + unread).find("\r\n.\r\n");
                    if (end == std::string::npos) {
                        break;
                    }
                    unread.erase(0, end + 3);
                    in_message = false;
                    reply = reply_to_message;
                } else {
                    auto end = unread.find("\r\n");
                    if (end == std::string::npos) {
                        break;
                    }
                    commands.push_back(unread.substr(0, end));
                    unread.erase(0, end + 2);
                    reply = reply_for(commands.back());
                    in_message = reply.starts_with("354");
                }
                if (reply == hang_up || !co_await send(reply) || (!in_message && commands.back() == "QUIT")) {
                    close();
                    co_return;
                }
            }
        }
    }

    std::string reply_for(const std::string& command) const {
        if (auto exact = replies.find(command); exact != replies.end()) {
            return exact->second;
        }
        if (auto by_verb = replies.find(command.substr(0, 4)); by_verb != replies.end()) {
            return by_verb->second;
        }
        return "500 5.5.2 Command not recognized\r\n";
    }

    asio::awaitable<bool> send(std::string_view bytes) {
        if (bytes.empty()) {
            co_return true;
        }
        auto [error, size] = co_await asio::async_write(socket_, asio::buffer(bytes), use_nothrow_awaitable);
        co_return !error;
    }

    tcp::acceptor acceptor_;
    tcp::socket socket_;
};

// ---- The fixture: one delivery against the fake server (or another address) -------------

const smtp::Mailbox alice{"alice", "a.test"};
const smtp::Mailbox bob{"bob", "b.test"};
const smtp::Mailbox carol{"carol", "c.test"};
const smtp::Mailbox dave{"dave", "d.test"};

class SmtpClientTest : public ::testing::Test {
protected:
    SmtpClientTest() {
        // Long enough for any working exchange, short enough that a hang fails the test.
        options_.hostname = "client.test";
        options_.connect_timeout = 10s;
        options_.greeting_timeout = 10s;
        options_.command_timeout = 10s;
        options_.data_init_timeout = 10s;
        options_.data_block_timeout = 10s;
        options_.data_end_timeout = 10s;
    }

    relay::Attempt deliver(std::string_view text = "Subject: test\n\nHello\n") {
        return deliver_to(server_.endpoint(), text);
    }

    relay::Attempt deliver_to(tcp::endpoint destination, std::string_view text) {
        std::optional<relay::Attempt> result;
        auto started = Clock::now();
        asio::co_spawn(io_, relay::deliver_to_server(destination, sender_, recipients_, text, options_, log_),
                       [&](std::exception_ptr error, relay::Attempt attempt) {
                           EXPECT_FALSE(error) << "deliver_to_server threw";
                           result = std::move(attempt);
                           server_.close();
                       });
        io_.run();
        elapsed_ = Clock::now() - started;
        return result.value_or(relay::Attempt{});
    }

    // What the client sent after DATA, up to and including the final dot.
    std::string message_part() const {
        const auto& received = server_.received;
        auto start = received.find("DATA\r\n");
        auto end = received.rfind(".\r\n");
        if (start == std::string::npos || end == std::string::npos || end < start + 6) {
            return "<no message in: " + received + ">";
        }
        return received.substr(start + 6, end + 3 - start - 6);
    }

    asio::io_context io_;
    FakeServer server_{io_};
    relay::ClientOptions options_;
    std::optional<smtp::Mailbox> sender_ = alice;
    std::vector<smtp::Mailbox> recipients_{bob};
    mailsteps::Logger log_{"test"};
    Clock::duration elapsed_{};
};

using Commands = std::vector<std::string>;

} // namespace
