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
    auto path = read_path(std::get<std::string_view>(text));
    if (auto* error = std::get_if<PathError>(&path)) {
        return SyntaxError{501, "5.1.7", "Bad sender address syntax: " + error->what};
    }
    return MailFrom{std::get<Path>(path).mailbox};
}

// RFC 5321 4.1.1.3: "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
// [SP Rcpt-parameters]; the parameters pass unread too.
std::variant<RcptTo, SyntaxError> parse_rcpt_to(std::string_view argument) {
    auto text = path_after(argument, "TO:", "RCPT");
    if (auto* error = std::get_if<SyntaxError>(&text)) {
        return *error;
    }
    auto path_text = std::get<std::string_view>(text);

    RcptTo rcpt;
    if (constexpr std::string_view postmaster = "<Postmaster>"; starts_with_ci(path_text, postmaster)) {
        rcpt.recipient = Mailbox{"postmaster", ""};
    } else {
        auto path = read_path(path_text);
        if (auto* error = std::get_if<PathError>(&path)) {
            return SyntaxError{501, "5.1.3", "Bad recipient address syntax: " + error->what};
        }
        if (!std::get<Path>(path).mailbox) {
            return SyntaxError{501, "5.1.3", "Bad recipient address syntax: the null path <> is only for MAIL FROM"};
        }
        rcpt.recipient = *std::get<Path>(path).mailbox;
    }
    return rcpt;
}

}  // namespace smtp
