#include "smtp_command.hpp"

#include "shared/ascii.hpp"

#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace smtp {
namespace {

using mailsteps::equals_ci;
using mailsteps::starts_with_ci;

constexpr std::array<std::pair<std::string_view, Verb>, 13> verbs{{
    {"HELO", Verb::helo},
    {"EHLO", Verb::ehlo},
    {"MAIL", Verb::mail},
    {"RCPT", Verb::rcpt},
    {"DATA", Verb::data},
    {"RSET", Verb::rset},
    {"NOOP", Verb::noop},
    {"QUIT", Verb::quit},
    {"VRFY", Verb::vrfy},
    {"EXPN", Verb::expn},
    {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls}, // RFC 3207
    {"AUTH", Verb::auth},         // RFC 4954
}};

// RFC 5321 4.1.2: esmtp-param = esmtp-keyword ["=" esmtp-value]
struct Parameter {
    std::string_view keyword;
    std::optional<std::string_view> value;
};

SyntaxError invalid_argument(std::string text) { return {501, "5.5.4", std::move(text)}; }

// RFC 5321 4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view text) {
    auto is_let_dig = [](char c) { return mailsteps::is_alpha(c) || mailsteps::is_digit(c); };
    if (text.empty() || !is_let_dig(text.front())) {
        return false;
    }
    for (char c : text) {
        if (!is_let_dig(c) && c != '-') {
            return false;
        }
    }
    return true;
}

// RFC 5321 4.1.2: esmtp-value = 1*(%d33-60 / %d62-126)
bool is_value(std::string_view text) {
    if (text.empty()) {
        return false;
    }
    for (char c : text) {
        if (c < 33 || c > 126 || c == '=') {
            return false;
        }
    }
    return true;
}

// RFC 5321 4.1.2: Mail-parameters = esmtp-param *(SP esmtp-param). The text is what follows
// the path. Like Postfix we let runs of spaces and trailing spaces pass.
std::variant<std::vector<Parameter>, SyntaxError> read_parameters(std::string_view text) {
    std::vector<Parameter> parameters;
    if (!text.empty() && text.front() != ' ') {
        return SyntaxError{501, "5.5.2", "Unexpected text right after '>'"};
    }
    while (true) {
        auto start = text.find_first_not_of(' ');
        if (start == std::string_view::npos) {
            return parameters;
        }
        text.remove_prefix(start);
        auto token = text.substr(0, text.find(' '));
        text.remove_prefix(token.size());

        auto equals = token.find('=');
        Parameter parameter{token.substr(0, equals), std::nullopt};
        if (!is_keyword(parameter.keyword)) {
            return invalid_argument("Malformed parameter: a keyword is letters, digits and '-'");
        }
        if (equals != std::string_view::npos) {
            parameter.value = token.substr(equals + 1);
            if (!is_value(*parameter.value)) {
                return invalid_argument("Malformed value for parameter " + std::string{parameter.keyword});
            }
        }
        parameters.push_back(parameter);
    }
}

// RFC 1870 3: size-value = 1*20DIGIT
std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t size = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), size);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return size;
}

// RFC 6152 2: body-value = "7BIT" / "8BITMIME"
std::optional<Body> parse_body(std::string_view text) {
    if (equals_ci(text, "7BIT")) {
        return Body::seven_bit;
    }
    if (equals_ci(text, "8BITMIME")) {
        return Body::eight_bit_mime;
    }
    return std::nullopt;
}

// Strips "FROM:" or "TO:" and checks that a path in angle brackets follows. Like Postfix we
// accept one space after the colon, which some clients send.
std::variant<std::string_view, SyntaxError> path_after(std::string_view argument, std::string_view keyword,
                                                       std::string_view command) {
    auto syntax = std::string{" the syntax is "} + std::string{command} + " " + std::string{keyword} + "<address>";
    if (!starts_with_ci(argument, keyword)) {
        return SyntaxError{501, "5.5.2", "Missing \"" + std::string{keyword} + "\":" + syntax};
    }
    argument.remove_prefix(keyword.size());
    if (argument.starts_with(' ')) {
        argument.remove_prefix(1);
    }
    if (!argument.starts_with('<')) {
        return SyntaxError{501, "5.5.2", "Missing '<':" + syntax};
    }
    return argument;
}

}  // namespace

Command parse_command(std::string_view line) {
    auto space = line.find(' ');
    auto word = line.substr(0, space);
    Command command{Verb::unknown, space == std::string_view::npos ? "" : std::string{line.substr(space + 1)}};
    for (auto [name, verb] : verbs) {
        if (equals_ci(word, name)) {
            command.verb = verb;
        }
    }
    return command;
}

// RFC 5321 4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters]
std::variant<MailFrom, SyntaxError> parse_mail_from(std::string_view argument) {
    auto text = path_after(argument, "FROM:", "MAIL");
    if (auto* error = std::get_if<SyntaxError>(&text)) {
        return *error;
    }
    auto path = read_path(std::get<std::string_view>(text));
    if (auto* error = std::get_if<PathError>(&path)) {
        return SyntaxError{501, "5.1.7", "Bad sender address syntax: " + error->what};
    }
    MailFrom mail{std::get<Path>(path).mailbox, std::nullopt, Body::seven_bit};

    auto parameters = read_parameters(std::get<Path>(path).rest);
    if (auto* error = std::get_if<SyntaxError>(&parameters)) {
        return *error;
    }
    bool seen_body = false;
    for (const auto& [keyword, value] : std::get<std::vector<Parameter>>(parameters)) {
        if (equals_ci(keyword, "SIZE")) {
            if (mail.size) {
                return invalid_argument("Duplicate parameter SIZE");
            }
            mail.size = value ? parse_size(*value) : std::nullopt;
            if (!mail.size) {
                return invalid_argument("Bad SIZE value: expected SIZE=<octets>, a number below 2^64");
            }
        } else if (equals_ci(keyword, "BODY")) {
            if (std::exchange(seen_body, true)) {
                return invalid_argument("Duplicate parameter BODY");
            }
            auto body = value ? parse_body(*value) : std::nullopt;
            if (!body) {
                return invalid_argument("Bad BODY value: expected BODY=7BIT or BODY=8BITMIME");
            }
            mail.body = *body;
        } else if (equals_ci(keyword, "AUTH") && value) {
            // RFC 4954 5: who first submitted the message, by the client's word. A server that
            // offers AUTH must accept it; we only trust the login we checked ourselves.
        } else {
            // RFC 5321 4.1.1.11: a parameter the server does not know gets 555
            return SyntaxError{555, "5.5.4", "Unsupported MAIL parameter " + std::string{keyword}};
        }
    }
    return mail;
}

// RFC 5321 4.1.1.3: "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
// [SP Rcpt-parameters]
std::variant<RcptTo, SyntaxError> parse_rcpt_to(std::string_view argument) {
    auto text = path_after(argument, "TO:", "RCPT");
    if (auto* error = std::get_if<SyntaxError>(&text)) {
        return *error;
    }
    auto path_text = std::get<std::string_view>(text);

    RcptTo rcpt;
    std::string_view rest;
    if (constexpr std::string_view postmaster = "<Postmaster>"; starts_with_ci(path_text, postmaster)) {
        rcpt.recipient = Mailbox{"postmaster", ""};
        rest = path_text.substr(postmaster.size());
    } else {
        auto path = read_path(path_text);
        if (auto* error = std::get_if<PathError>(&path)) {
            return SyntaxError{501, "5.1.3", "Bad recipient address syntax: " + error->what};
        }
        if (!std::get<Path>(path).mailbox) {
            return SyntaxError{501, "5.1.3", "Bad recipient address syntax: the null path <> is only for MAIL FROM"};
        }
        rcpt.recipient = *std::get<Path>(path).mailbox;
        rest = std::get<Path>(path).rest;
    }

    auto parameters = read_parameters(rest);
    if (auto* error = std::get_if<SyntaxError>(&parameters)) {
        return *error;
    }
    // We announce no extension that adds RCPT parameters (such as DSN's NOTIFY).
    if (const auto& list = std::get<std::vector<Parameter>>(parameters); !list.empty()) {
        return SyntaxError{555, "5.5.4", "Unsupported RCPT parameter " + std::string{list.front().keyword}};
    }
    return rcpt;
}

}  // namespace smtp
