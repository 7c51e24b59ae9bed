#pragma once

#include "line_buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace smtp {

// Collects the lines of a DATA block up to the lone "." (RFC 5321 4.1.1.4): undoes the dot
// stuffing, ends each line with LF (as Maildir files do), and keeps reading past any problem
// so the client and server still agree where the message ends. The text is held in memory:
// a session may hold as much as the size limit.
class MessageBuilder {
public:
    enum class Problem { none, too_big, line_too_long, bare_line_end };

    // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. The limit is on the
    // text, before the client added a dot (4.5.2), so a line may arrive one octet longer.
    static constexpr std::size_t max_line = 1000;
    static constexpr std::size_t max_stuffed_line = max_line + 1;

    explicit MessageBuilder(std::uint64_t max_size) : max_size_(max_size) {}

    // Takes one line as read (with a limit of max_stuffed_line); true when it was the
    // end-of-data line.
    bool add_line(const mailsteps::Line& line);
    // A line over max_stuffed_line arrived (its text was discarded).
    void add_too_long_line();

    Problem problem() const { return problem_; }
    const std::string& text() const { return text_; }

private:
    void note(Problem problem);

    std::uint64_t max_size_;
    std::uint64_t size_ = 0; // octets as sent, CRLFs included, stuffing dots not
    std::string text_;
    Problem problem_ = Problem::none;
};

} // namespace smtp
