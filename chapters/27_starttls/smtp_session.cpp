#include "smtp_session.hpp"

#include "local_delivery.hpp"
#include "maildir.hpp"
#include "relay.hpp"
#include "smtp_command.hpp"
#include "smtp_data.hpp"
#include "users.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <system_error>

namespace smtp {
namespace {

using mailsteps::LineStream;
using Read = LineStream::ReadStatus;

constexpr std::size_t max_command_line = 512; // RFC 5321 4.5.3.1.4, CRLF included
constexpr int max_errors = 10;                // then the client is probably not a mail client
constexpr int max_received_headers = 30;      // more: the message is going round in a loop (RFC 5321 6.3)

// A reply: its code and its lines (RFC 5321 4.2). Every line but the greeting and the
// HELO/EHLO answer starts with an enhanced status code (RFC 2034, RFC 3463).
struct Reply {
    int code;
    std::vector<std::string> lines;

    // RFC 5321 4.2.1: "250-first", "250-second", "250 last"
    std::string wire() const {
        std::string text;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            text += std::to_string(code) + (i + 1 < lines.size() ? "-" : " ") + lines[i] + "\r\n";
        }
        return text;
    }
};

Reply from_error(const SyntaxError& error) { return {error.code, {error.status + " " + error.text}}; }

// RFC 5321 4.2.2 and RFC 3463 3.4: a full disk is "452 4.3.1", insufficient system storage; any
// other failure to store is a local error, 451 4.3.0. Both tell the client to try again later.
Reply not_stored(std::error_code error, const std::string& what) {
    if (error == std::errc::no_space_on_device) {
        return {452, {"4.3.1 Insufficient system storage, please try again later"}};
    }
    return {451, {"4.3.0 " + what + ", please try again later"}};
}

std::string new_message_id() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    char id[17];
    std::snprintf(id, sizeof id, "%012llX", static_cast<unsigned long long>(random() >> 16));
    return id;
}

// HELO/EHLO names go into Received: headers, so only printable text without spaces or the
// parentheses that delimit the header's comments.
bool is_acceptable_client_name(std::string_view name) {
    return !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != '(' && c != ')';
    });
}

class Session {
public:
    Session(LineStream& client, const Options& options)
        : client_(client), options_(options),
          may_relay_(options.relay && relay::contains(options.relay_networks, client.remote_endpoint().address())) {
        envelope_.client_address = client.remote_endpoint().address();
    }

    // RFC 5321 3.1 and 4.1.4: greet, then answer commands until QUIT.
    asio::awaitable<void> run() {
        co_await client_.write("220 " + options_.hostname + " ESMTP mailsteps\r\n");
        for (;;) {
            auto [status, line] = co_await client_.read_line(max_command_line, options_.command_timeout);
            std::optional<Reply> reply;
            if (status == Read::line) {
                reply = co_await execute(parse_command(line.text));
            } else if (status == Read::too_long) {
                reply = Reply{500, {"5.5.6 Line too long (the limit is 512 octets)"}};
            } else {
                co_await say_goodbye(status);
                co_return;
            }
            if (!reply) {
                co_return; // QUIT, or the connection is gone
            }
            co_await client_.write(reply->wire());
            if (starting_tls_) {
                bool started = co_await start_tls();
                if (!started) {
                    co_return; // the handshake failed: the connection is closed
                }
            }
            if (reply->code >= 500 && ++errors_ == max_errors) {
                co_await client_.write("421 4.7.0 " + options_.hostname + " Too many errors, closing connection\r\n");
                co_return;
            }
        }
    }

private:
    asio::awaitable<std::optional<Reply>> execute(const Command& command) {
        switch (command.verb) {
        case Verb::helo:
        case Verb::ehlo: co_return hello(command);
        case Verb::mail: co_return mail(command.argument);
        case Verb::rcpt: co_return rcpt(command.argument);
        case Verb::data: co_return co_await data(command.argument);
        case Verb::rset: // RFC 5321 4.1.1.5
            reset();
            co_return Reply{250, {"2.0.0 Ok"}};
        case Verb::noop: co_return Reply{250, {"2.0.0 Ok"}}; // RFC 5321 4.1.1.9
        case Verb::vrfy: // RFC 5321 3.5.3: we will not say who exists, but will take the mail
            co_return Reply{252, {"2.5.0 Cannot VRFY user, but will accept message and attempt delivery"}};
        case Verb::expn: co_return Reply{502, {"5.5.1 EXPN is not supported"}};
        case Verb::help:
            co_return Reply{214, {"2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT STARTTLS"}};
        case Verb::starttls:
            if (options_.tls) {
                co_return starttls(command.argument);
            }
            break;
        case Verb::quit: // RFC 5321 4.1.1.10
            co_await client_.write("221 2.0.0 " + options_.hostname + " closing connection\r\n");
            co_return std::nullopt;
        case Verb::unknown: break;
        }
        co_return Reply{500, {"5.5.2 Command not recognized"}};
    }

    // RFC 5321 4.1.1.1: HELO/EHLO; EHLO lists the extensions we support.
    Reply hello(const Command& command) {
        std::string_view name = command.argument;
        while (name.ends_with(' ')) {
            name.remove_suffix(1);
        }
        bool extended = command.verb == Verb::ehlo;
        if (!is_acceptable_client_name(name)) {
            return {501, {std::string("5.5.4 Syntax: ") + (extended ? "EHLO" : "HELO") + " hostname"}};
        }
        reset(); // RFC 5321 4.1.4: a new greeting ends any transaction
        envelope_.client_name = name;
        envelope_.extended = extended;
        if (!extended) {
            return {250, {options_.hostname}};
        }
        Reply reply{250,
                    {options_.hostname,
                     "PIPELINING",                                         // RFC 2920
                     "SIZE " + std::to_string(options_.max_message_size),  // RFC 1870
                     "8BITMIME"}};                                         // RFC 6152
        if (options_.tls && !client_.is_tls()) { // RFC 3207 4.2: not once TLS is on
            reply.lines.push_back("STARTTLS");
        }
        reply.lines.push_back("ENHANCEDSTATUSCODES"); // RFC 2034
        return reply;
    }

    // RFC 3207 4: STARTTLS. The handshake begins once this reply is sent (run() does it).
    Reply starttls(std::string_view argument) {
        if (!argument.empty()) {
            return {501, {"5.5.4 STARTTLS takes no argument"}};
        }
        if (client_.is_tls()) {
            return {503, {"5.5.1 TLS is already active"}};
        }
        starting_tls_ = true;
        return {220, {"2.0.0 Ready to start TLS"}};
    }

    // RFC 3207 4.2: after the handshake the session starts over, as if just greeted: nothing the
    // client said in the clear (its name, a transaction) counts any more.
    asio::awaitable<bool> start_tls() {
        starting_tls_ = false;
        bool started = co_await client_.start_tls(*options_.tls, options_.command_timeout);
        if (!started) {
            co_return false;
        }
        reset();
        envelope_.client_name.clear();
        envelope_.extended = false;
        envelope_.tls = client_.tls_description();
        co_return true;
    }

    // RFC 5321 4.1.1.2: MAIL FROM opens a transaction.
    Reply mail(std::string_view argument) {
        if (envelope_.client_name.empty()) {
            return {503, {"5.5.1 Send HELO or EHLO first"}};
        }
        if (in_transaction_) {
            return {503, {"5.5.1 Nested MAIL command"}};
        }
        auto parsed = parse_mail_from(argument);
        if (auto* error = std::get_if<SyntaxError>(&parsed)) {
            return from_error(*error);
        }
        auto& mail = std::get<MailFrom>(parsed);
        if (mail.size && *mail.size > options_.max_message_size) { // RFC 1870 6.1
            return {552, {"5.3.4 Message size exceeds the limit of " + std::to_string(options_.max_message_size) +
                          " octets"}};
        }
        envelope_.sender = mail.sender;
        in_transaction_ = true;
        return {250, {"2.1.0 Ok"}};
    }

    // RFC 5321 4.1.1.3: RCPT TO adds one recipient.
    Reply rcpt(std::string_view argument) {
        if (!in_transaction_) {
            return {503, {"5.5.1 Need MAIL command"}};
        }
        auto parsed = parse_rcpt_to(argument);
        if (auto* error = std::get_if<SyntaxError>(&parsed)) {
            return from_error(*error);
        }
        Mailbox recipient = std::get<RcptTo>(parsed).recipient;
        if (recipient.domain.empty()) {
            recipient.domain = options_.domains.front(); // <Postmaster>, RFC 5321 4.1.1.3
        }
        bool local = is_local(recipient.domain);
        if (!local && !may_relay_) { // RFC 5321 3.6.2: relay only for our own clients
            return {550, {"5.7.1 Relaying denied: " + recipient.domain + " is not a domain of this server"}};
        }
        if (!local && recipient.domain.starts_with('[')) { // no MX to look up for an address literal
            return {550, {"5.1.2 Relaying to address literals is not supported"}};
        }
        if (local && !mailsteps::mailbox_path(options_.maildir_root, recipient.domain, recipient.local_part)) {
            return {553, {"5.1.3 Mailbox name not allowed"}};
        }
        if (local && !has_mailbox(recipient)) {
            return {550, {"5.1.1 <" + to_string(recipient) + ">: no such user here"}};
        }
        if (envelope_.recipients.size() >= options_.max_recipients) { // RFC 5321 4.5.3.1.8
            return {452, {"4.5.3 Too many recipients"}};
        }
        auto same = [&](const Mailbox& other) {
            return mailsteps::equals_ci(other.local_part, recipient.local_part) &&
                   mailsteps::equals_ci(other.domain, recipient.domain);
        };
        if (std::none_of(envelope_.recipients.begin(), envelope_.recipients.end(), same)) {
            envelope_.recipients.push_back(recipient);
        }
        return {250, {"2.1.5 Ok"}};
    }

    // RFC 5321 4.1.1.4: DATA, the message itself, up to a line with a single dot.
    asio::awaitable<std::optional<Reply>> data(std::string_view argument) {
        if (!argument.empty()) {
            co_return Reply{501, {"5.5.4 DATA takes no argument"}};
        }
        if (!in_transaction_) {
            co_return Reply{503, {"5.5.1 Need MAIL command"}};
        }
        if (envelope_.recipients.empty()) { // RFC 5321 3.3
            co_return Reply{554, {"5.5.1 No valid recipients"}};
        }
        co_await client_.write("354 End data with <CR><LF>.<CR><LF>\r\n");
        MessageBuilder message(options_.max_message_size, options_.maildir_root);
        for (bool end = false; !end;) {
            auto [status, line] = co_await client_.read_line(MessageBuilder::max_stuffed_line, options_.data_timeout);
            if (status == Read::line) {
                end = message.add_line(line);
            } else if (status == Read::too_long) {
                message.add_too_long_line();
            } else {
                co_await say_goodbye(status);
                co_return std::nullopt;
            }
        }
        // Storing waits for the disk (fsync): on a disk thread, while this one serves other sessions.
        Reply reply = co_await options_.disk->run([&] { return accept(message); });
        reset(); // RFC 5321 4.1.1.4: the transaction is over, whatever the outcome
        co_return reply;
    }

    Reply accept(const MessageBuilder& message) {
        switch (message.problem()) {
        case MessageBuilder::Problem::too_big:
            return {552, {"5.3.4 Message size exceeds the limit of " + std::to_string(options_.max_message_size) +
                          " octets"}};
        case MessageBuilder::Problem::line_too_long: // RFC 5321 4.3.2: 554 is a reply to the end of DATA
            return {554, {"5.6.0 Message refused: a line is longer than 1000 octets (RFC 5321 4.5.3.1.6)"}};
        case MessageBuilder::Problem::bare_line_end:
            return {554, {"5.6.0 Message refused: bare CR or LF in the data (RFC 5321 2.3.8)"}};
        case MessageBuilder::Problem::not_stored:
            client_.log().error("receiving a message failed: ", message.storage_error().message());
            return not_stored(message.storage_error(), "Receiving the message failed");
        case MessageBuilder::Problem::none: break;
        }
        if (message.received_headers() > max_received_headers) {
            return {554, {"5.4.6 Too many Received: headers: the message is in a mail loop"}};
        }
        std::string id = new_message_id();
        std::string sender = envelope_.sender ? to_string(*envelope_.sender) : "";
        Envelope local = envelope_;
        Envelope remote = envelope_;
        std::erase_if(local.recipients, [&](const Mailbox& r) { return !is_local(r.domain); });
        std::erase_if(remote.recipients, [&](const Mailbox& r) { return is_local(r.domain); });
        // The reply 250 goes out only after every local copy is on disk and the rest is queued.
        // Local copies first: if they fail, the client's retry duplicates nothing remote. If
        // queueing fails after them, they are taken back, for the 451 means "not delivered".
        std::vector<std::filesystem::path> stored;
        if (!local.recipients.empty()) {
            auto error = deliver_locally(options_.maildir_root, local, message.text(), options_.hostname, id, &stored);
            if (error) {
                client_.log().error("id=", id, " from=<", sender, "> local delivery failed: ", error.message());
                return not_stored(error, "Local delivery failed");
            }
        }
        if (!remote.recipients.empty()) {
            if (auto error = options_.relay->submit(remote, message.text(), id)) {
                take_back(stored);
                client_.log().error("id=", id, " from=<", sender, "> queueing failed: ", error.message());
                return not_stored(error, "Queueing failed");
            }
        }
        client_.log().info("id=", id, " from=<", sender, "> local=", local.recipients.size(),
                           " queued=", remote.recipients.size(), " size=", message.text().size(), " status=accepted");
        return {250, {"2.0.0 Ok: queued as " + id}};
    }

    // RFC 5321 3.8: before closing on our side, say why with a 421.
    asio::awaitable<void> say_goodbye(Read status) {
        if (status == Read::timed_out) { // RFC 5321 4.5.3.2.7
            co_await client_.write("421 4.4.2 " + options_.hostname + " Timeout, closing connection\r\n");
        } else if (status == Read::stopped) {
            co_await client_.write("421 4.3.2 " + options_.hostname + " Service shutting down\r\n");
        }
    }

    bool is_local(std::string_view domain) const {
        return std::any_of(options_.domains.begin(), options_.domains.end(),
                           [&](const std::string& local) { return mailsteps::equals_ci(local, domain); });
    }

    // With a users file that lists accounts, only they have mailboxes; postmaster always has
    // one (RFC 5321 4.5.1).
    bool has_mailbox(const Mailbox& recipient) const {
        return !options_.users || mailsteps::equals_ci(recipient.local_part, "postmaster") ||
               options_.users->accepts_mail_for(recipient.local_part + "@" + recipient.domain);
    }

    void reset() {
        in_transaction_ = false;
        envelope_.sender.reset();
        envelope_.recipients.clear();
    }

    LineStream& client_;
    const Options& options_;
    bool may_relay_;
    Envelope envelope_;
    bool in_transaction_ = false; // between MAIL and the end of DATA (or RSET)
    bool starting_tls_ = false;   // STARTTLS was answered: the handshake comes next
    int errors_ = 0;
};

} // namespace

asio::awaitable<void> smtp_session(LineStream& client, const Options& options) {
    Session session(client, options);
    co_await session.run();
}

} // namespace smtp
