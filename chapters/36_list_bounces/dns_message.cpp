#include "dns_message.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>

namespace dns {

namespace {

// RFC 1035 4.1.1: the second 16-bit word of the header.
//   QR | OPCODE (4) | AA | TC | RD | RA | Z (3) | RCODE (4)
Header decode_flags(std::uint16_t id, std::uint16_t flags) {
    Header header;
    header.id = id;
    header.qr = (flags >> 15 & 1) != 0;
    header.opcode = static_cast<std::uint8_t>(flags >> 11 & 0xF);
    header.aa = (flags >> 10 & 1) != 0;
    header.tc = (flags >> 9 & 1) != 0;
    header.rd = (flags >> 8 & 1) != 0;
    header.ra = (flags >> 7 & 1) != 0;
    header.z = static_cast<std::uint8_t>(flags >> 4 & 0x7);
    header.rcode = static_cast<Rcode>(flags & 0xF);
    return header;
}

std::uint16_t encode_flags(const Header& header) {
    return static_cast<std::uint16_t>(header.qr << 15 | (header.opcode & 0xF) << 11 | header.aa << 10 |
                                      header.tc << 9 | header.rd << 8 | header.ra << 7 |
                                      (header.z & 0x7) << 4 | (static_cast<int>(header.rcode) & 0xF));
}

// ---- Parsing -------------------------------------------------------------------------

// RFC 1035 4.1.2
Question read_question(Reader& in) {
    Question question;
    question.name = read_name(in);
    question.type = static_cast<Type>(in.u16("QTYPE"));
    question.klass = in.u16("QCLASS");
    return question;
}

template <std::size_t N>
std::array<unsigned char, N> read_address(Reader& in, const char* field) {
    std::array<unsigned char, N> address{};
    const auto octets = in.bytes(N, field);
    std::copy(octets.begin(), octets.end(), address.begin());
    return address;
}

// RFC 1035 3.3, RFC 3596 2.2, RFC 6891 6.1.2: `in` covers exactly the RDLENGTH octets.
Rdata read_rdata(Reader& in, Type type) {
    switch (type) {
    case Type::A:
        return rdata::A{asio::ip::address_v4(read_address<4>(in, "A address"))};
    case Type::AAAA:
        return rdata::Aaaa{asio::ip::address_v6(read_address<16>(in, "AAAA address"))};
    case Type::MX: {
        rdata::Mx mx;
        mx.preference = in.u16("MX preference");
        mx.exchange = read_name(in);
        return mx;
    }
    case Type::CNAME:
        return rdata::Cname{read_name(in)};
    case Type::NS:
        return rdata::Ns{read_name(in)};
    case Type::SOA: {
        rdata::Soa soa;
        soa.mname = read_name(in);
        soa.rname = read_name(in);
        soa.serial = in.u32("SOA serial");
        soa.refresh = in.u32("SOA refresh");
        soa.retry = in.u32("SOA retry");
        soa.expire = in.u32("SOA expire");
        soa.minimum = in.u32("SOA minimum");
        return soa;
    }
    case Type::TXT: {
        rdata::Txt txt;
        while (in.ok() && in.remaining() > 0) {
            const auto text = in.bytes(in.u8("TXT length"), "TXT string");
            txt.strings.emplace_back(text.begin(), text.end());
        }
        return txt;
    }
    case Type::OPT: {
        rdata::Opt opt;
        while (in.ok() && in.remaining() > 0) {
            rdata::EdnsOption option;
            option.code = in.u16("OPT option code");
            const auto data = in.bytes(in.u16("OPT option length"), "OPT option data");
            option.data.assign(data.begin(), data.end());
            opt.options.push_back(std::move(option));
        }
        return opt;
    }
    }
    const auto octets = in.bytes(in.remaining(), "RDATA");
    return rdata::Raw{{octets.begin(), octets.end()}};
}

// RFC 1035 4.1.3
Record read_record(Reader& in) {
    Record record;
    record.name = read_name(in);
    record.type = static_cast<Type>(in.u16("TYPE"));
    record.klass = in.u16("CLASS");
    record.ttl = in.u32("TTL");
    const std::size_t length_at = in.offset();
    const std::uint16_t length = in.u16("RDLENGTH");
    if (!in.ok()) {
        return record;
    }
    if (length > in.remaining()) {
        in.fail({"RDLENGTH runs past the end of the message", length_at});
        return record;
    }
    Reader rdata_in(in.message(), in.offset(), in.offset() + length);
    record.data = read_rdata(rdata_in, record.type);
    if (rdata_in.ok() && rdata_in.remaining() > 0) {
        rdata_in.fail({"RDATA longer than its fields", rdata_in.offset()});
    }
    if (!rdata_in.ok()) {
        in.fail(rdata_in.error());
    }
    in.seek(rdata_in.end());
    return record;
}

// RFC 1035 4.1.2, 4.1.3: the smallest question and record have the root as their name.
constexpr std::size_t smallest_question = 1 + 2 + 2;        // name, QTYPE, QCLASS
constexpr std::size_t smallest_record = 1 + 2 + 2 + 4 + 2;  // name, TYPE, CLASS, TTL, RDLENGTH

// A count in the header is only a claim: stop with an error where the data runs out.
template <typename Item, typename ReadItem>
std::vector<Item> read_section(Reader& in, std::uint16_t count, const char* count_name, std::size_t smallest_item,
                               ReadItem read_item) {
    std::vector<Item> items;
    // Room for all at once, but no more than the octets left could hold: a hostile count
    // of 65535 must not reserve 65535 items.
    items.reserve(std::min<std::size_t>(count, in.remaining() / smallest_item));
    for (std::uint16_t i = 0; i < count && in.ok(); ++i) {
        if (in.remaining() == 0) {
            in.fail({std::string(count_name) + " is " + std::to_string(count) + " but the message ends after " +
                         std::to_string(i),
                     in.offset()});
            break;
        }
        items.push_back(read_item(in));
    }
    return items;
}

// ---- Building --------------------------------------------------------------------------

// Writes the RDATA of each type; the inverse of read_rdata.
struct RdataWriter {
    std::vector<std::uint8_t>& out;

    void operator()(const rdata::A& a) const { append(a.address.to_bytes()); }
    void operator()(const rdata::Aaaa& aaaa) const { append(aaaa.address.to_bytes()); }
    void operator()(const rdata::Mx& mx) const {
        put_u16(out, mx.preference);
        write_name(out, mx.exchange);
    }
    void operator()(const rdata::Cname& cname) const { write_name(out, cname.target); }
    void operator()(const rdata::Ns& ns) const { write_name(out, ns.host); }
    void operator()(const rdata::Soa& soa) const {
        write_name(out, soa.mname);
        write_name(out, soa.rname);
        for (const std::uint32_t value : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) {
            put_u32(out, value);
        }
    }
    void operator()(const rdata::Txt& txt) const {
        for (const auto& text : txt.strings) {
            put_u8(out, checked_u8(text.size()));
            append(text);
        }
    }
    void operator()(const rdata::Opt& opt) const {
        for (const auto& option : opt.options) {
            put_u16(out, option.code);
            put_u16(out, checked_u16(option.data.size()));
            append(option.data);
        }
    }
    void operator()(const rdata::Raw& raw) const { append(raw.bytes); }

    void append(const auto& octets) const { out.insert(out.end(), octets.begin(), octets.end()); }
    static std::uint8_t checked_u8(std::size_t size) {
        if (size > 0xFF) {
            throw std::length_error("TXT string longer than 255 octets");
        }
        return static_cast<std::uint8_t>(size);
    }
    static std::uint16_t checked_u16(std::size_t size) {
        if (size > 0xFFFF) {
            throw std::length_error("DNS field longer than 65535 octets");
        }
        return static_cast<std::uint16_t>(size);
    }
};

void write_record(std::vector<std::uint8_t>& out, const Record& record) {
    write_name(out, record.name);
    put_u16(out, static_cast<std::uint16_t>(record.type));
    put_u16(out, record.klass);
    put_u32(out, record.ttl);
    const std::size_t length_at = out.size();
    put_u16(out, 0);  // RDLENGTH, filled in below
    std::visit(RdataWriter{out}, record.data);
    const std::uint16_t length = RdataWriter::checked_u16(out.size() - length_at - 2);
    out[length_at] = static_cast<std::uint8_t>(length >> 8);
    out[length_at + 1] = static_cast<std::uint8_t>(length);
}

std::uint16_t random_id() {
    std::random_device random;
    return static_cast<std::uint16_t>(random());
}

}  // namespace

std::variant<Message, ParseError> parse_message(std::span<const std::uint8_t> wire) {
    Reader in(wire);
    // RFC 1035 4.1.1: twelve octets of header
    const std::uint16_t id = in.u16("ID");
    const std::uint16_t flags = in.u16("flags");
    const std::uint16_t qdcount = in.u16("QDCOUNT");
    const std::uint16_t ancount = in.u16("ANCOUNT");
    const std::uint16_t nscount = in.u16("NSCOUNT");
    const std::uint16_t arcount = in.u16("ARCOUNT");

    Message message;
    message.header = decode_flags(id, flags);
    message.questions = read_section<Question>(in, qdcount, "QDCOUNT", smallest_question, read_question);
    message.answers = read_section<Record>(in, ancount, "ANCOUNT", smallest_record, read_record);
    message.authority = read_section<Record>(in, nscount, "NSCOUNT", smallest_record, read_record);
    message.additional = read_section<Record>(in, arcount, "ARCOUNT", smallest_record, read_record);
    if (!in.ok()) {
        return in.error();
    }
    return message;  // octets after the last section are ignored
}

std::vector<std::uint8_t> encode(const Message& message) {
    std::vector<std::uint8_t> out;
    put_u16(out, message.header.id);
    put_u16(out, encode_flags(message.header));
    put_u16(out, RdataWriter::checked_u16(message.questions.size()));
    put_u16(out, RdataWriter::checked_u16(message.answers.size()));
    put_u16(out, RdataWriter::checked_u16(message.authority.size()));
    put_u16(out, RdataWriter::checked_u16(message.additional.size()));
    for (const auto& question : message.questions) {
        write_name(out, question.name);
        put_u16(out, static_cast<std::uint16_t>(question.type));
        put_u16(out, question.klass);
    }
    for (const auto* section : {&message.answers, &message.authority, &message.additional}) {
        for (const auto& record : *section) {
            write_record(out, record);
        }
    }
    return out;
}

Message build_query(const Name& name, Type type, bool edns) {
    Message query;
    query.header.id = random_id();
    query.header.rd = true;
    query.questions.push_back({name, type, class_in});
    if (edns) {
        // RFC 6891 6.1.2: owner ".", CLASS = our UDP payload size, TTL 0 = version 0, no flags
        query.additional.push_back({Name(), Type::OPT, edns_udp_size, 0, rdata::Opt{}});
    }
    return query;
}

}  // namespace dns
