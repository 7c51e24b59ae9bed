#include "smtp_command.hpp"

#include "shared/ascii.hpp"

#include <array>
#include <utility>

namespace smtp {
namespace {

using mailsteps::equals_ci;
using mailsteps::starts_with_ci;

constexpr std::array<std::pair<std::string_view, Verb>, 11> verbs{{
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
}};

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

// The path's text between '<' and the first '>', as it is: what it says is not checked.
std::variant<std::string_view, SyntaxError> inside_brackets(std::string_view path) {
    auto end = path.find('>');
    if (end == std::string_view::npos) {
        return SyntaxError{501, "5.5.2", "Missing '>' at the end of the path"};
    }
    return path.substr(1, end - 1);
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

// RFC 5321 4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters]. The parameters pass unread:
// no extension this server announces asks it to act on one.
std::variant<MailFrom, SyntaxError> parse_mail_from(std::string_view argument) {
    auto text = path_after(argument, "FROM:", "MAIL");
    if (auto* error = std::get_if<SyntaxError>(&text)) {
        return *error;
    }
    auto path = inside_brackets(std::get<std::string_view>(text));
    if (auto* error = std::get_if<SyntaxError>(&path)) {
        return *error;
    }
    return MailFrom{std::string{std::get<std::string_view>(path)}};
}

// RFC 5321 4.1.1.3: "RCPT TO:" Forward-path [SP Rcpt-parameters]; the parameters pass unread too.
std::variant<RcptTo, SyntaxError> parse_rcpt_to(std::string_view argument) {
    auto text = path_after(argument, "TO:", "RCPT");
    if (auto* error = std::get_if<SyntaxError>(&text)) {
        return *error;
    }
    auto path = inside_brackets(std::get<std::string_view>(text));
    if (auto* error = std::get_if<SyntaxError>(&path)) {
        return *error;
    }
    if (std::get<std::string_view>(path).empty()) {
        return SyntaxError{501, "5.1.3", "Bad recipient address syntax: the null path <> is only for MAIL FROM"};
    }
    return RcptTo{std::string{std::get<std::string_view>(path)}};
}

}  // namespace smtp
