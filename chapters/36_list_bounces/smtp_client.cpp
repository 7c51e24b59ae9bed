#include "smtp_client.hpp"

#include "line_stream.hpp"

#include "shared/ascii.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

namespace relay {
namespace {

using asio::use_awaitable;
using asio::experimental::as_tuple;
using mailsteps::Duration;
using mailsteps::LineStream;
using Read = LineStream::ReadStatus;
using namespace asio::experimental::awaitable_operators;

constexpr std::size_t max_reply_line = 2048;  // RFC 5321 4.5.3.1.5 says 512; servers are not all that strict
constexpr std::size_t max_reply_lines = 100;  // a reply is a few lines, not an endless stream
constexpr std::size_t data_chunk = 64 * 1024; // the message goes out in writes of about this size

// The extensions we use, from the EHLO reply.
struct Extensions {
    bool size = false;           // RFC 1870: MAIL FROM takes SIZE=
    bool eight_bit_mime = false; // RFC 6152: MAIL FROM takes BODY=8BITMIME
    bool starttls = false;       // RFC 3207: we may ask for TLS
};

// RFC 5321 4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
struct ReplyLine {
    int code;
    bool last;
    std::string_view text;
};

std::optional<ReplyLine> parse_reply_line(std::string_view line) {
    // RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
        !mailsteps::is_digit(line[2])) {
        return std::nullopt;
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (line.size() == 3) {
        return ReplyLine{code, true, {}};
    }
    if (line[3] != ' ' && line[3] != '-') {
        return std::nullopt;
    }
    return ReplyLine{code, line[3] == ' ', line.substr(4)};
}

// RFC 5321 4.1.1.1: the first line of an EHLO reply names the server, each further line
// starts with an extension keyword; keywords are case-insensitive (2.4).
Extensions parse_extensions(std::string_view ehlo_text) {
    Extensions extensions;
    auto lf = ehlo_text.find('\n');
    while (lf != std::string_view::npos) {
        ehlo_text.remove_prefix(lf + 1);
        lf = ehlo_text.find('\n');
        auto line = ehlo_text.substr(0, lf);
        auto keyword = line.substr(0, line.find(' '));
        extensions.size |= mailsteps::equals_ci(keyword, "SIZE");
        extensions.eight_bit_mime |= mailsteps::equals_ci(keyword, "8BITMIME");
        extensions.starttls |= mailsteps::equals_ci(keyword, "STARTTLS");
    }
    return extensions;
}

// Takes the next line off the front of `rest`, without its line end. The text is stored
// with LF ends; a CR already before the LF belongs to the line end, so it is not doubled.
std::string_view take_line(std::string_view& rest) {
    auto lf = rest.find('\n');
    auto line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    if (line.ends_with('\r')) {
        line.remove_suffix(1);
    }
    return line;
}

// RFC 1870 3: the size as sent, CRLFs included, without the stuffing dots or the final dot.
std::size_t wire_size(std::string_view text) {
    std::size_t size = 0;
    for (std::string_view rest = text; !rest.empty();) {
        size += take_line(rest).size() + 2;
    }
    return size;
}

bool has_eight_bit(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool is_positive(const Reply& reply) { return reply.code >= 200 && reply.code < 400; }
bool is_refusal(const Reply& reply) { return reply.code >= 400; }
bool is_permanent(const Reply& reply) { return reply.code >= 500; }

// Connecting, raced against a timer like every other step.
asio::awaitable<asio::error_code> connect(asio::ip::tcp::socket& socket, const asio::ip::tcp::endpoint& server,
                                          Duration timeout) {
    asio::steady_timer timer(socket.get_executor(), timeout);
    auto outcome = co_await (socket.async_connect(server, as_tuple(use_awaitable)) ||
                             timer.async_wait(as_tuple(use_awaitable)));
    if (outcome.index() == 1) {
        co_return asio::error::timed_out;
    }
    co_return std::get<0>(std::get<0>(outcome));
}

// One conversation with a server that has answered the phone.
class Client {
public:
    Client(LineStream& server, const ClientOptions& options) : server_(server), options_(options) {}

    // RFC 5321 3.3: one mail transaction, then QUIT while the connection still works (after a
    // 421 the server is closing it already, RFC 5321 3.8).
    asio::awaitable<void> run(Attempt& attempt, const std::optional<smtp::Mailbox>& sender,
                              const std::vector<smtp::Mailbox>& recipients, std::string_view text,
                              const OnAnswered& answered) {
        attempt.session_reply = co_await transaction(attempt, sender, recipients, text);
        if (answered && !attempt.tls_failed) { // a failed handshake is tried again: not an outcome yet
            answered(attempt);
        }
        if (server_.is_open() && attempt.session_reply.code != 421) {
            co_await quit();
        }
    }

private:
    // Returns the session reply: the first refusal or failure, or the reply to the message.
    asio::awaitable<Reply> transaction(Attempt& attempt, const std::optional<smtp::Mailbox>& sender,
                                       const std::vector<smtp::Mailbox>& recipients, std::string_view text) {
        auto greeting = co_await read_reply("the greeting", 2, options_.greeting_timeout);
        if (!is_positive(greeting)) {
            attempt.refused_to_talk = is_permanent(greeting);
            co_return greeting;
        }
        auto hello = co_await say_hello();
        if (is_positive(hello) && options_.tls && extensions_.starttls) {
            auto hello_in_tls = co_await start_tls(attempt);
            if (hello_in_tls) {
                hello = *hello_in_tls;
            }
        }
        if (!is_positive(hello)) {
            attempt.refused_to_talk = is_permanent(hello);
            co_return hello;
        }
        // RFC 6152 3: 8-bit data only to a server that announced 8BITMIME. We do not convert the
        // message to 7 bits (RFC 6152 allows either); like Postfix with disable_mime_output_conversion,
        // we give it back to its sender with RFC 3463's 5.6.3, "conversion required but not supported".
        if (has_eight_bit(text) && !extensions_.eight_bit_mime) {
            attempt.lacks_8bitmime = true;
            co_return Reply{554, "5.6.3 Conversion required but not supported: the message has 8-bit data and the "
                                 "server did not announce 8BITMIME"};
        }
        auto mail = co_await command(mail_from(sender, text), 2, options_.command_timeout);
        if (!is_positive(mail)) {
            co_return mail;
        }
        bool any_accepted = false;
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            auto& reply = attempt.recipient_replies[i];
            reply = co_await command("RCPT TO:<" + to_string(recipients[i]) + ">", 2, options_.command_timeout);
            if (reply.code == 0) {
                co_return reply; // the conversation broke: the recipients after this one are not reached
            }
            any_accepted |= is_positive(reply);
        }
        if (!any_accepted) {
            co_return Reply{}; // RFC 5321 3.3: no DATA without a recipient; each has its own refusal
        }
        auto data = co_await command("DATA", 3, options_.data_init_timeout);
        if (!is_positive(data)) {
            co_return data;
        }
        co_await send_message(text);
        // RFC 5321 4.1.1.4: this one reply is the outcome for every accepted recipient.
        co_return co_await read_reply("the reply to the message", 2, options_.data_end_timeout);
    }

    // RFC 5321 4.1.1.1 and 3.2: EHLO, and HELO for a server that refuses it.
    asio::awaitable<Reply> say_hello() {
        auto reply = co_await command("EHLO " + options_.hostname, 2, options_.command_timeout);
        if (reply.code / 100 == 5) {
            co_return co_await command("HELO " + options_.hostname, 2, options_.command_timeout);
        }
        if (reply.code / 100 == 2) {
            extensions_ = parse_extensions(reply.text);
        }
        co_return reply;
    }

    // RFC 3207 4: STARTTLS, the handshake as the client, then EHLO again, forgetting what we
    // learned in the clear (4.2). Returns the new EHLO reply, or what ended the conversation.
    // Nothing if the server refused STARTTLS: the message then goes in the clear, as Postfix
    // does at "may".
    asio::awaitable<std::optional<Reply>> start_tls(Attempt& attempt) {
        auto reply = co_await command("STARTTLS", 2, options_.command_timeout);
        if (reply.code == 0 || reply.code == 421) {
            co_return reply;
        }
        if (reply.code != 220) {
            co_return std::nullopt;
        }
        bool started = co_await server_.start_tls(*options_.tls, options_.command_timeout);
        if (!started) {
            attempt.tls_failed = true;
            co_return Reply{0, "TLS handshake failed"};
        }
        extensions_ = {};
        auto hello = co_await say_hello();
        // In TLS 1.3 the server checks the end of the handshake only after the client has
        // finished it: a refusal shows as a connection that breaks at the first read.
        attempt.tls_failed = hello.code == 0;
        co_return hello;
    }

    // RFC 5321 4.1.1.2, with RFC 1870 SIZE= and RFC 6152 BODY=8BITMIME where the server knows them.
    std::string mail_from(const std::optional<smtp::Mailbox>& sender, std::string_view text) const {
        std::string line = "MAIL FROM:<" + (sender ? to_string(*sender) : "") + ">";
        if (extensions_.size) {
            line += " SIZE=" + std::to_string(wire_size(text));
        }
        if (extensions_.eight_bit_mime && has_eight_bit(text)) {
            line += " BODY=8BITMIME";
        }
        return line;
    }

    // RFC 5321 4.5.2 and 2.3.8: CRLF line ends, a dot doubled at the start of a line, then
    // the lone dot (4.1.1.4). Whole lines are gathered into large writes, each of which gets
    // the data block timeout. A line over 998 octets goes as it is: the server decides.
    asio::awaitable<void> send_message(std::string_view text) {
        std::string chunk;
        chunk.reserve(data_chunk);
        for (std::string_view rest = text; !rest.empty() && server_.is_open();) {
            auto line = take_line(rest);
            if (line.starts_with('.')) {
                chunk += '.';
            }
            chunk += line;
            chunk += "\r\n";
            if (chunk.size() >= data_chunk) {
                co_await server_.write(chunk, options_.data_block_timeout);
                chunk.clear();
            }
        }
        chunk += ".\r\n";
        co_await server_.write(chunk, options_.data_block_timeout);
    }

    // RFC 5321 4.1.1.10: the reply to QUIT changes nothing, but we wait for it before closing.
    asio::awaitable<void> quit() {
        co_await command("QUIT", 2, options_.command_timeout);
        server_.close();
    }

    // Sends one command line and reads its reply. `expected` is the first digit of a positive
    // reply: 2, or 3 for DATA's 354.
    asio::awaitable<Reply> command(std::string line, int expected, Duration timeout) {
        co_await server_.write(line + "\r\n", timeout);
        co_return co_await read_reply("the reply to " + line, expected, timeout);
    }

    // RFC 5321 4.2.1: a reply is one or more lines with the same code, each but the last with
    // a '-' after the code. Anything else, or a positive reply of the wrong kind (250 to DATA),
    // means the two sides no longer agree where they are: the conversation ends with code 0.
    asio::awaitable<Reply> read_reply(const std::string& what, int expected, Duration timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout; // for the whole reply, not each line
        Reply reply;
        for (std::size_t count = 0; count < max_reply_lines; ++count) {
            auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
            if (left <= Duration::zero()) {
                co_return broken(describe(Read::timed_out, timeout) + " " + what);
            }
            auto [status, line] = co_await server_.read_line(max_reply_line, left);
            if (status != Read::line) {
                co_return broken(describe(status, timeout) + " " + what);
            }
            auto parsed = parse_reply_line(line.text);
            if (!parsed || (count > 0 && parsed->code != reply.code)) {
                co_return broken("malformed line in " + what);
            }
            if (count > 0) {
                reply.text += '\n';
            }
            reply.code = parsed->code;
            reply.text += parsed->text;
            if (parsed->last) {
                if (reply.code / 100 != expected && !is_refusal(reply)) {
                    co_return broken("unexpected " + std::to_string(reply.code) + " as " + what);
                }
                co_return reply;
            }
        }
        co_return broken("more than " + std::to_string(max_reply_lines) + " lines in " + what);
    }

    static std::string describe(Read status, Duration timeout) {
        switch (status) {
        case Read::timed_out: return "timed out after " + mailsteps::format_duration(timeout) + " waiting for";
        case Read::too_long: return "line longer than " + std::to_string(max_reply_line) + " octets in";
        case Read::closed: return "connection closed while waiting for";
        case Read::stopped: return "stopped while waiting for";
        case Read::line: break;
        }
        return "?";
    }

    Reply broken(std::string what) {
        server_.close();
        return {0, std::move(what)};
    }

    LineStream& server_;
    const ClientOptions& options_;
    Extensions extensions_; // none until EHLO says otherwise
};

// One connection to `server` and the conversation on it.
asio::awaitable<Attempt> try_server(asio::ip::tcp::endpoint server, const std::optional<smtp::Mailbox>& sender,
                                    const std::vector<smtp::Mailbox>& recipients, std::string_view message_text,
                                    const ClientOptions& options, const mailsteps::Logger& log,
                                    const OnAnswered& answered) {
    Attempt attempt;
    attempt.recipient_replies.resize(recipients.size());
    asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
    if (auto error = co_await connect(socket, server, options.connect_timeout)) {
        attempt.session_reply = {0, "cannot connect to " + mailsteps::to_string(server) + ": " + error.message()};
        co_return attempt;
    }
    attempt.connected = true;
    LineStream stream(std::move(socket), log, LineStream::Peer::server);
    Client client(stream, options);
    co_await client.run(attempt, sender, recipients, message_text, answered);
    stream.close();
    co_return attempt;
}

} // namespace

asio::awaitable<Attempt> deliver_to_server(asio::ip::tcp::endpoint server, const std::optional<smtp::Mailbox>& sender,
                                           const std::vector<smtp::Mailbox>& recipients, std::string_view message_text,
                                           const ClientOptions& options, const mailsteps::Logger& log,
                                           OnAnswered answered) {
    auto attempt = co_await try_server(server, sender, recipients, message_text, options, log, answered);
    if (attempt.tls_failed) { // as Postfix does: a server whose TLS is broken still gets its mail
        log.warning("TLS with ", mailsteps::to_string(server), " failed; trying again in the clear");
        ClientOptions in_the_clear = options;
        in_the_clear.tls = nullptr;
        attempt = co_await try_server(server, sender, recipients, message_text, in_the_clear, log, answered);
    }
    co_return attempt;
}

const Reply& outcome_for(const Attempt& attempt, std::size_t index) {
    const Reply& own = attempt.recipient_replies.at(index);
    return is_refusal(own) ? own : attempt.session_reply;
}

} // namespace relay
