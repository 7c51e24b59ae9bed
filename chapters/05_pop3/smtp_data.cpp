#include "smtp_data.hpp"

namespace smtp {

bool MessageBuilder::add_line(const mailsteps::Line& line) {
    std::string_view text = line.text;
    // RFC 5321 2.3.8: a line ends with CRLF, nothing else. A bare LF or CR is how SMTP
    // smuggling hides a second message, so the data ends only at CRLF "." CRLF (4.1.1.4), never
    // at "\n.\n" or "\n.\r\n", and a message holding either is refused.
    bool after_crlf = previous_ended_with_crlf_;
    previous_ended_with_crlf_ = line.end == mailsteps::LineEnd::crlf;
    if (line.end == mailsteps::LineEnd::bare_lf || text.find('\r') != std::string_view::npos) {
        note(Problem::bare_line_end);
    } else if (text == "." && after_crlf) {
        return true;
    }
    // RFC 5321 4.5.2: a line starting with a dot had one added by the client.
    if (text.starts_with('.')) {
        text.remove_prefix(1);
    }
    // RFC 1870 5: the size counts CRLFs but not stuffing dots.
    size_ += text.size() + 2;
    if (size_ > max_size_) {
        note(Problem::too_big);
    }
    if (problem_ == Problem::none) {
        text_ += text;
        text_ += '\n';
    }
    return false;
}

void MessageBuilder::add_too_long_line() {
    note(Problem::line_too_long);
    previous_ended_with_crlf_ = true; // its ending was discarded unseen; assume the honest case
}

void MessageBuilder::note(Problem problem) {
    if (problem_ == Problem::none) {
        problem_ = problem;
        text_.clear(); // nothing of a refused message is kept
    }
}

} // namespace smtp
