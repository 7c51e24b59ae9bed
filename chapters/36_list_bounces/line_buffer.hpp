#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mailsteps {

// How a line arrived. Internet protocols end lines with CRLF; a bare LF is reported so the
// protocol can decide (SMTP refuses it inside DATA, the echo server does not care).
enum class LineEnd { crlf, bare_lf };

struct Line {
    std::string text; // without the line ending
    LineEnd end = LineEnd::crlf;
    // How the line before this one ended, even one discarded as too long: SMTP's DATA ends only
    // at CRLF "." CRLF, which spans two lines.
    LineEnd previous_end = LineEnd::crlf;
};

// The framing half of line I/O, without any sockets: bytes go in, lines come out.
// Memory stays bounded: a line longer than the limit is reported as too long as soon as the
// limit is passed, and the rest of it is then discarded up to its LF as it arrives. How it
// ended (CRLF or a bare LF) is still noted, as the next line's previous_end.
class LineBuffer {
public:
    enum class Status { line, too_long, need_more };

    // Space for the next read; then commit() says how much of it was filled.
    std::span<char> prepare(std::size_t size);
    void commit(std::size_t size);
    void append(std::string_view bytes);

    // The next complete line of at most max_length octets including its line ending.
    Status next_line(std::size_t max_length, Line& line);

    // Bytes received but not yet returned as lines.
    std::size_t buffered() const { return data_.size() - start_; }

private:
    std::string data_;
    std::size_t start_ = 0;     // where the bytes not yet returned begin
    std::size_t prepared_ = 0;  // where prepare() put the space for the next read
    bool discarding_ = false;   // inside an over-long line, skipping to its LF
    bool discarded_cr_ = false; // the last octet skipped was a CR
    LineEnd last_end_ = LineEnd::crlf; // how the last line, returned or discarded, ended
};

} // namespace mailsteps
