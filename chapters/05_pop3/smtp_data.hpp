#pragma once

#include "shared/line_buffer.hpp"

#include <cstdint>
#include <string>

namespace smtp {

// Collects the lines of a DATA block up to the lone "." (RFC 5321 4.1.1.4): undoes the dot
// stuffing, stores lines with LF ends (the Maildir convention), and keeps reading past any
// problem so the client and server still agree where the message ends.
class MessageBuilder {
public:
    enum class Problem { none, too_big, line_too_long, bare_line_end };

    explicit MessageBuilder(std::uint64_t max_size) : max_size_(max_size) {}

    // Takes one line as read; true when it was the end-of-data line.
    bool add_line(const mailsteps::Line& line);
    // A line over the RFC's 1000 octets arrived (its text was discarded).
    void add_too_long_line();

    Problem problem() const { return problem_; }
    const std::string& text() const { return text_; }

private:
    void note(Problem problem);

    std::uint64_t max_size_;
    std::uint64_t size_ = 0; // octets as sent, CRLFs included, stuffing dots not
    std::string text_;
    Problem problem_ = Problem::none;
    bool previous_ended_with_crlf_ = true; // the DATA command's own CRLF comes first
};

} // namespace smtp
