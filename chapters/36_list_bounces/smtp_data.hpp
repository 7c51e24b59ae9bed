#pragma once

#include "line_buffer.hpp"
#include "spool.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace smtp {

// Collects the lines of a DATA block up to the lone "." (RFC 5321 4.1.1.4): undoes the dot
// stuffing, ends each line with LF (as Maildir files do), and keeps reading past any problem
// so the client and server still agree where the message ends. The text goes into a Spool as
// it arrives, so a session holds a bounded part of it in memory, however big it is.
class MessageBuilder {
public:
    enum class Problem { none, too_big, line_too_long, bare_line_end, not_stored };

    // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. The limit is on the
    // text, before the client added a dot (4.5.2), so a line may arrive one octet longer.
    static constexpr std::size_t max_line = 1000;
    static constexpr std::size_t max_stuffed_line = max_line + 1;

    // `spool_directory`: where the text goes once it outgrows memory (see Spool).
    MessageBuilder(std::uint64_t max_size, const std::filesystem::path& spool_directory)
        : max_size_(max_size), text_(spool_directory) {}

    // Takes one line as read (with a limit of max_stuffed_line); true when it was the
    // end-of-data line.
    bool add_line(const mailsteps::Line& line);
    // A line over max_stuffed_line arrived (its text was discarded).
    void add_too_long_line();

    Problem problem() const { return problem_; }
    std::error_code storage_error() const { return storage_error_; } // when problem() is not_stored
    const mailsteps::Spool& text() const { return text_; }
    // RFC 5321 6.3: each server a message passed added one; too many means a mail loop.
    int received_headers() const { return received_headers_; }

private:
    void note(Problem problem);
    void count_header(std::string_view line);

    std::uint64_t max_size_;
    std::uint64_t size_ = 0; // octets as sent, CRLFs included, stuffing dots not
    mailsteps::Spool text_;
    Problem problem_ = Problem::none;
    std::error_code storage_error_;
    bool in_header_ = true; // until the first empty line (RFC 5322 2.1)
    int received_headers_ = 0;
};

} // namespace smtp
