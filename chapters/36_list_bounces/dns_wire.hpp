#pragma once

// DNS wire format: big-endian integers (RFC 1035 2.3.2), read from untrusted packets
// with every access bounds-checked.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dns {

// Why a packet was rejected, and the offset of the octet where the problem was found.
struct ParseError {
    std::string what;
    std::size_t offset = 0;

    bool operator==(const ParseError&) const = default;
};

// A cursor over a received message. Reads never go past `end`; the first failed read
// records an error and every later read returns zeros, so a parser can read a group of
// fields and check ok() once instead of after every field.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> message)
        : Reader(message, 0, message.size()) {}

    // Reads [offset, end) of `message`; names may still point anywhere before (RFC 1035 4.1.4).
    Reader(std::span<const std::uint8_t> message, std::size_t offset, std::size_t end)
        : message_(message), offset_(offset), end_(end) {}

    std::uint8_t u8(const char* field) {
        return need(1, field) ? message_[offset_++] : 0;
    }

    std::uint16_t u16(const char* field) {
        if (!need(2, field)) {
            return 0;
        }
        const auto value = static_cast<std::uint16_t>(message_[offset_] << 8 | message_[offset_ + 1]);
        offset_ += 2;
        return value;
    }

    std::uint32_t u32(const char* field) {
        const std::uint32_t high = u16(field);
        const std::uint32_t low = u16(field);
        return high << 16 | low;
    }

    std::span<const std::uint8_t> bytes(std::size_t count, const char* field) {
        if (!need(count, field)) {
            return {};
        }
        const auto result = message_.subspan(offset_, count);
        offset_ += count;
        return result;
    }

    // Keeps the first error: later ones are usually consequences of it.
    void fail(ParseError error) {
        if (!error_) {
            error_ = std::move(error);
        }
    }

    bool ok() const { return !error_; }
    const ParseError& error() const { return *error_; }

    std::span<const std::uint8_t> message() const { return message_; }
    std::size_t offset() const { return offset_; }
    std::size_t end() const { return end_; }
    std::size_t remaining() const { return end_ - offset_; }
    void seek(std::size_t offset) { offset_ = offset; }

private:
    bool need(std::size_t count, const char* field) {
        if (!ok()) {
            return false;
        }
        if (remaining() < count) {
            truncated(field);
            return false;
        }
        return true;
    }

    // Only a bad packet gets here.
    void truncated(const char* field) {
        fail({std::string("truncated ") + field, offset_});
    }

    std::span<const std::uint8_t> message_;
    std::size_t offset_;
    std::size_t end_;
    std::optional<ParseError> error_;
};

inline void put_u8(std::vector<std::uint8_t>& out, std::uint8_t value) {
    out.push_back(value);
}

inline void put_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    put_u16(out, static_cast<std::uint16_t>(value >> 16));
    put_u16(out, static_cast<std::uint16_t>(value));
}

}  // namespace dns
