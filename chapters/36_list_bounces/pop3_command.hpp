#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pop3 {

// RFC 1939 4-7 and RFC 2449 5: the commands of the three states.
enum class Verb { user, pass, quit, stat, list, retr, dele, noop, rset, top, uidl, capa, stls, unknown };

// RFC 1939 3: the two states a client talks in (UPDATE follows QUIT, with no more commands).
enum class State { authorization, transaction };

struct Command {
    Verb verb;
    std::string argument; // everything after the space that follows the keyword
};

// RFC 1939 3: a case-insensitive keyword, then the arguments after a single space:
// "retr 2" gives {Verb::retr, "2"}. PASS keeps its argument whole, spaces included (RFC 1939 7).
Command parse_command(std::string_view line);

// Whether `verb` may be used in `state`: USER, PASS and STLS before login, the maildrop commands
// (NOOP among them) after it, CAPA and QUIT in both, as RFC 1939 and RFC 2449 list them.
bool allowed_in(State state, Verb verb);

// A message number (RFC 1939 5): decimal digits only, from 1. Nothing for "0", "-1", "1x", "".
std::optional<std::size_t> parse_message_number(std::string_view text);

// TOP's two arguments, "msg n" (RFC 1939 7): a message number and a count of lines (0 allowed;
// a count too big to represent means the whole body, as any count past its end does).
std::optional<std::pair<std::size_t, std::size_t>> parse_top_arguments(std::string_view text);

// For --trace: a line starting with "PASS", in any case, becomes "PASS ****"; every other
// line stays as it is.
std::string hide_password(std::string_view line);

} // namespace pop3
