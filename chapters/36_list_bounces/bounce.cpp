#include "bounce.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <random>

namespace relay {
namespace {

using namespace std::chrono;

constexpr std::size_t fold_width = 78;       // RFC 5322 2.1.1: lines SHOULD be no more than 78
constexpr std::size_t max_diagnostic = 900;  // so "Diagnostic-Code: smtp; ..." stays under 998 (2.1.1 MUST)
constexpr std::size_t max_name = 255;        // RFC 1035 2.3.4

// RFC 5322 3.3: "Wed, 25 Nov 2026 19:40:00 +0000", spelled out so no locale can change it.
std::string rfc5322_date(system_clock::time_point time) {
    constexpr std::array<const char*, 7> weekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto second = floor<seconds>(time);
    auto day = floor<days>(second);
    year_month_day date{day};
    hh_mm_ss clock{second - day};
    char text[64];
    std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d +0000", weekdays[weekday{day}.c_encoding()],
                  static_cast<unsigned>(date.day()), months[static_cast<unsigned>(date.month()) - 1],
                  static_cast<int>(date.year()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()), static_cast<int>(clock.seconds().count()));
    return text;
}

// Unique across calls, threads and processes: time, a counter and 64 random bits.
std::string unique_token() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    static std::atomic<unsigned> calls{0};
    auto micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    char text[64];
    std::snprintf(text, sizeof text, "%llX.%X.%016llX", static_cast<unsigned long long>(micros), ++calls,
                  static_cast<unsigned long long>(random()));
    return text;
}

// Words from elsewhere (a remote reply, a DNS name) as one line of printable US-ASCII, which
// is all RFC 3464 2.1.1 fields may hold: control characters and runs of spaces become one
// space, other bytes '?', and the text is cut at `max` octets.
std::string clean(std::string_view text, std::size_t max) {
    std::string line;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= ' ' || byte == 0x7f) {
            if (!line.empty() && line.back() != ' ') {
                line += ' ';
            }
        } else {
            line += byte < 0x80 ? c : '?';
        }
    }
    if (line.ends_with(' ')) {
        line.pop_back();
    }
    if (line.size() > max) {
        line.resize(max - 3);
        line += "...";
    }
    return line;
}

// Breaks clean text at spaces into lines of at most `width` octets where it can; a word
// longer than that gets a line of its own.
std::vector<std::string_view> wrap(std::string_view text, std::size_t width) {
    std::vector<std::string_view> lines;
    while (text.size() > width) {
        auto space = text.rfind(' ', width);
        if (space == std::string_view::npos) {
            space = text.find(' ');
            if (space == std::string_view::npos) {
                break;
            }
        }
        lines.push_back(text.substr(0, space));
        text.remove_prefix(space + 1);
    }
    lines.push_back(text);
    return lines;
}

std::string join(const std::vector<std::string_view>& lines, std::string_view separator) {
    std::string text;
    for (auto line : lines) {
        text += (text.empty() ? "" : std::string{separator}) + std::string{line};
    }
    return text;
}

// RFC 5322 2.2.3: a long field is folded by a line break before a space. Continuation lines
// start with that space, so every piece gets one octet less.
std::string field(std::string_view name, std::string_view value) {
    return join(wrap(std::string{name} + ": " + std::string{value}, fold_width - 1), "\n ") + "\n";
}

// RFC 3463 2: class "." subject "." detail, subject and detail of one to three digits.
bool is_enhanced_code(std::string_view code) {
    if (code.size() < 5 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.') {
        return false;
    }
    auto dot = code.find('.', 2);
    auto digits = [](std::string_view part) {
        return !part.empty() && part.size() <= 3 &&
               std::all_of(part.begin(), part.end(), [](char c) { return mailsteps::is_digit(c); });
    };
    return dot != std::string_view::npos && digits(code.substr(2, dot - 2)) && digits(code.substr(dot + 1));
}

// RFC 3464 2.3.4: the remote server's own code when its 5xx reply has one (RFC 2034), 4.4.7
// "delivery time expired" (RFC 3463 3.5) when we gave up, else 5.0.0 "other".
std::string status_of(const FailedRecipient& recipient) {
    if (recipient.failure == Failure::expired) {
        return "4.4.7";
    }
    std::string_view reply = recipient.diagnostic;
    bool permanent_reply = reply.size() > 4 && reply[0] == '5' && mailsteps::is_digit(reply[1]) &&
                           mailsteps::is_digit(reply[2]) && (reply[3] == ' ' || reply[3] == '-');
    if (permanent_reply) {
        auto code = reply.substr(4, reply.find(' ', 4) - 4);
        if (code.starts_with('5') && is_enhanced_code(code)) {
            return std::string{code};
        }
    }
    return "5.0.0";
}

std::string human_part(const BounceInput& input, const std::string& hostname) {
    std::string text = "This is the mail server at " + hostname + ".\n\n";
    text += "Your message could not be delivered to the recipients below.\n";
    text += "Its header is attached; the text of the message is not.\n";
    for (const auto& recipient : input.recipients) {
        auto host = clean(recipient.remote_host, max_name);
        text += "\n<" + smtp::to_string(recipient.address) + ">: ";
        if (recipient.failure == Failure::expired) {
            text += "still failing when the time allowed ran out";
            text += host.empty() ? ":\n" : "; " + host + " said:\n";
        } else {
            text += host.empty() ? "could not be delivered:\n" : "the server " + host + " refused it:\n";
        }
        auto diagnostic = clean(recipient.diagnostic, max_diagnostic);
        text += "    " + join(wrap(diagnostic.empty() ? "(no reason given)" : diagnostic, fold_width - 4), "\n    ");
        text += "\n";
    }
    return text;
}

// RFC 3464 2.1: per-message fields, then a group of per-recipient fields for each recipient.
std::string delivery_status(const BounceInput& input, const std::string& hostname) {
    std::string text = "Reporting-MTA: dns; " + hostname + "\n";   // 2.2.2
    text += "Arrival-Date: " + rfc5322_date(input.arrival) + "\n";  // 2.2.5
    for (const auto& recipient : input.recipients) {
        auto host = clean(recipient.remote_host, max_name);
        auto diagnostic = clean(recipient.diagnostic, max_diagnostic);
        text += "\nFinal-Recipient: rfc822; " + smtp::to_string(recipient.address) + "\n";  // 2.3.2
        text += "Action: failed\n";                                                       // 2.3.3
        text += "Status: " + status_of(recipient) + "\n";                                 // 2.3.4
        if (!host.empty()) {
            text += "Remote-MTA: dns; " + host + "\n";  // 2.3.5
        }
        // 2.3.6: "smtp" for a server's reply; our own words get a private X- type.
        if (!diagnostic.empty()) {
            text += field("Diagnostic-Code", (host.empty() ? "X-mailsteps; " : "smtp; ") + diagnostic);
        }
    }
    return text;
}

// RFC 6522 4: text/rfc822-headers is the original's header section, up to its first empty
// line. Queued text has LF line ends and short lines; should a message come from anywhere
// else, a CR still never gets through and a line is cut at RFC 5322 2.1.1's 998 octets.
std::string original_header(std::string_view message) {
    std::string header;
    while (!message.empty()) {
        auto end = message.find('\n');
        auto line = message.substr(0, end);
        message.remove_prefix(end == std::string_view::npos ? message.size() : end + 1);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            break;
        }
        std::string kept{line.substr(0, 998)};
        std::replace(kept.begin(), kept.end(), '\r', ' ');
        header += kept + "\n";
    }
    return header;
}

}  // namespace

std::string make_bounce(const BounceInput& input) {
    auto hostname = clean(input.hostname, max_name);
    auto human = human_part(input, hostname);
    auto report = delivery_status(input, hostname);
    auto header = original_header(input.original);
    // RFC 2046 5.1.1: the boundary must not occur in any part.
    std::string boundary;
    do {
        boundary = "=_" + unique_token();
    } while (human.find(boundary) != std::string::npos || report.find(boundary) != std::string::npos ||
             header.find(boundary) != std::string::npos);
    // RFC 6532 lets header fields hold UTF-8; RFC 2045 6.2 says to label such a part 8bit.
    bool eight_bit =
        std::any_of(header.begin(), header.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    std::string encoding = eight_bit ? "Content-Transfer-Encoding: 8bit\n" : "";

    std::string mail = "From: Mail Delivery System <MAILER-DAEMON@" + hostname + ">\n";
    mail += "To: <" + smtp::to_string(input.sender) + ">\n";
    mail += "Subject: Undelivered Mail Returned to Sender\n";
    mail += "Date: " + rfc5322_date(system_clock::now()) + "\n";
    mail += "Message-ID: <" + unique_token() + "@" + hostname + ">\n";
    mail += "Auto-Submitted: auto-replied\n";  // RFC 3834 5: no vacation replies to this
    mail += "MIME-Version: 1.0\n";
    // RFC 6522 3: multipart/report with report-type delivery-status (RFC 3464 2)
    mail += "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"" + boundary + "\"\n";
    mail += encoding;
    mail += "\nThis is a delivery status notification in MIME format.\n";
    mail += "\n--" + boundary + "\nContent-Type: text/plain; charset=us-ascii\n\n" + human;
    mail += "\n--" + boundary + "\nContent-Type: message/delivery-status\n\n" + report;
    mail += "\n--" + boundary + "\nContent-Type: text/rfc822-headers\n" + encoding + "\n" + header;
    mail += "\n--" + boundary + "--\n";
    return mail;
}

}  // namespace relay
