#pragma once

// Domain names (RFC 1035 3.1): text like "mx1.example.test." and wire-format labels.

#include "dns_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
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
    Name() = default;

    // RFC 1035 5.1: "mx1.example.test" or "mx1.example.test.", with \. and \DDD escapes.
    static std::optional<Name> from_text(std::string_view text);
    static std::optional<Name> from_labels(std::vector<std::string> labels);

    const std::vector<std::string>& labels() const { return labels_; }
    bool is_root() const { return labels_.empty(); }
    std::size_t wire_length() const;

    // Always absolute ("example.test."), escaped the way dig prints names.
    std::string to_text() const;

    // RFC 1035 2.3.3, RFC 4343 2: names compare ASCII case-insensitively.
    friend bool operator==(const Name& a, const Name& b);

private:
    explicit Name(std::vector<std::string> labels) : labels_(std::move(labels)) {}

    std::vector<std::string> labels_;

    friend Name read_name(Reader& in);
};

// One label as it appears in text: "mx1", "a\\.b" (RFC 1035 5.1 escapes).
std::string escape_label(const std::string& label);

// Appends `name` without compression (RFC 1035 3.1): each label as length + octets, then 0.
void write_name(std::vector<std::uint8_t>& out, const Name& name);

// Reads a possibly compressed name (RFC 1035 4.1.4) at in.offset() and moves past it.
// On a malformed name, `in` records the error and the root is returned.
Name read_name(Reader& in);

}  // namespace dns
