#pragma once

// How a production resolver reads DNS answers, for comparison with chapter 10's parse_message
// (docs/performance.md). One pass over the packet makes every check parse_message makes and
// keeps only where each record is; nothing is copied until the caller asks for it, and a name
// is decompressed (by chapter 10's read_name) only then. A pointer to one of the last names
// the pass checked adds that name's length and hops instead of walking it again. It is fast
// because it builds nothing, and that is why chapter 10 does not teach it: a record here is
// offsets, not a name and its data. tests/dns/message_view_test.cpp and the fuzz target hold
// the two parsers to the same verdict on every packet.

#include "dns_message.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dns::view {

// RFC 1035 4.1.3: one resource record, as where its parts are in the packet. Only records that
// MessageView::parse made may be given back to the view: it trusts their offsets.
struct RecordView {
    std::size_t name_at = 0;
    Type type = Type::A;
    std::uint16_t klass = 0;
    std::uint32_t ttl = 0;
    std::size_t rdata_at = 0;
    std::uint16_t rdata_length = 0;
};

class MessageView {
public:
    // Empty where parse_message returns a ParseError. The view points into `packet`, which must
    // outlive it.
    static std::optional<MessageView> parse(std::span<const std::uint8_t> packet);

    std::uint16_t id() const { return u16_at(0); }
    bool truncated() const { return (u16_at(2) >> 9 & 1) != 0; }  // RFC 1035 4.1.1: TC
    Rcode rcode() const { return static_cast<Rcode>(u16_at(2) & 0xF); }

    std::span<const RecordView> answers() const { return records().subspan(0, answers_end_); }
    std::span<const RecordView> authority() const {
        return records().subspan(answers_end_, authority_end_ - answers_end_);
    }
    std::span<const RecordView> additional() const { return records().subspan(authority_end_); }

    // Decoded on demand. Asking a record for another type's data throws std::logic_error.
    Name owner(const RecordView& record) const { return name_at(record.name_at); }
    // The RDATA as it is in the packet: names in it may be compressed.
    std::span<const std::uint8_t> rdata(const RecordView& record) const {
        return packet_.subspan(record.rdata_at, record.rdata_length);
    }
    rdata::Mx mx(const RecordView& record) const;
    rdata::A a(const RecordView& record) const;
    rdata::Aaaa aaaa(const RecordView& record) const;

private:
    explicit MessageView(std::span<const std::uint8_t> packet) : packet_(packet) {}

    std::span<const RecordView> records() const { return records_; }
    std::uint16_t u16_at(std::size_t at) const {
        return static_cast<std::uint16_t>(packet_[at] << 8 | packet_[at + 1]);
    }
    Name name_at(std::size_t at) const;

    std::span<const std::uint8_t> packet_;
    std::vector<RecordView> records_;  // the answer, authority and additional sections in turn
    std::size_t answers_end_ = 0;
    std::size_t authority_end_ = 0;
};

}  // namespace dns::view
