#include "smtp_address.hpp"

#include "shared/ascii.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace smtp {
namespace {

// RFC 5321 4.5.3.1: size limits
constexpr std::size_t max_local_part = 64;  // 4.5.3.1.1
constexpr std::size_t max_domain = 255;     // 4.5.3.1.2
constexpr std::size_t max_path = 256;       // 4.5.3.1.3, "including the punctuation"
constexpr std::size_t max_label = 63;       // RFC 1035 2.3.4

using mailsteps::is_alpha;
using mailsteps::is_digit;
using mailsteps::starts_with_ci;
using mailsteps::to_lower;

bool is_let_dig(char c) { return is_alpha(c) || is_digit(c); }

// RFC 5321 4.1.2 takes Atom from RFC 5322 3.2.3: atext
bool is_atext(char c) {
    return is_let_dig(c) || std::string_view{"!#$%&'*+-/=?^_`{|}~"}.find(c) != std::string_view::npos;
}

// RFC 5321 4.1.2: qtextSMTP = %d32-33 / %d35-91 / %d93-126
bool is_qtext(char c) { return c >= 32 && c <= 126 && c != '"' && c != '\\'; }

// RFC 5321 4.1.3: dcontent = %d33-90 / %d94-126
bool is_dcontent(char c) { return c >= 33 && c <= 126 && c != '[' && c != '\\' && c != ']'; }

// Names a byte for an error message. Replies must never carry the client's control
// characters back (a CR or LF would split the reply), so those are written in hex.
std::string describe(char c) {
    switch (c) {
    case ' ': return "space";
    case '\0': return "NUL";
    case '\r': return "CR";
    case '\n': return "LF";
    case '\t': return "TAB";
    default: break;
    }
    if (c > ' ' && c < 127) {
        return std::string{'\''} + c + '\'';
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "byte 0x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
    return hex;
}

// Dot-atoms and domains share one shape: parts separated by single dots.
std::optional<PathError> check_dots(std::string_view text, const std::string& what) {
    if (text.starts_with('.')) {
        return PathError{what + " starts with '.'"};
    }
    if (text.ends_with('.')) {
        return PathError{what + " ends with '.'"};
    }
    if (text.find("..") != std::string_view::npos) {
        return PathError{what + " contains '..'"};
    }
    return std::nullopt;
}

std::optional<PathError> check_length(std::string_view text, std::size_t limit, const std::string& what) {
    if (text.size() > limit) {
        return PathError{what + " is " + std::to_string(text.size()) + " octets long, more than the limit of " +
                         std::to_string(limit)};
    }
    return std::nullopt;
}

// RFC 5321 4.1.2: sub-domain = Let-dig [Ldh-str], Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
std::optional<PathError> check_domain(std::string_view domain) {
    if (auto problem = check_length(domain, max_domain, "the domain")) {
        return problem;
    }
    if (auto problem = check_dots(domain, "the domain")) {
        return problem;
    }
    while (!domain.empty()) {
        auto dot = domain.find('.');
        auto label = domain.substr(0, dot);
        if (auto problem = check_length(label, max_label, "a domain label")) {
            return problem;
        }
        if (label.starts_with('-') || label.ends_with('-')) {
            return PathError{"a domain label starts or ends with '-'"};
        }
        domain = dot == std::string_view::npos ? std::string_view{} : domain.substr(dot + 1);
    }
    return std::nullopt;
}

// RFC 5321 4.1.3: IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT, 0 through 255
bool is_ipv4(std::string_view text) {
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (!text.starts_with('.')) {
                return false;
            }
            text.remove_prefix(1);
        }
        std::size_t digits = 0;
        int value = 0;
        while (digits < text.size() && is_digit(text[digits])) {
            value = value * 10 + (text[digits] - '0');
            if (++digits > 3) {
                return false;
            }
        }
        if (digits == 0 || value > 255) {
            return false;
        }
        text.remove_prefix(digits);
    }
    return text.empty();
}

// RFC 5321 4.1.3: IPv6-addr in its full, compressed and IPv4-embedded forms. The C
// library's parser knows all of them; we only make sure it sees nothing but their characters.
bool is_ipv6(std::string_view text) {
    constexpr std::size_t longest = 45;  // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
    if (text.empty() || text.size() > longest) {
        return false;
    }
    for (char c : text) {
        bool hex = is_digit(c) || (to_lower(c) >= 'a' && to_lower(c) <= 'f');
        if (!hex && c != ':' && c != '.') {
            return false;
        }
    }
    in6_addr address{};
    return inet_pton(AF_INET6, std::string{text}.c_str(), &address) == 1;
}

template <typename T>
using Result = std::variant<T, PathError>;

// A recursive-descent reader for RFC 5321 4.1.2 Path, one grammar rule per member function.
class PathReader {
public:
    explicit PathReader(std::string_view text) : text_{text} {}

    std::variant<Path, PathError> read() {
        if (!consume('<')) {
            return PathError{"the path must start with '<'"};
        }
        if (consume('>')) {
            return finish(std::nullopt);  // Reverse-path = Path / "<>"
        }
        if (at_end()) {
            return PathError{"missing '>' at the end of the path"};
        }
        if (peek() == '@') {
            if (auto problem = skip_source_route()) {
                return *problem;
            }
        }
        auto local_part = peek() == '"' ? read_quoted_string() : read_dot_string();
        if (auto* problem = std::get_if<PathError>(&local_part)) {
            return *problem;
        }
        if (!consume('@')) {
            if (at_end()) {
                return PathError{"missing '>' at the end of the path"};
            }
            if (peek() == '>') {
                return PathError{"missing '@' and domain after the local part"};
            }
            return unexpected("the local part");
        }
        auto domain = peek() == '[' ? read_address_literal() : read_domain();
        if (auto* problem = std::get_if<PathError>(&domain)) {
            return *problem;
        }
        if (!consume('>')) {
            if (at_end()) {
                return PathError{"missing '>' at the end of the path"};
            }
            return unexpected("the domain");
        }
        return finish(Mailbox{std::get<std::string>(std::move(local_part)), std::get<std::string>(std::move(domain))});
    }

private:
    bool at_end() const { return pos_ == text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }

    bool consume(char expected) {
        if (at_end() || text_[pos_] != expected) {
            return false;
        }
        ++pos_;
        return true;
    }

    PathError unexpected(const std::string& where) const {
        if (at_end()) {
            return PathError{"the path ends inside " + where};
        }
        return PathError{"unexpected " + describe(text_[pos_]) + " in " + where};
    }

    std::variant<Path, PathError> finish(std::optional<Mailbox> mailbox) const {
        auto path = text_.substr(0, pos_);
        if (auto problem = check_length(path, max_path, "the path")) {
            return *problem;
        }
        return Path{std::move(mailbox), text_.substr(pos_)};
    }

    // RFC 5321 4.1.2: A-d-l = At-domain *( "," At-domain ) then ":". 4.1.1.3 and Appendix F.2: servers
    // accept a source route and ignore it.
    std::optional<PathError> skip_source_route() {
        do {
            if (!consume('@')) {
                return unexpected("the source route");
            }
            auto domain = read_domain();
            if (auto* problem = std::get_if<PathError>(&domain)) {
                return *problem;
            }
        } while (consume(','));
        if (!consume(':')) {
            return unexpected("the source route");
        }
        return std::nullopt;
    }

    // RFC 5321 4.1.2: Dot-string = Atom *("." Atom)
    Result<std::string> read_dot_string() {
        auto start = pos_;
        while (!at_end() && (is_atext(peek()) || peek() == '.')) {
            ++pos_;
        }
        auto local_part = text_.substr(start, pos_ - start);
        if (local_part.empty()) {
            return unexpected("the local part");
        }
        if (auto problem = check_length(local_part, max_local_part, "the local part")) {
            return *problem;
        }
        if (auto problem = check_dots(local_part, "the local part")) {
            return *problem;
        }
        return std::string{local_part};
    }

    // RFC 5321 4.1.2: Quoted-string = DQUOTE *QcontentSMTP DQUOTE,
    // quoted-pairSMTP = %d92 %d32-126. The result is the content with the quoting removed.
    Result<std::string> read_quoted_string() {
        auto start = pos_;
        consume('"');
        std::string content;
        while (!consume('"')) {
            if (at_end()) {
                return PathError{"the quoted local part has no closing '\"'"};
            }
            if (consume('\\')) {
                if (at_end() || peek() < 32 || peek() > 126) {
                    return unexpected("the quoted local part after '\\'");
                }
            } else if (!is_qtext(peek())) {
                return unexpected("the quoted local part");
            }
            content += text_[pos_++];
        }
        if (auto problem = check_length(text_.substr(start, pos_ - start), max_local_part, "the local part")) {
            return *problem;
        }
        return content;
    }

    // RFC 5321 4.1.2: Domain = sub-domain *("." sub-domain)
    Result<std::string> read_domain() {
        auto start = pos_;
        while (!at_end() && (is_let_dig(peek()) || peek() == '-' || peek() == '.')) {
            ++pos_;
        }
        auto domain = text_.substr(start, pos_ - start);
        if (domain.empty()) {
            return (at_end() || peek() == '>') ? PathError{"missing domain after '@'"} : unexpected("the domain");
        }
        if (auto problem = check_domain(domain)) {
            return *problem;
        }
        return std::string{domain};
    }

    // RFC 5321 4.1.3: address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
    // General-address-literal ) "]". No general tag is registered besides IPv6, so we take none.
    Result<std::string> read_address_literal() {
        auto start = pos_;
        consume('[');
        while (!at_end() && is_dcontent(peek())) {
            ++pos_;
        }
        if (!consume(']')) {
            return at_end() ? PathError{"missing ']' after the address literal"} : unexpected("the address literal");
        }
        auto literal = text_.substr(start, pos_ - start);
        if (auto problem = check_length(literal, max_domain, "the address literal")) {
            return *problem;
        }
        auto inside = literal.substr(1, literal.size() - 2);
        if (starts_with_ci(inside, "IPv6:")) {
            if (!is_ipv6(inside.substr(5))) {
                return PathError{"invalid IPv6 address literal"};
            }
        } else if (inside.find(':') != std::string_view::npos) {
            return PathError{"unsupported address literal tag (only IPv6: is known)"};
        } else if (!is_ipv4(inside)) {
            return PathError{"invalid IPv4 address literal"};
        }
        return std::string{literal};
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// The local part can go on the wire unquoted if it is a Dot-string.
bool is_dot_string(std::string_view text) {
    if (text.empty() || check_dots(text, "")) {
        return false;
    }
    for (char c : text) {
        if (!is_atext(c) && c != '.') {
            return false;
        }
    }
    return true;
}

}  // namespace

std::variant<Path, PathError> read_path(std::string_view text) {
    return PathReader{text}.read();
}

std::string to_string(const Mailbox& mailbox) {
    std::string text;
    if (is_dot_string(mailbox.local_part)) {
        text = mailbox.local_part;
    } else {
        text += '"';
        for (char c : mailbox.local_part) {
            if (c == '"' || c == '\\') {
                text += '\\';
            }
            text += c;
        }
        text += '"';
    }
    if (!mailbox.domain.empty()) {
        text += '@';
        text += mailbox.domain;
    }
    return text;
}

}  // namespace smtp
