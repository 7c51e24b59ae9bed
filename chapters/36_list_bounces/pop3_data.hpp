#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// A stored message on its way out: Maildir keeps LF line ends, POP3 sends CRLF (RFC 1939 3).
// The mirror of smtp::MessageBuilder. A line ends at LF; a CR right before that LF is part of
// the line end (files from other tools may have CRLF already), any other CR is text.
namespace pop3 {

// The size RFC 1939 LIST and STAT report: the octets of the message as it goes out, every line ending
// in CRLF (an LF without a CR before it counts one more), not counting dot-stuffing or the terminating
// ".". A last line without a line end is sent with CRLF added, so it counts two more.
std::uint64_t wire_size(std::string_view text);

// wire_size of a text that arrives in pieces, such as a file read block by block.
class WireSize {
public:
    void add(std::string_view piece);
    std::uint64_t total() const;

private:
    std::uint64_t octets_ = 0;
    char last_ = '\n'; // as if after a line end: an empty text has no last line to end
};

// The body of a multi-line response: every line ends in CRLF, a line starting with "." gets one more "."
// in front (RFC 1939 3: byte-stuffing), then the terminating ".\r\n". With `body_lines` (RFC 1939 TOP):
// the header section, the blank line after it, and at most that many lines of the body.
// Invariant the tests check: without body_lines, the octets before the ".\r\n" minus the stuffed dots == wire_size(text).
std::string to_wire(std::string_view text, std::optional<std::size_t> body_lines = std::nullopt);

} // namespace pop3
