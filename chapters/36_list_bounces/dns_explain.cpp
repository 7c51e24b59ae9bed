#include "dns_explain.hpp"

#include "dns_message.hpp"
#include "dns_text.hpp"

#include <algorithm>
#include <cstdio>

namespace dns {

namespace {

std::string hex(std::size_t value, int digits) {
    char text[20];
    std::snprintf(text, sizeof text, "%0*zx", digits, value);
    return text;
}

std::string bit(const char* name, bool value) {
    return std::string(name) + '=' + (value ? '1' : '0');
}

std::string type_note(Type type) {
    return to_string(type) + " (" + std::to_string(static_cast<unsigned>(type)) + ")";
}

std::string class_note(std::uint16_t klass) {
    return class_to_string(klass) + " (" + std::to_string(klass) + ")";
}

std::string option_name(std::uint16_t code) {
    switch (code) {
    case 8:
        return " (client subnet, RFC 7871)";
    case 10:
        return " (cookie, RFC 7873)";
    case 12:
        return " (padding, RFC 7830)";
    default:
        return "";
    }
}

// Walks a message that parse_message accepted, using the parsed values for the notes and
// the wire octets for the rows. It never meets a malformed field.
class Explainer {
public:
    Explainer(std::span<const std::uint8_t> wire, const Message& message) : wire_(wire), message_(message) {}

    std::string run() {
        Reader in(wire_);
        header(in);
        for (std::size_t i = 0; i < message_.questions.size(); ++i) {
            heading("question", i, message_.questions.size());
            question(in, message_.questions[i]);
        }
        const std::pair<const char*, const std::vector<Record>*> sections[] = {
            {"answer", &message_.answers}, {"authority", &message_.authority}, {"additional", &message_.additional}};
        for (const auto& [section, records] : sections) {
            for (std::size_t i = 0; i < records->size(); ++i) {
                heading(section, i, records->size());
                record(in, (*records)[i]);
            }
        }
        return out_;
    }

private:
    // RFC 1035 4.1.1
    void header(Reader& in) {
        const Header& h = message_.header;
        field(in, 2, "ID " + std::to_string(h.id));
        field(in, 2, "flags: " + bit("QR", h.qr) + (h.qr ? " response" : " query") + ", OPCODE=" +
                         std::to_string(h.opcode) + (h.opcode == 0 ? " QUERY" : "") + ", " + bit("AA", h.aa) + ", " +
                         bit("TC", h.tc) + ", " + bit("RD", h.rd) + ", " + bit("RA", h.ra) + ", Z=" +
                         std::to_string(h.z) + ", RCODE=" + std::to_string(static_cast<int>(h.rcode)) + ' ' +
                         to_string(h.rcode));
        for (const char* count : {"QDCOUNT", "ANCOUNT", "NSCOUNT", "ARCOUNT"}) {
            field(in, 2, std::string(count) + ' ' + std::to_string(peek_u16(in)));
        }
    }

    // RFC 1035 4.1.2
    void question(Reader& in, const Question& q) {
        name(in);
        field(in, 2, "QTYPE " + type_note(q.type));
        field(in, 2, "QCLASS " + class_note(q.klass));
    }

    // RFC 1035 4.1.3; an OPT record reuses CLASS and TTL (RFC 6891 6.1.2, 6.1.3)
    void record(Reader& in, const Record& r) {
        name(in);
        field(in, 2, "TYPE " + type_note(r.type));
        if (r.type == Type::OPT) {
            field(in, 2, "UDP payload size " + std::to_string(r.klass));
            field(in, 4, "extended RCODE " + std::to_string(r.ttl >> 24) + ", version " +
                             std::to_string(r.ttl >> 16 & 0xFF) + ", " + bit("DO", (r.ttl >> 15 & 1) != 0));
        } else {
            field(in, 2, "CLASS " + class_note(r.klass));
            field(in, 4, "TTL " + std::to_string(r.ttl) + " seconds");
        }
        const std::uint16_t length = peek_u16(in);
        field(in, 2, "RDLENGTH " + std::to_string(length));
        std::visit([&](const auto& data) { rdata(in, data); }, r.data);
    }

    // RFC 1035 3.3, 3.4.1; RFC 3596 2.2; RFC 6891 6.1.2; RFC 3597
    void rdata(Reader& in, const rdata::A& a) { field(in, 4, "address " + a.address.to_string()); }
    void rdata(Reader& in, const rdata::Aaaa& aaaa) { field(in, 16, "address " + aaaa.address.to_string()); }
    void rdata(Reader& in, const rdata::Mx& mx) {
        field(in, 2, "preference " + std::to_string(mx.preference));
        name(in);
    }
    void rdata(Reader& in, const rdata::Cname&) { name(in); }
    void rdata(Reader& in, const rdata::Ns&) { name(in); }
    void rdata(Reader& in, const rdata::Soa& soa) {
        name(in);
        name(in);
        field(in, 4, "serial " + std::to_string(soa.serial));
        field(in, 4, "refresh " + std::to_string(soa.refresh) + " seconds");
        field(in, 4, "retry " + std::to_string(soa.retry) + " seconds");
        field(in, 4, "expire " + std::to_string(soa.expire) + " seconds");
        field(in, 4, "minimum " + std::to_string(soa.minimum) + " seconds");
    }
    void rdata(Reader& in, const rdata::Txt& txt) {
        constexpr std::size_t shown = 40;  // the hex rows show the rest
        for (const auto& text : txt.strings) {
            field(in, 1 + text.size(),
                  "string of " + std::to_string(text.size()) + " octets: " +
                      to_text(rdata::Txt{{text.substr(0, shown)}}) + (text.size() > shown ? "..." : ""));
        }
    }
    void rdata(Reader& in, const rdata::Opt& opt) {
        for (const auto& option : opt.options) {
            field(in, 4 + option.data.size(),
                  "option " + std::to_string(option.code) + option_name(option.code) + ", " +
                      std::to_string(option.data.size()) + " octets");
        }
    }
    void rdata(Reader& in, const rdata::Raw& raw) {
        if (!raw.bytes.empty()) {
            field(in, raw.bytes.size(), "RDATA of a type we do not know, kept as raw octets");
        }
    }

    // RFC 1035 4.1.4: labels in place, then the root label or a pointer to the rest.
    void name(Reader& in) {
        Reader whole = in;
        const Name full = read_name(whole);
        while (true) {
            const std::uint8_t length = wire_[in.offset()];
            if ((length & 0xC0) == 0xC0) {
                const std::size_t target = (length & 0x3F) << 8 | wire_[in.offset() + 1];
                Reader rest(wire_, target, wire_.size());
                field(in, 2, "pointer to " + hex(target, 4) + ": " + read_name(rest).to_text());
                return;
            }
            if (length == 0) {
                field(in, 1, "end of name " + full.to_text());
                return;
            }
            const auto label = wire_.subspan(in.offset() + 1, length);
            field(in, 1u + length, "label " + escape_label(std::string(label.begin(), label.end())));
        }
    }

    std::uint16_t peek_u16(const Reader& in) {
        Reader copy = in;
        return copy.u16("field");
    }

    void heading(const char* section, std::size_t index, std::size_t count) {
        out_ += std::string(6, ' ') + ";; " + section + ' ' + std::to_string(index + 1) + " of " +
                std::to_string(count) + '\n';
    }

    // The next `count` octets, 8 a row, with `note` on the first row.
    void field(Reader& in, std::size_t count, const std::string& note) {
        const std::size_t offset = in.offset();
        const auto octets = in.bytes(count, "field");
        for (std::size_t start = 0; start < octets.size(); start += 8) {
            std::string line = hex(offset + start, 4) + "  ";
            for (std::size_t i = start; i < std::min(start + 8, octets.size()); ++i) {
                line += hex(octets[i], 2) + ' ';
            }
            if (start == 0) {
                line.resize(6 + 3 * 8 + 1, ' ');
                line += note;
            }
            while (line.back() == ' ') {
                line.pop_back();
            }
            out_ += line + '\n';
        }
    }

    std::span<const std::uint8_t> wire_;
    const Message& message_;
    std::string out_;
};

std::string raw_dump(std::span<const std::uint8_t> wire, const ParseError& error) {
    std::string out;
    for (std::size_t start = 0; start < wire.size(); start += 8) {
        out += hex(start, 4) + ' ';
        for (std::size_t i = start; i < std::min(start + 8, wire.size()); ++i) {
            out += ' ' + hex(wire[i], 2);
        }
        out += '\n';
    }
    return out + ";; not a valid DNS message: " + error.what + " at offset " + std::to_string(error.offset) +
           " (0x" + hex(error.offset, 4) + ")\n";
}

}  // namespace

std::string explain(std::span<const std::uint8_t> wire) {
    const auto parsed = parse_message(wire);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        return raw_dump(wire, *error);
    }
    return Explainer(wire, std::get<Message>(parsed)).run();
}

}  // namespace dns
