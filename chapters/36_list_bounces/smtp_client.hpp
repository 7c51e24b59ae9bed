#pragma once

#include "smtp_address.hpp"

#include "shared/duration.hpp"
#include "shared/log.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay {

// How long to wait for each step. RFC 5321 4.5.3.2 gives these as minimums: a client that
// gives up sooner turns a slow but working server into a failed delivery.
struct ClientOptions {
    std::string hostname = "localhost";                                // our name, for EHLO/HELO
    mailsteps::Duration connect_timeout = std::chrono::seconds(30);    // not in the RFC
    mailsteps::Duration greeting_timeout = std::chrono::minutes(5);    // 4.5.3.2.1
    mailsteps::Duration command_timeout = std::chrono::minutes(5);     // 4.5.3.2.2-3: MAIL, RCPT; also EHLO, QUIT
    mailsteps::Duration data_init_timeout = std::chrono::minutes(2);   // 4.5.3.2.4: DATA until 354
    mailsteps::Duration data_block_timeout = std::chrono::minutes(3);  // 4.5.3.2.5: each write of the message
    mailsteps::Duration data_end_timeout = std::chrono::minutes(10);   // 4.5.3.2.6: the final dot until 250
    asio::ssl::context* tls = nullptr; // with it, STARTTLS wherever the server offers it (RFC 3207)
};

// A server's reply (RFC 5321 4.2).
struct Reply {
    int code = 0;     // 0: no usable reply (see text): no connection, it broke or timed out, the reply was malformed
    std::string text; // the text after the code, one line per reply line joined with '\n'
};

// What happened when we tried one server.
struct Attempt {
    bool connected = false;
    // RFC 5321 3.1: a 5xx greeting, or a 5xx reply to EHLO and then to HELO, means this server
    // will not talk to us. It says nothing of the domain's other MX hosts, nor of the message.
    bool refused_to_talk = false;
    // RFC 6152 3: the message has 8-bit data and the server did not announce 8BITMIME, so we
    // did not send it. session_reply is then our own 554 5.6.3, not the server's words.
    bool lacks_8bitmime = false;
    // The server took STARTTLS, but the handshake failed or TLS broke before EHLO was answered.
    bool tls_failed = false;
    Reply session_reply;                  // the failing greeting/EHLO/MAIL/DATA reply, or the reply after the data
    std::vector<Reply> recipient_replies; // one per recipient, in order (those not reached stay code 0)
};

// Called with the outcome as soon as the transaction has its last reply, before QUIT.
using OnAnswered = std::function<void(const Attempt&)>;

// Delivers one message to one server: connect, greeting, EHLO (HELO if refused), MAIL FROM,
// RCPT TO for each recipient, DATA, QUIT. `message_text` has LF line ends; it goes out with
// CRLF ends and dot-stuffed. Network trouble never throws: it ends up in the Attempt. Every
// argument passed by reference must stay alive until the coroutine completes; `answered` is
// a copy, since its default would be a temporary gone by then. If set, it lets the caller
// record the outcome while QUIT is still to come (RFC 5321 6.1: the shorter the time between
// the server's 250 and our note of it, the fewer duplicates a crash can cause); it is not
// called when the transaction never got that far. A message with 8-bit data goes only to a
// server that announced 8BITMIME (RFC 6152 3). With options.tls the conversation goes through
// TLS where the server offers STARTTLS; if the handshake fails, the attempt is made once more
// on a new connection, in the clear.
asio::awaitable<Attempt> deliver_to_server(asio::ip::tcp::endpoint server, const std::optional<smtp::Mailbox>& sender,
                                           const std::vector<smtp::Mailbox>& recipients, std::string_view message_text,
                                           const ClientOptions& options, const mailsteps::Logger& log,
                                           OnAnswered answered = {});

// What became of recipient `index`: its own refusal at RCPT, or else the outcome of the whole
// attempt (the reply after the data, or whatever ended the attempt before that).
const Reply& outcome_for(const Attempt& attempt, std::size_t index);

} // namespace relay
