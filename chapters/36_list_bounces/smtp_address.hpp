#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtp {

// RFC 5321 4.1.2: Mailbox = Local-part "@" ( Domain / address-literal )
struct Mailbox {
    std::string local_part;  // unquoted: <"john doe"@x> gives `john doe`; case kept as sent
    std::string domain;      // as sent; an address literal keeps its brackets: "[127.0.0.1]"

    bool operator==(const Mailbox&) const = default;
};

// RFC 5321 4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">", or the null path "<>".
struct Path {
    std::optional<Mailbox> mailbox;  // nullopt: the null path "<>"
    std::string_view rest;           // the text after the closing '>'
};

// What is wrong with a path, as a phrase that can go into a reply ("missing '@' before
// the domain"). It never contains the offending bytes themselves, so it is safe to send.
struct PathError {
    std::string what;
};

// Reads one path from the front of `text`, which must start with '<'. A source route
// (RFC 5321 4.1.2, Appendix C) is checked and dropped.
std::variant<Path, PathError> read_path(std::string_view text);

// "local@domain", quoting the local part only when it needs quotes (RFC 5321 4.1.2:
// "the form that uses the minimum quoting possible"). A mailbox without a domain, such as
// RCPT TO:<Postmaster>, is written without '@'.
std::string to_string(const Mailbox& mailbox);

}  // namespace smtp
