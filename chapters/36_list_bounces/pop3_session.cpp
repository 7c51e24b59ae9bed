#include "pop3_session.hpp"

#include "login_throttle.hpp"
#include "maildir.hpp"
#include "maildrop.hpp"
#include "pop3_command.hpp"
#include "pop3_data.hpp"
#include "users.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <optional>

namespace pop3 {
namespace {

using mailsteps::LineStream;
using Read = LineStream::ReadStatus;

constexpr std::size_t max_command_line = 255; // RFC 2449 4, CRLF included
constexpr int max_errors = 10;                // then the client is probably not a mail client
constexpr std::size_t write_piece = 64 * 1024;  // a big message goes out in pieces this size

// RFC 1939 3: every response starts with a status indicator, "+OK" or "-ERR".
std::string ok(std::string_view text) { return "+OK " + std::string(text) + "\r\n"; }
std::string err(std::string_view text) { return "-ERR " + std::string(text) + "\r\n"; }

// "1 message", "2 messages"
std::string messages(std::size_t count) { return std::to_string(count) + (count == 1 ? " message" : " messages"); }

// "2 messages (320 octets)", as RFC 1939's examples say it.
std::string summary(const Maildrop& maildrop) {
    return messages(maildrop.count()) + " (" + std::to_string(maildrop.total_size()) + " octets)";
}

// RFC 2449 5: what this server implements, one capability a line, the same in both states.
// RFC 2595 4: STLS until TLS is on; USER only where a password may be sent.
std::string capabilities(bool can_start_tls, bool can_send_password) {
    return ok("Capability list follows") +
           (can_start_tls ? "STLS\r\n" : "") +
           (can_send_password ? "USER\r\n" : "") + // RFC 1939 7: USER and PASS
           "TOP\r\n"              // RFC 1939 7
           "UIDL\r\n"             // RFC 1939 7
           "RESP-CODES\r\n"       // RFC 2449 8: [IN-USE] and friends
           "AUTH-RESP-CODE\r\n"   // RFC 3206: [AUTH] and [SYS/TEMP]
           "PIPELINING\r\n"       // RFC 2449 6.6: we read commands as they come, in order
           "IMPLEMENTATION mailsteps\r\n"
           ".\r\n";
}

class Session {
public:
    Session(LineStream& client, const Options& options) : client_(client), options_(options) {}

    // RFC 1939 3: a greeting, then AUTHORIZATION, TRANSACTION, and UPDATE only after QUIT.
    asio::awaitable<void> run() {
        client_.set_trace_filter(hide_password);
        co_await client_.write(ok("mailsteps POP3 server ready"));
        auto maildrop = co_await authorization();
        if (!maildrop) {
            co_return;
        }
        if (co_await transaction(*maildrop)) {
            // Removing files and syncing the directories waits for the disk: on a disk thread.
            std::string goodbye = co_await options_.disk->run([&] { return update(*maildrop); });
            maildrop.reset(); // the lock goes first, so a client reconnecting at once finds it free
            co_await client_.write(goodbye);
        }
    }

private:
    // RFC 1939 4: USER and PASS until the maildrop is ours; nothing if the client leaves first.
    asio::awaitable<std::optional<Maildrop>> authorization() {
        std::string user;
        while (auto command = co_await next_command(State::authorization)) {
            switch (command->verb) {
            case Verb::user: {
                if (!may_send_password()) { // RFC 2595 2.3: no password outside TLS
                    co_await client_.write(err("[AUTH] Plaintext authentication disallowed without TLS, use STLS"));
                    break;
                }
                user = command->argument;
                // Not inside the co_await: GCC 12 destroys a ?: of two strings there twice.
                std::string reply = user.empty() ? err("Syntax: USER name") : ok("Send PASS");
                co_await client_.write(reply);
                break;
            }
            case Verb::pass: {
                if (user.empty()) {
                    co_await client_.write(err("Send USER first"));
                    break;
                }
                std::string name = std::move(user); // RFC 1939 7: after PASS, USER comes again
                user.clear();
                // Taken before the password is checked, so guesses sent at once cannot slip past.
                if (!options_.throttle->try_attempt(client_.remote_endpoint().address())) {
                    client_.log().info("user=", name, " status=throttled");
                    co_await client_.write(err("[SYS/TEMP] Too many failed logins from your address, try again later"));
                    co_return std::nullopt;
                }
                auto maildrop = co_await login(name, command->argument);
                if (maildrop || failures_ == options_.max_login_failures) {
                    co_return maildrop;
                }
                break;
            }
            case Verb::capa: co_await client_.write(current_capabilities()); break;
            case Verb::stls: { // RFC 2595 4: no arguments, and only once
                if (!can_start_tls()) {
                    co_await client_.write(err("Command not permitted when TLS active"));
                    break;
                }
                if (!command->argument.empty()) {
                    co_await client_.write(err("Syntax: STLS"));
                    break;
                }
                co_await client_.write(ok("Begin TLS negotiation"));
                bool started = co_await client_.start_tls(*options_.tls, options_.idle_timeout);
                if (!started) {
                    co_return std::nullopt; // the handshake failed: the connection is closed
                }
                user.clear(); // nothing said in the clear counts once TLS is on
                break;
            }
            case Verb::quit: // RFC 1939 6: QUIT before login ends the session, UPDATE does not happen
                co_await client_.write(ok("mailsteps POP3 server signing off"));
                co_return std::nullopt;
            default: break; // next_command() lets through only what this state allows
            }
        }
        co_return std::nullopt;
    }

    // RFC 1939 7 (USER/PASS) and 4 (the lock): check the password, then lock and open the maildrop.
    asio::awaitable<std::optional<Maildrop>> login(const std::string& user, std::string_view password) {
        auto address = accounts::normalize_address(user.find('@') == std::string::npos
                                                       ? user + "@" + options_.default_domain
                                                       : user);
        // crypt(3) is slow on purpose, tens of milliseconds of CPU: on a network thread it would
        // stop every other session there, so it runs on the disk threads, like a wait for the disk.
        bool accepted = false;
        if (address) {
            accepted = co_await options_.disk->run([&] { return options_.users->authenticate(*address, password); });
        }
        if (!accepted) { // the attempt authorization() took for it stays counted
            client_.log().info("user=", user, " status=login-failed");
            co_await pause(options_.login_failure_delay); // makes guessing passwords slow
            bool last = ++failures_ == options_.max_login_failures;
            co_await client_.write(err(last ? "[AUTH] Invalid user name or password; too many failures, closing"
                                            : "[AUTH] Invalid user name or password"));
            co_return std::nullopt;
        }
        options_.throttle->refund(client_.remote_endpoint().address()); // not a guess after all
        auto at = address->find('@');
        auto maildir = mailsteps::mailbox_path(options_.maildir_root, address->substr(at + 1), address->substr(0, at));
        // Listing waits for the disk (and reads files whose names carry no size): on a disk thread.
        auto opened = co_await options_.disk->run(
            [&] { return maildir ? Maildrop::open(*maildir) : Maildrop::OpenError::failed; });
        if (auto* error = std::get_if<Maildrop::OpenError>(&opened)) {
            bool in_use = *error == Maildrop::OpenError::in_use;
            client_.log().info("user=", *address, in_use ? " status=in-use" : " status=open-failed");
            co_await client_.write(err(in_use ? "[IN-USE] Mailbox already in use by another session"
                                              : "[SYS/TEMP] Cannot open the mailbox, try again later"));
            co_return std::nullopt;
        }
        auto& maildrop = std::get<Maildrop>(opened);
        user_ = *address;
        client_.log().info("user=", user_, " status=logged-in messages=", maildrop.count());
        co_await client_.write(ok("Logged in, " + summary(maildrop)));
        co_return std::move(maildrop);
    }

    // RFC 1939 5: TRANSACTION, until QUIT (true) or the end of the connection (false).
    asio::awaitable<bool> transaction(Maildrop& maildrop) {
        while (auto command = co_await next_command(State::transaction)) {
            if (command->verb == Verb::quit) {
                co_return true;
            }
            // RETR and TOP read a file here, on the network thread: a few kilobytes, usually in the
            // page cache. Sending each to a disk thread and back cost a fifth of a client's RETR rate.
            std::string response = execute(maildrop, *command);
            co_await send(response); // held back while the client's next commands are already here
        }
        co_return false;
    }

    std::string execute(Maildrop& maildrop, const Command& command) {
        switch (command.verb) {
        case Verb::stat: // RFC 1939 5: "+OK nn mm"
            return ok(std::to_string(maildrop.count()) + " " + std::to_string(maildrop.total_size()));
        case Verb::list:
            return listing(maildrop, command.argument, summary(maildrop),
                           [](const Message& message) { return std::to_string(message.size); });
        case Verb::uidl: // RFC 1939 7
            return listing(maildrop, command.argument, "Unique-ID listing follows",
                           [](const Message& message) { return message.uid; });
        case Verb::retr: {
            auto number = parse_message_number(command.argument);
            return number ? retrieve(maildrop, *number, std::nullopt) : err("Syntax: RETR message-number");
        }
        case Verb::top: { // RFC 1939 7
            auto arguments = parse_top_arguments(command.argument);
            return arguments ? retrieve(maildrop, arguments->first, arguments->second)
                             : err("Syntax: TOP message-number lines");
        }
        case Verb::dele: return dele(maildrop, command.argument);
        case Verb::noop: return ok("Nothing happened"); // RFC 1939 5
        case Verb::rset: // RFC 1939 5: unmark every message marked as deleted
            maildrop.unmark_all();
            return ok(summary(maildrop));
        case Verb::capa: return current_capabilities();
        default: return err("Command not valid in this state"); // next_command() filters these
        }
    }

    // RFC 1939 5 LIST and 7 UIDL: with a number, that message's line; without, a multi-line
    // response listing every message not marked as deleted.
    template <class Field>
    std::string listing(const Maildrop& maildrop, std::string_view argument, const std::string& title, Field field) {
        if (!argument.empty()) {
            auto number = parse_message_number(argument);
            const Message* message = number ? maildrop.find(*number) : nullptr;
            return message ? ok(std::to_string(*number) + " " + field(*message)) : err("No such message");
        }
        std::string response = ok(title);
        for (std::size_t number = 1; number <= maildrop.size(); ++number) {
            if (const Message* message = maildrop.find(number)) {
                response += std::to_string(number) + " " + field(*message) + "\r\n";
            }
        }
        return response + ".\r\n";
    }

    // RFC 1939 5 RETR and 7 TOP: the message as CRLF lines, dot-stuffed, ended by a ".".
    std::string retrieve(const Maildrop& maildrop, std::size_t number, std::optional<std::size_t> body_lines) {
        const Message* message = maildrop.find(number);
        if (!message) {
            return err("No such message");
        }
        auto text = maildrop.read(number);
        if (auto* error = std::get_if<std::error_code>(&text)) {
            client_.log().error("user=", user_, " cannot read ", message->file, ": ", error->message());
            return err("[SYS/TEMP] Cannot read message " + std::to_string(number));
        }
        std::string status = body_lines ? ok("Top of message follows") : ok(std::to_string(message->size) + " octets");
        return status + to_wire(std::get<std::string>(text), body_lines);
    }

    // RFC 1939 5: DELE only marks; the file goes in the UPDATE state.
    std::string dele(Maildrop& maildrop, std::string_view argument) {
        auto number = parse_message_number(argument);
        if (!number) {
            return err("Syntax: DELE message-number");
        }
        if (maildrop.is_deleted(*number)) {
            return err("Message " + std::to_string(*number) + " already deleted");
        }
        return maildrop.mark_deleted(*number) ? ok("Message " + std::to_string(*number) + " deleted")
                                              : err("No such message");
    }

    // RFC 1939 6: UPDATE removes what DELE marked; the answer is the goodbye.
    std::string update(Maildrop& maildrop) {
        std::size_t deleted = maildrop.size() - maildrop.count();
        if (auto error = maildrop.commit()) {
            client_.log().error("user=", user_, " removing deleted messages failed: ", error.message());
            return err("[SYS/TEMP] Some deleted messages were not removed");
        }
        client_.log().info("user=", user_, " status=quit deleted=", deleted, " left=", maildrop.count());
        return ok("mailsteps POP3 server signing off (" + messages(maildrop.count()) + " left)");
    }

    // The next command this state allows. Anything else gets "-ERR"; nothing when the
    // conversation is over: the client left, fell silent, or erred too often, or we are stopping.
    asio::awaitable<std::optional<Command>> next_command(State state) {
        for (;;) {
            auto [status, line] = co_await client_.read_line(max_command_line, options_.idle_timeout);
            if (status != Read::line && status != Read::too_long) {
                co_await say_goodbye(status);
                co_return std::nullopt;
            }
            std::string problem;
            Command command = status == Read::line ? parse_command(line.text) : Command{Verb::unknown, {}};
            if (status == Read::too_long) {
                problem = "Line too long (the limit is 255 octets)";
            } else if (command.verb == Verb::unknown) {
                problem = "Unknown command";
            } else if (!allowed_in(state, command.verb)) {
                problem = state == State::authorization ? "Log in first" : "Already logged in";
            } else {
                co_return command;
            }
            if (++errors_ == max_errors) {
                co_await client_.write(err(problem + "; too many errors, closing"));
                co_return std::nullopt;
            }
            co_await client_.write(err(problem));
        }
    }

    asio::awaitable<void> say_goodbye(Read status) {
        if (status == Read::timed_out) { // RFC 1939 3: autologout closes without a response, and without UPDATE
            client_.log().info("user=", user_, " status=autologout");
        } else if (status == Read::stopped) {
            co_await client_.write(err("[SYS/TEMP] Server shutting down"));
        }
    }

    // Each piece has its own write timeout: a slow reader of a big message is fine as long as it reads.
    // RFC 2449 6.6: a client may send many commands at once; their answers go out together.
    asio::awaitable<void> send(std::string_view response) {
        for (std::size_t at = 0; at < response.size() && client_.is_open(); at += write_piece) {
            co_await client_.write_soon(response.substr(at, write_piece));
        }
    }

    // RFC 2595 2.3: inside TLS, or from a network trusted not to be overheard (by default loopback).
    bool may_send_password() {
        return client_.is_tls() || relay::contains(options_.plaintext_networks, client_.remote_endpoint().address());
    }

    bool can_start_tls() { return options_.tls && !client_.is_tls(); }

    std::string current_capabilities() { return capabilities(can_start_tls(), may_send_password()); }

    asio::awaitable<void> pause(mailsteps::Duration duration) {
        asio::steady_timer timer(client_.get_executor(), duration);
        co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }

    LineStream& client_;
    const Options& options_;
    std::string user_; // once logged in, the account's address
    int failures_ = 0;
    int errors_ = 0;
};

} // namespace

asio::awaitable<void> pop3_session(LineStream& client, const Options& options) {
    Session session(client, options);
    co_await session.run();
}

asio::awaitable<void> pop3s_session(LineStream& client, const Options& options) {
    bool started = co_await client.start_tls(*options.tls, options.idle_timeout);
    if (started) {
        co_await pop3_session(client, options);
    }
}

} // namespace pop3
