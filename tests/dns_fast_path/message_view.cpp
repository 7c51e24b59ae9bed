#include "message_view.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace dns::view {

namespace {

using Packet = std::span<const std::uint8_t>;

std::uint16_t u16_in(Packet packet, std::size_t at) {
    return static_cast<std::uint16_t>(packet[at] << 8 | packet[at + 1]);
}

constexpr std::size_t no_name = 0;  // inside the header, so never where a name ends

// Checks the names of one packet as the pass meets them. An answer's names point again and
// again to a few earlier ones (the question's, each exchange's), so the latest names checked
// are kept with their length and pointer hops: a pointer to one adds those instead of walking
// it again. That gives the same verdict: a name checked in place, inside its record, is also
// valid reached from elsewhere, where only the packet's end bounds it. Only names that begin
// with a label are kept: compressors aim pointers at labels, not at other pointers.
class NameChecker {
public:
    explicit NameChecker(Packet packet) : packet_(packet) {}

    // Where the name at `at` ends in place, or no_name where read_name would fail: the same
    // rules (RFC 1035 4.1.4), labels before the first pointer inside [at, end), no name read.
    // An offset, not std::optional: GCC 12 hands an optional back through the stack, and
    // reading it back stalled every call (docs/performance.md).
    std::size_t skip(std::size_t at, std::size_t end) {
        constexpr int max_pointer_hops = 127;  // as read_name: a name has at most 127 labels
        const std::size_t start = at;
        std::size_t segment_start = at;   // pointers must aim before the labels read since the last jump
        std::size_t resume_at = no_name;  // where the name ends in place, once a pointer is followed
        std::size_t length = 1;           // on the wire, uncompressed: the labels and the zero octet
        int hops = 0;
        while (at < end) {
            const std::uint8_t octet = packet_[at];
            if ((octet & 0xC0) == 0xC0) {
                if (at + 1 >= end) {
                    return no_name;
                }
                const std::size_t target = (octet & 0x3F) << 8 | packet_[at + 1];
                if (target >= segment_start || ++hops > max_pointer_hops) {
                    return no_name;
                }
                if (resume_at == no_name) {
                    resume_at = at + 2;
                }
                if (const Checked* rest = find(target)) {
                    length += rest->length - 1;  // one zero octet ends both
                    hops += rest->hops;
                    if (length > max_name_length || hops > max_pointer_hops) {
                        return no_name;
                    }
                    remember(start, length, hops);
                    return resume_at;
                }
                at = segment_start = target;
                end = packet_.size();
                continue;
            }
            if (octet == 0) {
                remember(start, length, hops);
                return resume_at == no_name ? at + 1 : resume_at;
            }
            length += 1 + octet;
            if (octet > max_label_length || length > max_name_length || octet >= end - at) {
                return no_name;
            }
            at += 1 + octet;
        }
        return no_name;
    }

private:
    static constexpr std::size_t not_a_target = 0x4000;  // a pointer's 14 bits aim below it
    struct Checked {  // four octets, so that finding one is a short scan
        std::uint16_t at = not_a_target;
        std::uint8_t length = 0;
        std::uint8_t hops = 0;
    };

    const Checked* find(std::size_t at) const {
        const auto found = std::ranges::find(checked_, at, &Checked::at);
        return found == checked_.end() ? nullptr : &*found;
    }
    void remember(std::size_t at, std::size_t length, int hops) {
        // Past not_a_target no pointer reaches it, and `at` would not hold it.
        if (at < not_a_target && (packet_[at] & 0xC0) != 0xC0) {
            checked_[next_++ % checked_.size()] = {static_cast<std::uint16_t>(at), static_cast<std::uint8_t>(length),
                                                   static_cast<std::uint8_t>(hops)};
        }
    }

    Packet packet_;
    std::array<Checked, 8> checked_;  // the latest names checked, by where they start
    std::size_t next_ = 0;
};

// Whether [at, end) holds `count` names that fill it exactly but for `fixed` octets after them.
bool names_fill(NameChecker& names, std::size_t at, std::size_t end, int count, std::size_t fixed) {
    for (int i = 0; i < count; ++i) {
        at = names.skip(at, end);
        if (at == no_name) {
            return false;
        }
    }
    return end - at == fixed;
}

// RFC 1035 3.3.14: <character-string>s, each a length octet and that many octets.
bool txt_strings_fill(Packet packet, std::size_t at, std::size_t end) {
    while (at < end) {
        const std::size_t length = packet[at++];
        if (length > end - at) {
            return false;
        }
        at += length;
    }
    return true;
}

// RFC 6891 6.1.2: options, each a code, a length and that many octets.
bool edns_options_fill(Packet packet, std::size_t at, std::size_t end) {
    while (at < end) {
        if (end - at < 4) {
            return false;
        }
        const std::size_t length = u16_in(packet, at + 2);
        at += 4;
        if (length > end - at) {
            return false;
        }
        at += length;
    }
    return true;
}

// RFC 1035 3.3, RFC 3596 2.2, RFC 6891 6.1.2: the RDATA checks parse_message makes.
bool rdata_valid(Packet packet, NameChecker& names, Type type, std::size_t at, std::size_t end) {
    constexpr std::size_t soa_integers = 5 * 4;  // SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM
    switch (type) {
    case Type::A:
        return end - at == 4;
    case Type::AAAA:
        return end - at == 16;
    case Type::MX:
        return end - at >= 2 && names_fill(names, at + 2, end, 1, 0);  // after the preference
    case Type::CNAME:
    case Type::NS:
        return names_fill(names, at, end, 1, 0);
    case Type::SOA:
        return names_fill(names, at, end, 2, soa_integers);
    case Type::TXT:
        return txt_strings_fill(packet, at, end);
    case Type::OPT:
        return edns_options_fill(packet, at, end);
    }
    return true;
}

// Asking a record for data of another type is a bug in the caller, not a bad packet.
void expect_type(const RecordView& record, Type type) {
    if (record.type != type) {
        throw std::logic_error("a record asked for data of another type");
    }
}

}  // namespace

std::optional<MessageView> MessageView::parse(Packet packet) {
    constexpr std::size_t header_size = 12;  // RFC 1035 4.1.1
    if (packet.size() < header_size) {
        return std::nullopt;
    }
    MessageView message(packet);
    NameChecker names(packet);
    std::size_t at = header_size;
    for (int i = 0; i < u16_in(packet, 4); ++i) {  // RFC 1035 4.1.2: the questions
        const std::size_t name_end = names.skip(at, packet.size());
        if (name_end == no_name || packet.size() - name_end < 4) {
            return std::nullopt;
        }
        at = name_end + 4;
    }
    const std::size_t answers = u16_in(packet, 6);
    const std::size_t authority = u16_in(packet, 8);
    const std::size_t records = answers + authority + u16_in(packet, 10);
    constexpr std::size_t smallest_record = 1 + 10;  // the root as its name, no RDATA
    message.records_.reserve(std::min(records, (packet.size() - at) / smallest_record));
    for (std::size_t i = 0; i < records; ++i) {  // RFC 1035 4.1.3
        const std::size_t name_end = names.skip(at, packet.size());
        if (name_end == no_name || packet.size() - name_end < 10) {
            return std::nullopt;
        }
        const RecordView record{
            .name_at = at,
            .type = static_cast<Type>(u16_in(packet, name_end)),
            .klass = u16_in(packet, name_end + 2),
            .ttl = static_cast<std::uint32_t>(u16_in(packet, name_end + 4)) << 16 | u16_in(packet, name_end + 6),
            .rdata_at = name_end + 10,
            .rdata_length = u16_in(packet, name_end + 8),
        };
        const std::size_t rdata_end = record.rdata_at + record.rdata_length;
        if (rdata_end > packet.size() || !rdata_valid(packet, names, record.type, record.rdata_at, rdata_end)) {
            return std::nullopt;
        }
        message.records_.push_back(record);
        at = rdata_end;
    }
    message.answers_end_ = answers;
    message.authority_end_ = answers + authority;
    return message;
}

Name MessageView::name_at(std::size_t at) const {
    Reader in(packet_, at, packet_.size());
    return read_name(in);
}

rdata::Mx MessageView::mx(const RecordView& record) const {
    expect_type(record, Type::MX);
    return {u16_at(record.rdata_at), name_at(record.rdata_at + 2)};
}

rdata::A MessageView::a(const RecordView& record) const {
    expect_type(record, Type::A);
    asio::ip::address_v4::bytes_type address;
    std::copy_n(packet_.begin() + static_cast<std::ptrdiff_t>(record.rdata_at), address.size(), address.begin());
    return {asio::ip::address_v4(address)};
}

rdata::Aaaa MessageView::aaaa(const RecordView& record) const {
    expect_type(record, Type::AAAA);
    asio::ip::address_v6::bytes_type address;
    std::copy_n(packet_.begin() + static_cast<std::ptrdiff_t>(record.rdata_at), address.size(), address.begin());
    return {asio::ip::address_v6(address)};
}

}  // namespace dns::view
