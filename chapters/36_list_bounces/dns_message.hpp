#pragma once

// DNS messages (RFC 1035 4.1): what they hold, how to build a query, how to parse a packet.

#include "dns_name.hpp"
#include "dns_wire.hpp"

#include <asio/ip/address_v4.hpp>
#include <asio/ip/address_v6.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace dns {

// RFC 1035 3.2.2, RFC 3596 2.1, RFC 6891 6.1.1. Other values are kept as they come.
enum class Type : std::uint16_t {
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    OPT = 41,
};

inline constexpr std::uint16_t class_in = 1;          // RFC 1035 3.2.4: the Internet
inline constexpr std::uint16_t edns_udp_size = 1232;  // fits any path's MTU (DNS Flag Day 2020)

// RFC 1035 4.1.1. Other values are kept as they come.
enum class Rcode : std::uint8_t {
    NOERROR = 0,
    FORMERR = 1,
    SERVFAIL = 2,
    NXDOMAIN = 3,
    NOTIMP = 4,
    REFUSED = 5,
};

// RFC 1035 4.1.1. The four counts are not stored: they are the sizes of the sections.
struct Header {
    std::uint16_t id = 0;
    bool qr = false;           // this is a response
    std::uint8_t opcode = 0;   // 0: a standard query
    bool aa = false;           // authoritative answer
    bool tc = false;           // truncated: ask again over TCP
    bool rd = false;           // recursion desired
    bool ra = false;           // recursion available
    std::uint8_t z = 0;        // 3 reserved bits (RFC 4035 3.2 gives two of them to DNSSEC)
    Rcode rcode = Rcode::NOERROR;

    bool operator==(const Header&) const = default;
};

// RFC 1035 4.1.2
struct Question {
    Name name;
    Type type = Type::A;
    std::uint16_t klass = class_in;

    bool operator==(const Question&) const = default;
};

// The RDATA of each record type we understand.
namespace rdata {

struct A {  // RFC 1035 3.4.1
    asio::ip::address_v4 address;
    bool operator==(const A&) const = default;
};

struct Aaaa {  // RFC 3596 2.2
    asio::ip::address_v6 address;
    bool operator==(const Aaaa&) const = default;
};

struct Mx {  // RFC 1035 3.3.9
    std::uint16_t preference = 0;
    Name exchange;
    bool operator==(const Mx&) const = default;
};

struct Cname {  // RFC 1035 3.3.1
    Name target;
    bool operator==(const Cname&) const = default;
};

struct Ns {  // RFC 1035 3.3.11
    Name host;
    bool operator==(const Ns&) const = default;
};

struct Soa {  // RFC 1035 3.3.13
    Name mname;
    Name rname;
    std::uint32_t serial = 0;
    std::uint32_t refresh = 0;
    std::uint32_t retry = 0;
    std::uint32_t expire = 0;
    std::uint32_t minimum = 0;
    bool operator==(const Soa&) const = default;
};

struct Txt {  // RFC 1035 3.3.14: one or more <character-string>s of up to 255 octets
    std::vector<std::string> strings;
    bool operator==(const Txt&) const = default;
};

struct EdnsOption {  // RFC 6891 6.1.2
    std::uint16_t code = 0;
    std::vector<std::uint8_t> data;
    bool operator==(const EdnsOption&) const = default;
};

struct Opt {  // RFC 6891 6.1.2
    std::vector<EdnsOption> options;
    bool operator==(const Opt&) const = default;
};

struct Raw {  // RFC 3597: a type we do not know, kept as opaque octets
    std::vector<std::uint8_t> bytes;
    bool operator==(const Raw&) const = default;
};

}  // namespace rdata

using Rdata = std::variant<rdata::A, rdata::Aaaa, rdata::Mx, rdata::Cname, rdata::Ns, rdata::Soa,
                           rdata::Txt, rdata::Opt, rdata::Raw>;

// RFC 1035 4.1.3. In an OPT record, `klass` is the sender's UDP payload size and `ttl`
// holds the extended RCODE, version and flags (RFC 6891 6.1.3).
struct Record {
    Name name;
    Type type = Type::A;
    std::uint16_t klass = class_in;
    std::uint32_t ttl = 0;
    Rdata data;

    bool operator==(const Record&) const = default;
};

// RFC 1035 4.1
struct Message {
    Header header;
    std::vector<Question> questions;
    std::vector<Record> answers;
    std::vector<Record> authority;
    std::vector<Record> additional;

    bool operator==(const Message&) const = default;
};

// A query with a fresh random ID (RFC 5452 9.2), RD set and one question; with `edns`,
// an OPT record offering UDP responses of up to edns_udp_size octets (RFC 6891 6.2.5).
Message build_query(const Name& name, Type type, bool edns = true);

// The message in wire format, names uncompressed.
std::vector<std::uint8_t> encode(const Message& message);

// Parses an untrusted packet: the whole message, or why and where it is malformed.
std::variant<Message, ParseError> parse_message(std::span<const std::uint8_t> wire);

}  // namespace dns
