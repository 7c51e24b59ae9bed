#pragma once

#include "smtp_address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtp {

// RFC 5321 4.1.1: the commands a server must know (VRFY, EXPN and HELP included), and
// STARTTLS (RFC 3207) and AUTH (RFC 4954).
enum class Verb { helo, ehlo, mail, rcpt, data, rset, noop, quit, vrfy, expn, help, starttls, auth, unknown };

struct Command {
    Verb verb;
    std::string argument;  // everything after the space that follows the verb
};

// Splits one command line (without its CRLF) into verb and argument. Verbs are
// case-insensitive (RFC 5321 2.4): "mail FROM:<a@b>" gives {Verb::mail, "FROM:<a@b>"}.
Command parse_command(std::string_view line);

// A reply for a command whose argument is wrong: the code, the enhanced status
// (RFC 3463) and a text that says what is wrong, e.g. {501, "5.5.2", "Missing '<': the
// syntax is MAIL FROM:<address>"}. The text never contains control characters.
struct SyntaxError {
    int code;
    std::string status;
    std::string text;
};

// RFC 6152: BODY=7BIT or BODY=8BITMIME
enum class Body { seven_bit, eight_bit_mime };

// RFC 5321 4.1.1.2: MAIL FROM:<reverse-path> [SP mail-parameters]
struct MailFrom {
    std::optional<Mailbox> sender;      // nullopt: the null reverse-path <> of bounces
    std::optional<std::uint64_t> size;  // RFC 1870: SIZE=<bytes>, the client's estimate
    Body body = Body::seven_bit;
};

// RFC 5321 4.1.1.3: RCPT TO:<forward-path>
struct RcptTo {
    Mailbox recipient;  // "<Postmaster>" gives local part "postmaster" and an empty domain
};

// `argument` is Command::argument, such as "FROM:<a@b> SIZE=1000".
std::variant<MailFrom, SyntaxError> parse_mail_from(std::string_view argument);
std::variant<RcptTo, SyntaxError> parse_rcpt_to(std::string_view argument);

}  // namespace smtp
