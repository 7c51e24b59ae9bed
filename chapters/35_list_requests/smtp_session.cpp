#include "smtp_session.hpp"

#include "aliases.hpp"
#include "list_post.hpp"
#include "list_requests.hpp"
#include "lists.hpp"
#include "local_delivery.hpp"
#include "login_throttle.hpp"
#include "maildir.hpp"
#include "relay.hpp"
#include "sasl.hpp"
#include "smtp_command.hpp"
#include "smtp_data.hpp"
#include "srs.hpp"
#include "users.hpp"

#include "shared/ascii.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <system_error>
#include <variant>

namespace smtp {
namespace {

using mailsteps::LineStream;
using Read = LineStream::ReadStatus;

constexpr std::size_t max_command_line = 512; // RFC 5321 4.5.3.1.4, CRLF included
constexpr std::size_t max_auth_line = 12288;  // RFC 4954 4: AUTH lines may be this long
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
    // On the submission ports, the client's address allows nothing: only a login does.
    Session(LineStream& client, const Options& options)
        : client_(client), options_(options),
          may_relay_(!options.submission && options.relay &&
                     relay::contains(options.relay_networks, client.remote_endpoint().address())) {
        envelope_.client_address = client.remote_endpoint().address();
        envelope_.tls = client.tls_description(); // implicit TLS: already on
        client_.set_trace_filter(hide_auth);
    }

    // RFC 5321 3.1 and 4.1.4: greet, then answer commands until QUIT.
    asio::awaitable<void> run() {
        co_await client_.write("220 " + options_.hostname + " ESMTP mailsteps\r\n");
        std::size_t max_line = options_.submission ? max_auth_line : max_command_line;
        for (;;) {
            auto [status, line] = co_await client_.read_line(max_line, options_.command_timeout);
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
            if (reply->code == 421) {
                co_return; // RFC 5321 3.8: we are closing
            }
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
            co_return Reply{214, {"2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT STARTTLS AUTH"}};
        case Verb::starttls:
            if (options_.tls) {
                co_return starttls(command.argument);
            }
            break;
        case Verb::auth:
            if (options_.submission) {
                co_return co_await auth(command.argument);
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
        if (options_.submission && client_.is_tls() && !envelope_.authenticated) { // RFC 4954 3
            reply.lines.push_back("AUTH PLAIN LOGIN");
        }
        reply.lines.push_back("ENHANCEDSTATUSCODES"); // RFC 2034
        return reply;
    }

    // RFC 4954 4: AUTH mechanism [initial-response]. Passwords only ever travel inside TLS.
    asio::awaitable<std::optional<Reply>> auth(std::string_view argument) {
        if (!client_.is_tls()) {
            co_return Reply{538, {"5.7.11 Encryption required for requested authentication mechanism"}};
        }
        if (envelope_.client_name.empty() || in_transaction_ || envelope_.authenticated) {
            co_return Reply{503, {"5.5.1 AUTH comes once, after EHLO and before MAIL"}};
        }
        auto space = argument.find(' ');
        std::string_view mechanism = argument.substr(0, space);
        std::optional<std::string_view> initial;
        if (space != std::string_view::npos) {
            initial = argument.substr(space + 1);
        }
        std::variant<PlainCredentials, Reply> credentials = Reply{504, {"5.5.4 Unrecognized authentication type"}};
        if (mailsteps::equals_ci(mechanism, "PLAIN")) {
            credentials = co_await plain(initial);
        } else if (mailsteps::equals_ci(mechanism, "LOGIN")) {
            credentials = co_await login(initial);
        }
        if (auto* reply = std::get_if<Reply>(&credentials)) {
            co_return *reply;
        }
        co_return co_await check(std::get<PlainCredentials>(credentials));
    }

    // RFC 4616: PLAIN's one message, sent with AUTH or in answer to an empty challenge.
    asio::awaitable<std::variant<PlainCredentials, Reply>> plain(std::optional<std::string_view> initial) {
        std::variant<std::string, Reply> message;
        if (initial) {
            message = decoded(*initial);
        } else {
            message = co_await exchange("");
        }
        if (auto* reply = std::get_if<Reply>(&message)) {
            co_return *reply;
        }
        auto credentials = parse_plain(std::get<std::string>(message));
        if (!credentials) {
            co_return Reply{501, {"5.5.2 Malformed PLAIN message"}};
        }
        co_return *credentials;
    }

    // LOGIN (draft-murchison-sasl-login), which Outlook and many phones still use: it asks
    // "Username:" and "Password:", each in base64.
    asio::awaitable<std::variant<PlainCredentials, Reply>> login(std::optional<std::string_view> initial) {
        std::variant<std::string, Reply> user;
        if (initial) {
            user = decoded(*initial);
        } else {
            user = co_await exchange("VXNlcm5hbWU6");
        }
        if (auto* reply = std::get_if<Reply>(&user)) {
            co_return *reply;
        }
        auto password = co_await exchange("UGFzc3dvcmQ6");
        if (auto* reply = std::get_if<Reply>(&password)) {
            co_return *reply;
        }
        co_return PlainCredentials{"", std::get<std::string>(user), std::get<std::string>(password)};
    }

    // RFC 4954 4: one step of the exchange: "334 challenge" out, the client's base64 answer in.
    // "*" cancels; a client gone or silent ends the session.
    asio::awaitable<std::variant<std::string, Reply>> exchange(std::string_view challenge) {
        co_await client_.write("334 " + std::string(challenge) + "\r\n");
        client_.set_trace_filter(hide_all);
        auto [status, line] = co_await client_.read_line(max_auth_line, options_.command_timeout);
        client_.set_trace_filter(hide_auth);
        if (status == Read::too_long) {
            co_return Reply{500, {"5.5.6 Line too long"}};
        }
        if (status != Read::line) {
            co_return Reply{421, {"4.4.2 " + options_.hostname + " No answer, closing connection"}};
        }
        if (line.text == "*") {
            co_return Reply{501, {"5.0.0 Authentication cancelled"}};
        }
        co_return decoded(line.text);
    }

    static std::variant<std::string, Reply> decoded(std::string_view text) {
        if (text == "=") { // RFC 4954 4: an empty initial response
            return std::string();
        }
        auto data = decode_base64(text);
        if (!data) {
            return Reply{501, {"5.5.2 Cannot decode base64"}};
        }
        return *data;
    }

    // As POP3 checks a login (chapter 25): the throttle first, crypt(3) on a disk thread, a
    // pause before "no", and a cap per connection.
    asio::awaitable<Reply> check(const PlainCredentials& credentials) {
        auto from = client_.remote_endpoint().address();
        if (!options_.throttle->try_attempt(from)) {
            client_.log().info("user=", credentials.user, " status=throttled");
            co_return Reply{454, {"4.7.0 Too many failed logins from your address, try again later"}};
        }
        const std::string& user = credentials.user;
        auto address = accounts::normalize_address(user.find('@') == std::string::npos
                                                       ? user + "@" + options_.domains.front()
                                                       : user);
        bool accepted = false;
        // RFC 4616 2: acting for someone else (authzid) is not allowed here.
        if (address && (credentials.authorization.empty() || credentials.authorization == user)) {
            accepted = co_await options_.disk->run(
                [&] { return options_.users->authenticate(*address, credentials.password); });
        }
        if (!accepted) {
            client_.log().info("user=", user, " status=login-failed");
            co_await pause(options_.login_failure_delay);
            if (++login_failures_ == options_.max_login_failures) {
                co_return Reply{421, {"4.7.0 " + options_.hostname + " Too many failed logins, closing connection"}};
            }
            co_return Reply{535, {"5.7.8 Authentication credentials invalid"}};
        }
        options_.throttle->refund(from);
        client_.log().info("user=", *address, " status=logged-in");
        login_ = *address;
        envelope_.authenticated = true;
        may_relay_ = options_.relay != nullptr;
        co_return Reply{235, {"2.7.0 Authentication successful"}};
    }

    asio::awaitable<void> pause(mailsteps::Duration duration) {
        asio::steady_timer timer(client_.get_executor(), duration);
        co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
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
        if (options_.submission && !envelope_.authenticated) { // RFC 6409 4.3
            return {530, {"5.7.0 Authentication required"}};
        }
        auto parsed = parse_mail_from(argument);
        if (auto* error = std::get_if<SyntaxError>(&parsed)) {
            return from_error(*error);
        }
        auto& mail = std::get<MailFrom>(parsed);
        // A client that logged in sends as itself (as Postfix's reject_sender_login_mismatch).
        if (envelope_.authenticated && (!mail.sender || !mailsteps::equals_ci(to_string(*mail.sender), login_))) {
            return {553, {"5.7.1 Sender address rejected: not owned by " + login_}};
        }
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
        if (recipients_given_ >= options_.max_recipients) { // RFC 5321 4.5.3.1.8
            return {452, {"4.5.3 Too many recipients"}};
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
        if (local && is_list(lowercase_address(recipient))) { // a post: distribute() sends it on
            if (auto refusal = refusal_to_post(lowercase_address(recipient))) {
                return *refusal;
            }
            ++recipients_given_;
            if (std::find(posts_.begin(), posts_.end(), lowercase_address(recipient)) == posts_.end()) {
                posts_.push_back(lowercase_address(recipient));
            }
            return {250, {"2.1.5 Ok"}};
        }
        if (auto list = local ? lists::list_of_requests(lowercase_address(recipient)) : std::nullopt;
            list && is_list(*list)) { // a request: answer_request() answers it
            if (!envelope_.sender) { // RFC 3834 2: nothing automatic answers the null sender
                return {550, {"5.7.1 <" + lists::request_address(*list) + "> takes no bounces"}};
            }
            if (!accounts::normalize_address(lowercase_address(*envelope_.sender))) { // it becomes a member
                return {550, {"5.1.7 <" + lists::request_address(*list) + "> takes requests from plain addresses only"}};
            }
            ++recipients_given_;
            if (std::find(requests_.begin(), requests_.end(), *list) == requests_.end()) {
                requests_.push_back(*list);
            }
            return {250, {"2.1.5 Ok"}};
        }
        // A bounce coming back to a sender we rewrote (SRS) goes on to that sender. Only a bounce:
        // with any other sender, whoever sees a forwarded copy could use the address to relay.
        std::optional<Mailbox> returning;
        if (local && options_.srs && !envelope_.sender) {
            returning = options_.srs->reverse(recipient.local_part, std::time(nullptr));
        }
        if (local && !returning &&
            !mailsteps::mailbox_path(options_.maildir_root, recipient.domain, recipient.local_part)) {
            return {553, {"5.1.3 Mailbox name not allowed"}};
        }
        std::vector<Mailbox> reached = returning ? std::vector{*returning}
                                       : local   ? reached_from(recipient)
                                                 : std::vector{recipient};
        if (reached.empty()) {
            return {550, {"5.1.1 <" + to_string(recipient) + ">: no such user here"}};
        }
        ++recipients_given_;
        for (auto& mailbox : reached) {
            auto same = [&](const Mailbox& other) {
                return mailsteps::equals_ci(other.local_part, mailbox.local_part) &&
                       mailsteps::equals_ci(other.domain, mailbox.domain);
            };
            // Sent to us, going elsewhere: forwarded, with a sender of ours (forwarding_sender).
            bool forwarded = local && !is_local(mailbox.domain);
            if (std::none_of(envelope_.recipients.begin(), envelope_.recipients.end(), same) &&
                std::none_of(forwards_.begin(), forwards_.end(), same)) {
                (forwarded ? forwards_ : envelope_.recipients).push_back(std::move(mailbox));
            }
        }
        return {250, {"2.1.5 Ok"}};
    }

    // Where mail for a local recipient goes: its mailbox, or wherever the aliases send it.
    std::vector<Mailbox> reached_from(const Mailbox& recipient) {
        auto address = lowercase_address(recipient);
        if (auto list = lists::list_of_bounces(address); list && is_list(*list)) {
            return {Mailbox{"postmaster", recipient.domain}}; // bounces of the list's posts, for now
        }
        if (!options_.aliases) {
            return has_mailbox(address) ? std::vector{recipient} : std::vector<Mailbox>{};
        }
        aliases::Mailboxes mailboxes{
            .is_local = [&](const std::string& domain) { return is_local(domain); },
            .is_account = [&](const std::string& name) { return options_.users && options_.users->has_account(name); },
            .gets_mail = [&](const std::string& name) { return has_mailbox(name); },
        };
        std::vector<Mailbox> reached;
        for (const auto& target : options_.aliases->expand(address, mailboxes)) {
            auto at = target.rfind('@');
            Mailbox mailbox{target.substr(0, at), target.substr(at + 1)};
            if (target == address) {
                reached.push_back(recipient); // its own mailbox: named as the client wrote it
            } else if (is_local(mailbox.domain) || options_.relay) { // an address elsewhere needs the relay
                reached.push_back(std::move(mailbox));
            }
        }
        return reached;
    }

    // RFC 5321 4.1.1.4: DATA, the message itself, up to a line with a single dot.
    asio::awaitable<std::optional<Reply>> data(std::string_view argument) {
        if (!argument.empty()) {
            co_return Reply{501, {"5.5.4 DATA takes no argument"}};
        }
        if (!in_transaction_) {
            co_return Reply{503, {"5.5.1 Need MAIL command"}};
        }
        if (envelope_.recipients.empty() && forwards_.empty() && posts_.empty() && requests_.empty()) { // RFC 5321 3.3
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
        Envelope forwarded = envelope_;
        std::erase_if(local.recipients, [&](const Mailbox& r) { return !is_local(r.domain); });
        std::erase_if(remote.recipients, [&](const Mailbox& r) { return is_local(r.domain); });
        forwarded.recipients = forwards_;
        forwarded.sender = forwarding_sender();
        if (forwarded.sender == remote.sender) { // nothing rewritten: one queued message for all
            remote.recipients.insert(remote.recipients.end(), forwarded.recipients.begin(), forwarded.recipients.end());
            forwarded.recipients.clear();
        }
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
        for (const auto& list : posts_) {
            if (auto error = distribute(list, message.text(), id, stored)) {
                take_back(stored);
                client_.log().error("id=", id, " from=<", sender, "> list=<", list, "> failed: ", error.message());
                return not_stored(error, "Sending to the list failed");
            }
        }
        for (const auto& list : requests_) {
            if (auto error = answer_request(list, message.text(), id, stored)) {
                take_back(stored);
                client_.log().error("id=", id, " from=<", sender, "> request to <", list, "> failed: ", error.message());
                return not_stored(error, "The request could not be carried out");
            }
        }
        auto queue = [&](const Envelope& queued, const std::string& queued_id) {
            return queued.recipients.empty() ? std::error_code() : options_.relay->submit(queued, message.text(), queued_id);
        };
        std::string forwarded_id = forwarded.recipients.empty() ? "" : new_message_id();
        auto error = queue(remote, id);
        if (!error) {
            error = queue(forwarded, forwarded_id);
        }
        if (error) {
            take_back(stored);
            client_.log().error("id=", id, " from=<", sender, "> queueing failed: ", error.message());
            return not_stored(error, "Queueing failed");
        }
        client_.log().info("id=", id, " from=<", sender, "> local=", local.recipients.size(),
                           " queued=", remote.recipients.size(), " forwarded=", forwarded.recipients.size(),
                           forwarded_id.empty() ? "" : " as " + forwarded_id, " size=", message.text().size(),
                           " status=accepted");
        return {250, {"2.0.0 Ok: queued as " + id}};
    }

    // Who may post: nobody with the null sender, since bounces go to the bounces address; and on a
    // members-only list, only its members (RFC 3463 3.8: X.7.2, "mailing list expansion prohibited").
    std::optional<Reply> refusal_to_post(const std::string& list) const {
        if (!envelope_.sender) {
            return Reply{550, {"5.7.1 <" + list + "> takes no bounces: they go to <" + lists::bounces_address(list) + ">"}};
        }
        if (!lists::is_members_only(options_.lists_dir, list)) {
            return std::nullopt;
        }
        auto members = lists::read_members(options_.lists_dir, list);
        auto* addresses = std::get_if<std::vector<std::string>>(&members);
        if (!addresses) {
            return Reply{451, {"4.3.0 The list cannot be read now, please try again later"}};
        }
        if (std::find(addresses->begin(), addresses->end(), lowercase_address(*envelope_.sender)) == addresses->end()) {
            return Reply{550, {"5.7.2 <" + list + "> takes posts from its members only"}};
        }
        return std::nullopt;
    }

    // RFC 5321 3.9.2: a list sends each post on to its members under a sender of its own, the
    // list's bounces address, so that bounces come to the list, not to whoever posted. Local
    // members are delivered to now; the others share one queued message.
    std::error_code distribute(const std::string& list, const mailsteps::Spool& text, const std::string& id,
                               std::vector<std::filesystem::path>& stored) {
        auto members = lists::read_members(options_.lists_dir, list);
        if (auto* problem = std::get_if<std::string>(&members)) {
            client_.log().error(*problem);
            return std::make_error_code(std::errc::io_error);
        }
        if (lists::has_passed(text, list)) {
            client_.log().info("id=", id, " list=<", list, "> not sent: the message has been through this list before");
            return {};
        }
        mailsteps::Spool post(options_.maildir_root);
        post.append(lists::list_headers(list));
        if (auto error = text.read([&](std::string_view piece) { return post.append(piece); })) {
            return error;
        }
        return send_from_list(list, std::get<std::vector<std::string>>(members), post, id, stored);
    }

    // A request by mail (the Subject: is the command): carried out, and answered by the list.
    std::error_code answer_request(const std::string& list, const mailsteps::Spool& text, const std::string& id,
                                   std::vector<std::filesystem::path>& stored) {
        std::string subject;
        for (const auto& [name, value] : lists::header_fields(text)) {
            if (mailsteps::equals_ci(name, "Subject")) {
                subject = value;
            }
        }
        auto sender = lowercase_address(*envelope_.sender);
        auto handled = lists::handle_request(options_.lists_dir, list, lists::parse_request(subject), sender,
                                             std::time(nullptr));
        if (auto* error = std::get_if<std::error_code>(&handled)) {
            return *error;
        }
        const auto& notice = std::get<lists::Notice>(handled);
        client_.log().info("id=", id, " list=<", list, "> request from=<", sender, "> subject=\"", subject, "\"");
        mailsteps::Spool reply(options_.maildir_root);
        if (auto error = reply.append(notice.text)) {
            return error;
        }
        return send_from_list(list, {notice.to}, reply, id, stored);
    }

    // Sends `text` from the list (from its bounces address) to `recipients`: those here at once,
    // the others in one queued message.
    std::error_code send_from_list(const std::string& list, const std::vector<std::string>& recipients,
                                   const mailsteps::Spool& text, const std::string& id,
                                   std::vector<std::filesystem::path>& stored) {
        auto bounces = lists::bounces_address(list);
        Envelope local = envelope_;
        local.sender = Mailbox{bounces.substr(0, bounces.find('@')), bounces.substr(bounces.find('@') + 1)};
        local.recipients.clear();
        Envelope remote = local;
        for (const auto& member : recipients) {
            auto at = member.rfind('@');
            Mailbox mailbox{member.substr(0, at), member.substr(at + 1)};
            if (!is_local(mailbox.domain)) {
                remote.recipients.push_back(std::move(mailbox));
            } else if (has_mailbox(member) && !is_list(member)) { // a list here among the members would loop
                local.recipients.push_back(std::move(mailbox));
            }
        }
        std::vector<std::filesystem::path> delivered;
        std::error_code error;
        if (!local.recipients.empty()) {
            error = deliver_locally(options_.maildir_root, local, text, options_.hostname, id, &delivered);
            stored.insert(stored.end(), delivered.begin(), delivered.end());
        }
        std::string queued_id = remote.recipients.empty() ? "" : new_message_id();
        if (!error && !remote.recipients.empty()) {
            error = options_.relay->submit(remote, text, queued_id);
        }
        if (!error) {
            client_.log().info("id=", id, " list=<", list, "> local=", local.recipients.size(),
                               " queued=", remote.recipients.size(), queued_id.empty() ? "" : " as " + queued_id);
        }
        return error;
    }

    // RFC 5321 3.9.1 keeps the sender of a forwarded message, but SPF (RFC 7208) at the next
    // server would then see us sending for the sender's domain, and may refuse. So a stranger's
    // sender is rewritten (SRS); our own senders, and the null sender of a bounce, are kept.
    std::optional<Mailbox> forwarding_sender() const {
        const auto& sender = envelope_.sender;
        if (!sender || is_local(sender->domain) || !options_.srs) {
            return sender;
        }
        auto rewritten = options_.srs->forward(*sender, std::time(nullptr));
        return rewritten ? rewritten : sender; // too long for SRS: sent as it is
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
    bool has_mailbox(const std::string& address) const {
        return !options_.users || address.starts_with("postmaster@") || options_.users->accepts_mail_for(address);
    }

    // Only a list's own name, never a path made of an address: "/tmp/x@example.test" is no list.
    bool is_list(const std::string& address) const {
        return !options_.lists_dir.empty() && lists::normalize_list(address) == address &&
               lists::list_exists(options_.lists_dir, address);
    }

    static std::string lowercase_address(const Mailbox& mailbox) {
        return mailsteps::lowercase(mailbox.local_part + "@" + mailbox.domain);
    }

    void reset() {
        in_transaction_ = false;
        envelope_.sender.reset();
        envelope_.recipients.clear();
        forwards_.clear();
        posts_.clear();
        requests_.clear();
        recipients_given_ = 0;
    }

    LineStream& client_;
    const Options& options_;
    bool may_relay_;
    Envelope envelope_;
    bool in_transaction_ = false; // between MAIL and the end of DATA (or RSET)
    std::size_t recipients_given_ = 0; // RCPTs accepted; an alias may add more to the envelope
    std::vector<Mailbox> forwards_;    // addresses elsewhere reached through ours (aliases, SRS)
    std::vector<std::string> posts_;   // the lists this message is posted to
    std::vector<std::string> requests_; // the lists this message is a request to (NAME-request@)
    bool starting_tls_ = false;   // STARTTLS was answered: the handshake comes next
    std::string login_;           // the address the client logged in as (envelope_.authenticated)
    int login_failures_ = 0;
    int errors_ = 0;
};

} // namespace

asio::awaitable<void> smtp_session(LineStream& client, const Options& options) {
    Session session(client, options);
    co_await session.run();
}

asio::awaitable<void> submissions_session(LineStream& client, const Options& options) {
    bool started = co_await client.start_tls(*options.tls, options.command_timeout);
    if (started) {
        co_await smtp_session(client, options);
    }
}

} // namespace smtp
