#include "dns_name.hpp"

#include <algorithm>

namespace dns {

namespace {

// A name has at most 127 labels, so a real message never needs more pointer hops than that.
constexpr int max_pointer_hops = 127;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::uint8_t ascii_lower(std::uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

}  // namespace

// RFC 1035 5.1: special characters get a backslash, unprintable octets become \DDD.
std::string escape_label(std::string_view label) {
    std::string text;
    for (const char c : label) {
        const auto octet = static_cast<unsigned char>(c);
        if (octet <= 0x20 || octet >= 0x7f) {
            const std::string digits = std::to_string(octet);
            text += '\\' + std::string(3 - digits.size(), '0') + digits;
        } else if (std::string_view(".\\\"();@$").find(c) != std::string_view::npos) {
            text += '\\';
            text += c;
        } else {
            text += c;
        }
    }
    return text;
}

std::optional<Name> Name::from_labels(const std::vector<std::string>& labels) {
    Name name;
    for (const auto& label : labels) {
        if (label.empty() || label.size() > max_label_length) {
            return std::nullopt;
        }
        if (name.wire_length() + 1 + label.size() > max_name_length) {
            return std::nullopt;
        }
        const auto* octets = reinterpret_cast<const std::uint8_t*>(label.data());
        name.append_label({octets, label.size()});
    }
    return name;
}

std::optional<Name> Name::from_text(std::string_view text) {
    if (text == ".") {
        return Name();
    }
    std::vector<std::string> labels(1);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '.') {
            if (i + 1 < text.size()) {  // a trailing dot only marks the name absolute
                labels.emplace_back();
            }
        } else if (c != '\\') {
            labels.back() += c;
        } else if (i + 1 == text.size()) {
            return std::nullopt;  // a lone backslash at the end
        } else if (!is_digit(text[i + 1])) {
            labels.back() += text[++i];  // \X stands for X itself
        } else {
            // \DDD: one octet as exactly three decimal digits
            const std::string_view digits = text.substr(i + 1, 3);
            if (digits.size() != 3 || !std::all_of(digits.begin(), digits.end(), is_digit)) {
                return std::nullopt;
            }
            const int value = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
            if (value > 255) {
                return std::nullopt;
            }
            labels.back() += static_cast<char>(value);
            i += 3;
        }
    }
    return from_labels(labels);
}

std::vector<std::string> Name::labels() const {
    std::vector<std::string> labels;
    for (std::size_t at = 0; wire_[at] != 0; at += 1 + wire_[at]) {
        const auto label = wire_.begin() + static_cast<std::ptrdiff_t>(at + 1);
        labels.emplace_back(label, label + wire_[at]);
    }
    return labels;
}

std::string Name::to_text() const {
    if (is_root()) {
        return ".";
    }
    std::string text;
    for (const auto& label : labels()) {
        text += escape_label(label) + '.';
    }
    return text;
}

// Comparing the wire forms octet by octet compares the labels: length octets are at most
// 63, below 'A', so lowering the letters leaves them alone.
bool operator==(const Name& a, const Name& b) {
    return std::equal(a.wire_.begin(), a.wire_.begin() + a.length_, b.wire_.begin(), b.wire_.begin() + b.length_,
                      [](std::uint8_t x, std::uint8_t y) { return ascii_lower(x) == ascii_lower(y); });
}

void write_name(std::vector<std::uint8_t>& out, const Name& name) {
    out.insert(out.end(), name.wire_.begin(), name.wire_.begin() + name.length_);
}

// RFC 1035 4.1.4: a name is a sequence of labels that ends either with a zero octet or
// with a pointer (two octets, top bits 11) to where the rest of the name appeared before.
// A hostile packet can aim pointers anywhere, so each one must point before the labels
// read since the previous jump: the reading position then always moves backwards and
// cannot loop.
Name read_name(Reader& in) {
    const auto message = in.message();
    std::size_t pos = in.offset();
    std::size_t limit = in.end();          // before the first jump, stay inside the record
    std::size_t segment_start = pos;       // where the labels read since the last jump began
    std::optional<std::size_t> resume_at;  // set by the first pointer: the name's end in place
    int hops = 0;
    Name name;  // what every return hands back

    // A malformed name: record why and where, and leave the root as the result.
    auto fail = [&](const char* what, std::size_t offset) {
        in.fail({what, offset});
        name = Name();
    };

    while (true) {
        if (pos >= limit) {
            fail("name runs past the end", pos);
            return name;
        }
        const std::uint8_t length = message[pos];
        if ((length & 0xC0) == 0xC0) {
            if (pos + 1 >= limit) {
                fail("truncated compression pointer", pos);
                return name;
            }
            const std::size_t target = (length & 0x3F) << 8 | message[pos + 1];
            if (target >= message.size()) {
                fail("compression pointer past the end of the message", pos);
                return name;
            }
            if (target > pos) {
                fail("forward compression pointer", pos);
                return name;
            }
            if (target >= segment_start) {
                fail("compression pointer loop", pos);
                return name;
            }
            if (++hops > max_pointer_hops) {
                fail("too many compression pointers", pos);
                return name;
            }
            resume_at = resume_at.value_or(pos + 2);
            pos = segment_start = target;
            limit = message.size();
            continue;
        }
        // Top bits 01 and 10 are not label lengths (RFC 6891 5 retired extended labels).
        if (length > max_label_length) {
            fail("label longer than 63 octets", pos);
            return name;
        }
        if (length == 0) {
            in.seek(resume_at.value_or(pos + 1));
            return name;
        }
        if (name.wire_length() + 1 + length > max_name_length) {
            fail("name longer than 255 octets", pos);
            return name;
        }
        if (length >= limit - pos) {
            fail("label runs past the end", pos);
            return name;
        }
        name.append_label(message.subspan(pos + 1, length));
        pos += 1 + length;
    }
}

}  // namespace dns
