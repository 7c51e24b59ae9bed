#pragma once

// Domain names (RFC 1035 3.1): text like "mx1.example.test." and wire-format labels.

#include "dns_wire.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dns {

inline constexpr std::size_t max_label_length = 63;   // RFC 1035 2.3.4
inline constexpr std::size_t max_name_length = 255;   // RFC 1035 2.3.4: octets on the wire

// A valid, absolute domain name: labels of 1 to 63 octets, at most 255 octets on the wire.
// The default Name is the root, ".".
class Name {
public:
    Name() { wire_[0] = 0; }  // the root: nothing but the zero octet

    // RFC 1035 5.1: "mx1.example.test" or "mx1.example.test.", with \. and \DDD escapes.
    static std::optional<Name> from_text(std::string_view text);
    static std::optional<Name> from_labels(const std::vector<std::string>& labels);

    // A copy of each label, in order: for showing and testing, not for the parser.
    std::vector<std::string> labels() const;
    bool is_root() const { return length_ == 1; }
    std::size_t wire_length() const { return length_; }

    // Always absolute ("example.test."), escaped the way dig prints names.
    std::string to_text() const;

    // RFC 1035 2.3.3, RFC 4343 2: names compare ASCII case-insensitively.
    friend bool operator==(const Name& a, const Name& b);

private:
    // Adds a label before the final zero octet; the caller has checked the 63 and 255 limits.
    void append_label(std::span<const std::uint8_t> label) {
        const std::size_t at = length_ - 1;  // the zero octet that ended the name
        wire_[at] = static_cast<std::uint8_t>(label.size());
        std::copy(label.begin(), label.end(), wire_.begin() + static_cast<std::ptrdiff_t>(at + 1));
        length_ = static_cast<std::uint8_t>(length_ + 1 + label.size());
        wire_[length_ - 1] = 0;
    }

    // The name as it is sent uncompressed (RFC 1035 3.1): each label as its length and its
    // octets, then a zero octet. Held in place, so a Name costs no heap allocation to build,
    // copy or destroy. Only the first length_ octets hold the name; the rest are unused.
    std::array<std::uint8_t, max_name_length> wire_;
    std::uint8_t length_ = 1;

    friend void write_name(std::vector<std::uint8_t>& out, const Name& name);
    friend Name read_name(Reader& in);
};

// One label as it appears in text: "mx1", "a\\.b" (RFC 1035 5.1 escapes).
std::string escape_label(std::string_view label);

// Appends `name` without compression (RFC 1035 3.1): each label as length + octets, then 0.
void write_name(std::vector<std::uint8_t>& out, const Name& name);

// Reads a possibly compressed name (RFC 1035 4.1.4) at in.offset() and moves past it.
// On a malformed name, `in` records the error and the root is returned.
Name read_name(Reader& in);

}  // namespace dns
