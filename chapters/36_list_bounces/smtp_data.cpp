#include "smtp_data.hpp"

#include "shared/ascii.hpp"

namespace smtp {

bool MessageBuilder::add_line(const mailsteps::Line& line) {
    std::string_view text = line.text;
    // RFC 5321 2.3.8: a line ends with CRLF, nothing else. A bare LF or CR is how SMTP
    // smuggling hides a second message, so the data ends only at CRLF "." CRLF (4.1.1.4), never
    // at "\n.\n" or "\n.\r\n", and a message holding either is refused. The CRLF before the dot
    // may end a line that was too long and discarded: LineBuffer still tells how it ended.
    if (line.end == mailsteps::LineEnd::bare_lf || text.find('\r') != std::string_view::npos) {
        note(Problem::bare_line_end);
    } else if (text == "." && line.previous_end == mailsteps::LineEnd::crlf) {
        return true;
    }
    // RFC 5321 4.5.2: a line starting with a dot had one added by the client.
    if (text.starts_with('.')) {
        text.remove_prefix(1);
    }
    if (text.size() + 2 > max_line) {
        note(Problem::line_too_long);
    }
    // RFC 1870 5: the size counts CRLFs but not stuffing dots.
    size_ += text.size() + 2;
    if (size_ > max_size_) {
        note(Problem::too_big);
    }
    if (problem_ == Problem::none) {
        count_header(text);
        text_.append(text);
        if (auto error = text_.append("\n")) { // an error in the first append comes back here too
            storage_error_ = error;
            note(Problem::not_stored);
        }
    }
    return false;
}

void MessageBuilder::add_too_long_line() { note(Problem::line_too_long); }

// RFC 5321 4.4: every server a message passes adds a Received: header at the top.
void MessageBuilder::count_header(std::string_view line) {
    if (line.empty()) {
        in_header_ = false;
    } else if (in_header_ && mailsteps::starts_with_ci(line, "Received:")) {
        ++received_headers_;
    }
}

// The first problem is the one reported; nothing of a refused message is kept.
void MessageBuilder::note(Problem problem) {
    if (problem_ == Problem::none) {
        problem_ = problem;
        text_.clear();
    }
}

} // namespace smtp
