#include "pop3_data.hpp"

namespace pop3 {
namespace {

// Where the line starting at `start` ends: just past its LF, or at the end of the text.
std::size_t next_line(std::string_view text, std::size_t start) {
    auto lf = text.find('\n', start);
    return lf == std::string_view::npos ? text.size() : lf + 1;
}

std::string_view without_line_end(std::string_view line) {
    if (line.ends_with('\n')) {
        line.remove_suffix(line.ends_with("\r\n") ? 2 : 1);
    }
    return line;
}

// Just past the blank line that ends the header section (RFC 5322 2.1), or the end of the
// text if there is none: then it is all header, with no body to leave out.
std::size_t body_start(std::string_view text) {
    for (std::size_t start = 0; start < text.size();) {
        auto end = next_line(text, start);
        if (without_line_end(text.substr(start, end - start)).empty()) {
            return end;
        }
        start = end;
    }
    return text.size();
}

// RFC 1939 7 (TOP): the header section, the blank line and the first `body_lines` lines of the body.
std::size_t top_length(std::string_view text, std::size_t body_lines) {
    auto end = body_start(text);
    for (; body_lines > 0 && end < text.size(); --body_lines) {
        end = next_line(text, end);
    }
    return end;
}

} // namespace

void WireSize::add(std::string_view piece) {
    octets_ += piece.size();
    for (auto lf = piece.find('\n'); lf != std::string_view::npos; lf = piece.find('\n', lf + 1)) {
        char before = lf == 0 ? last_ : piece[lf - 1];
        if (before != '\r') {
            ++octets_; // a bare LF goes out as CRLF
        }
    }
    if (!piece.empty()) {
        last_ = piece.back();
    }
}

std::uint64_t WireSize::total() const { return octets_ + (last_ == '\n' ? 0 : 2); }

std::uint64_t wire_size(std::string_view text) {
    WireSize size;
    size.add(text);
    return size.total();
}

std::string to_wire(std::string_view text, std::optional<std::size_t> body_lines) {
    if (body_lines) {
        text = text.substr(0, top_length(text, *body_lines));
    }
    std::string wire;
    wire.reserve(static_cast<std::size_t>(wire_size(text)) + 3); // exact but for the rare stuffing dots
    for (std::size_t start = 0; start < text.size();) {
        auto end = next_line(text, start);
        auto line = without_line_end(text.substr(start, end - start));
        // RFC 1939 3: byte-stuffing, so that no line of the message reads as the terminating ".".
        if (line.starts_with('.')) {
            wire += '.';
        }
        wire += line;
        wire += "\r\n";
        start = end;
    }
    wire += ".\r\n";
    return wire;
}

} // namespace pop3
