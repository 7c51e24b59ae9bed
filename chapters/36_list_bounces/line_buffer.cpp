#include "line_buffer.hpp"

#include <algorithm>

namespace mailsteps {

std::span<char> LineBuffer::prepare(std::size_t size) {
    data_.erase(0, start_); // lines already returned are gone
    start_ = 0;
    prepared_ = data_.size();
    data_.resize(prepared_ + size);
    return {data_.data() + prepared_, size};
}

void LineBuffer::commit(std::size_t size) { data_.resize(prepared_ + size); }

void LineBuffer::append(std::string_view bytes) {
    auto space = prepare(bytes.size());
    std::copy(bytes.begin(), bytes.end(), space.begin());
    commit(bytes.size());
}

LineBuffer::Status LineBuffer::next_line(std::size_t max_length, Line& line) {
    if (discarding_) {
        auto lf = data_.find('\n', start_);
        if (lf == std::string::npos) {
            if (buffered() > 0) {
                discarded_cr_ = data_.back() == '\r';
            }
            start_ = data_.size();
            return Status::need_more;
        }
        // The CR of a CRLF may have come in the previous read.
        bool cr = lf > start_ ? data_[lf - 1] == '\r' : discarded_cr_;
        last_end_ = cr ? LineEnd::crlf : LineEnd::bare_lf;
        start_ = lf + 1;
        discarding_ = false;
    }
    // Look for the LF only as far as the limit allows: a longer line is never buffered whole.
    std::string_view unread(data_.data() + start_, std::min(buffered(), max_length));
    auto lf = unread.find('\n');
    if (lf == std::string_view::npos) {
        if (unread.size() < max_length) {
            return Status::need_more;
        }
        start_ += unread.size();
        discarding_ = true;
        discarded_cr_ = unread.ends_with('\r');
        return Status::too_long;
    }
    std::string_view text = unread.substr(0, lf);
    line.previous_end = last_end_;
    line.end = text.ends_with('\r') ? LineEnd::crlf : LineEnd::bare_lf;
    if (line.end == LineEnd::crlf) {
        text.remove_suffix(1);
    }
    line.text.assign(text);
    last_end_ = line.end;
    start_ += lf + 1;
    return Status::line;
}

} // namespace mailsteps
