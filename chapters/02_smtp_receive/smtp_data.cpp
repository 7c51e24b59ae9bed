#include "smtp_data.hpp"

namespace smtp {

bool MessageBuilder::add_line(const mailsteps::Line& line) {
    std::string_view text = line.text;
    // RFC 5321 2.3.8: a line ends with CRLF, nothing else. A bare LF or CR is how SMTP
    // smuggling hides a second message, so "\n.\n" is never the end and the message is refused.
    if (line.end == mailsteps::LineEnd::bare_lf || text.find('\r') != std::string_view::npos) {
        note(Problem::bare_line_end);
    } else if (text == ".") {
        return true;
    }
    // RFC 5321 4.5.2: a line starting with a dot had one added by the client.
    if (text.starts_with('.')) {
        text.remove_prefix(1);
    }
    // RFC 1870 3: the size counts CRLFs but not stuffing dots.
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

void MessageBuilder::add_too_long_line() { note(Problem::line_too_long); }

void MessageBuilder::note(Problem problem) {
    if (problem_ == Problem::none) {
        problem_ = problem;
        text_.clear(); // nothing of a refused message is kept
    }
}

} // namespace smtp
