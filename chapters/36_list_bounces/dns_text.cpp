#include "dns_text.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace dns {

namespace {

constexpr std::array<std::pair<Type, const char*>, 8> type_names{{
    {Type::A, "A"},
    {Type::NS, "NS"},
    {Type::CNAME, "CNAME"},
    {Type::SOA, "SOA"},
    {Type::MX, "MX"},
    {Type::TXT, "TXT"},
    {Type::AAAA, "AAAA"},
    {Type::OPT, "OPT"},
}};

// RFC 3597 5: opaque octets as "\# <length> <hex>".
std::string generic_rdata(std::span<const std::uint8_t> octets) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string text = "\\# " + std::to_string(octets.size());
    if (!octets.empty()) {
        text += ' ';
    }
    for (const std::uint8_t octet : octets) {
        text += hex[octet >> 4];
        text += hex[octet & 0xF];
    }
    return text;
}

// RFC 1035 5.1: a <character-string> in quotes, with \" \\ and \DDD escapes.
std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto octet = static_cast<unsigned char>(c);
        if (octet < 0x20 || octet >= 0x7f) {
            const std::string digits = std::to_string(octet);
            out += '\\' + std::string(3 - digits.size(), '0') + digits;
        } else {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
    }
    return out + '"';
}

struct RdataText {
    std::string operator()(const rdata::A& a) const { return a.address.to_string(); }
    std::string operator()(const rdata::Aaaa& aaaa) const { return aaaa.address.to_string(); }
    std::string operator()(const rdata::Mx& mx) const {
        return std::to_string(mx.preference) + ' ' + mx.exchange.to_text();
    }
    std::string operator()(const rdata::Cname& cname) const { return cname.target.to_text(); }
    std::string operator()(const rdata::Ns& ns) const { return ns.host.to_text(); }
    std::string operator()(const rdata::Soa& soa) const {
        return soa.mname.to_text() + ' ' + soa.rname.to_text() + ' ' + std::to_string(soa.serial) + ' ' +
               std::to_string(soa.refresh) + ' ' + std::to_string(soa.retry) + ' ' + std::to_string(soa.expire) +
               ' ' + std::to_string(soa.minimum);
    }
    std::string operator()(const rdata::Txt& txt) const {
        std::string text;
        for (const auto& string : txt.strings) {
            text += (text.empty() ? "" : " ") + quoted(string);
        }
        return text;
    }
    std::string operator()(const rdata::Opt& opt) const {
        std::vector<std::uint8_t> octets;
        for (const auto& option : opt.options) {
            put_u16(octets, option.code);
            put_u16(octets, static_cast<std::uint16_t>(option.data.size()));
            octets.insert(octets.end(), option.data.begin(), option.data.end());
        }
        return generic_rdata(octets);
    }
    std::string operator()(const rdata::Raw& raw) const { return generic_rdata(raw.bytes); }
};

}  // namespace

std::string to_string(Type type) {
    for (const auto& [known, name] : type_names) {
        if (known == type) {
            return name;
        }
    }
    return "TYPE" + std::to_string(static_cast<unsigned>(type));
}

std::string to_string(Rcode rcode) {
    static constexpr const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    const auto value = static_cast<unsigned>(rcode);
    return value < std::size(names) ? names[value] : "RCODE" + std::to_string(value);
}

std::string class_to_string(std::uint16_t klass) {
    switch (klass) {
    case class_in:
        return "IN";
    case 3:
        return "CH";
    case 4:
        return "HS";
    default:
        return "CLASS" + std::to_string(klass);
    }
}

std::optional<Type> type_from_string(std::string_view text) {
    auto same = [text](std::string_view name) {
        return std::equal(text.begin(), text.end(), name.begin(), name.end(),
                          [](char a, char b) { return (a >= 'a' && a <= 'z' ? a - 'a' + 'A' : a) == b; });
    };
    for (const auto& [type, name] : type_names) {
        if (same(name)) {
            return type;
        }
    }
    return std::nullopt;
}

std::string to_text(const Rdata& data) {
    return std::visit(RdataText{}, data);
}

std::string to_text(const Record& record) {
    return record.name.to_text() + '\t' + std::to_string(record.ttl) + '\t' + class_to_string(record.klass) + '\t' +
           to_string(record.type) + '\t' + to_text(record.data);
}

}  // namespace dns
