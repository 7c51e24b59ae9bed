#include "bounce.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace relay {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// A tiny MIME reader, just enough to take a bounce apart again.

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string_view::npos; start = end + 1) {
        lines.emplace_back(text.substr(start, end - start));
    }
    lines.emplace_back(text.substr(start));
    return lines;
}

std::string lowercase(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

// RFC 5322 2.2: "Name: value" fields; a line starting with white space continues the last one
// (2.2.3 unfolding removes only the line break). Names are lowercased.
using Fields = std::multimap<std::string, std::string>;

Fields parse_fields(std::string_view text) {
    Fields fields;
    std::string* last = nullptr;
    for (const auto& line : lines_of(text)) {
        if (line.empty()) {
            continue;
        }
        if ((line[0] == ' ' || line[0] == '\t') && last) {
            *last += line;
            continue;
        }
        auto colon = line.find(':');
        EXPECT_NE(colon, std::string::npos) << line;
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        last = &fields.emplace(lowercase(line.substr(0, colon)), value)->second;
    }
    return fields;
}

std::string only(const Fields& fields, const std::string& name) {
    EXPECT_EQ(fields.count(name), 1u) << name;
    auto found = fields.find(name);
    return found == fields.end() ? "" : found->second;
}

struct Entity {
    Fields fields;
    std::string body;
};

// A header, an empty line, a body.
Entity parse_entity(std::string_view text) {
    auto end = text.starts_with('\n') ? 0 : text.find("\n\n");
    EXPECT_NE(end, std::string_view::npos);
    if (end == 0) {
        return {{}, std::string{text.substr(1)}};
    }
    return {parse_fields(text.substr(0, end + 1)), std::string{text.substr(end + 2)}};
}

std::string boundary_of(const std::string& content_type) {
    constexpr std::string_view key = "boundary=\"";
    auto start = content_type.find(key);
    auto end = start == std::string::npos ? start : content_type.find('"', start + key.size());
    EXPECT_NE(end, std::string::npos) << content_type;
    return end == std::string::npos ? "" : content_type.substr(start + key.size(), end - start - key.size());
}

// `shape` spells the text: 'A' an upper-case letter, 'a' a lower-case one, 'd' a digit; any
// other character stands for itself.
bool has_shape(std::string_view text, std::string_view shape) {
    if (text.size() != shape.size()) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool fits = shape[i] == 'A' ? (c >= 'A' && c <= 'Z')
                  : shape[i] == 'a' ? (c >= 'a' && c <= 'z')
                  : shape[i] == 'd' ? (c >= '0' && c <= '9')
                                    : c == shape[i];
        if (!fits) {
            return false;
        }
    }
    return true;
}

// RFC 2046 5.1.1: parts sit between "--boundary" lines, the last one closed by
// "--boundary--"; the line break before a delimiter belongs to the delimiter.
std::vector<Entity> split_multipart(const std::string& body, const std::string& boundary) {
    std::vector<Entity> parts;
    std::vector<std::string> current;
    bool in_part = false, closed = false;
    for (const auto& line : lines_of(body)) {
        if (line == "--" + boundary || line == "--" + boundary + "--") {
            if (in_part) {
                std::string text;
                for (std::size_t i = 0; i < current.size(); ++i) {
                    text += (i ? "\n" : "") + current[i];
                }
                parts.push_back(parse_entity(text));
            }
            current.clear();
            in_part = true;
            if (line.ends_with("--")) {
                closed = true;
                break;
            }
        } else if (in_part) {
            current.push_back(line);
        }
    }
    EXPECT_TRUE(closed) << "no closing delimiter";
    return parts;
}

// RFC 3464 2.1: the per-message group, then one group per recipient, separated by empty lines.
std::vector<Fields> groups_of(const std::string& delivery_status) {
    std::vector<Fields> groups;
    std::string group;
    for (const auto& line : lines_of(delivery_status)) {
        if (line.empty()) {
            if (!group.empty()) {
                groups.push_back(parse_fields(group));
            }
            group.clear();
        } else {
            group += line + "\n";
        }
    }
    if (!group.empty()) {
        groups.push_back(parse_fields(group));
    }
    return groups;
}

struct Bounce {
    Entity mail;
    std::vector<Entity> parts;
};

Bounce take_apart(const std::string& text) {
    Bounce bounce{parse_entity(text), {}};
    auto boundary = boundary_of(only(bounce.mail.fields, "content-type"));
    bounce.parts = split_multipart(bounce.mail.body, boundary);
    return bounce;
}

const std::string original_header =
    "Return-Path: <alice@example.org>\n"
    "Received: from client.example.org (client.example.org [192.0.2.1])\n"
    "\tby mx.example.org (mailsteps) with ESMTP id 42\n"
    "From: Alice <alice@example.org>\n"
    "Subject: the quarterly report\n";
const std::string original = original_header + "\nThe body, which must not come back: 7c1e9f.\n";

BounceInput sample_input() {
    return BounceInput{
        .sender = {"alice", "example.org"},
        .hostname = "mx.example.org",
        .arrival = sys_days{2026y / November / 25} + 19h + 40min,
        .recipients = {{{"bob", "example.net"}, Failure::rejected, "mx.example.net",
                        "550 5.1.1 <bob@example.net>: No such user"},
                       {{"carol", "nowhere.example"}, Failure::rejected, "", "Host or domain name not found"},
                       {{"dan", "slow.example"}, Failure::expired, "mx.slow.example", "451 4.7.1 Try again later"}},
        .original = original,
    };
}

TEST(Bounce, IsAMultipartReportFromTheMailerDaemon) {
    auto bounce = take_apart(make_bounce(sample_input()));
    const auto& fields = bounce.mail.fields;
    EXPECT_EQ(only(fields, "from"), "Mail Delivery System <MAILER-DAEMON@mx.example.org>");
    EXPECT_EQ(only(fields, "to"), "<alice@example.org>");
    EXPECT_FALSE(only(fields, "subject").empty());
    EXPECT_TRUE(has_shape(only(fields, "date"), "Aaa, dd Aaa dddd dd:dd:dd +0000")) << only(fields, "date");
    auto id = only(fields, "message-id");
    constexpr std::string_view id_end = "@mx.example.org>";
    EXPECT_TRUE(id.starts_with('<') && id.ends_with(id_end) && id.size() > 1 + id_end.size()) << id;
    EXPECT_TRUE(std::all_of(id.begin() + 1, id.end() - id_end.size(),
                            [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; }))
        << id;
    EXPECT_EQ(only(fields, "auto-submitted"), "auto-replied");
    EXPECT_EQ(only(fields, "mime-version"), "1.0");
    auto content_type = only(fields, "content-type");
    EXPECT_TRUE(content_type.starts_with("multipart/report;")) << content_type;
    EXPECT_NE(content_type.find("report-type=delivery-status"), std::string::npos) << content_type;

    ASSERT_EQ(bounce.parts.size(), 3u);
    EXPECT_EQ(only(bounce.parts[0].fields, "content-type"), "text/plain; charset=us-ascii");
    EXPECT_EQ(only(bounce.parts[1].fields, "content-type"), "message/delivery-status");
    EXPECT_EQ(only(bounce.parts[2].fields, "content-type"), "text/rfc822-headers");
}

TEST(Bounce, ReportsEachRecipientForPrograms) {
    auto bounce = take_apart(make_bounce(sample_input()));
    ASSERT_EQ(bounce.parts.size(), 3u);
    auto groups = groups_of(bounce.parts[1].body);
    ASSERT_EQ(groups.size(), 4u);
    EXPECT_EQ(only(groups[0], "reporting-mta"), "dns; mx.example.org");
    EXPECT_EQ(only(groups[0], "arrival-date"), "Wed, 25 Nov 2026 19:40:00 +0000");

    EXPECT_EQ(only(groups[1], "final-recipient"), "rfc822; bob@example.net");
    EXPECT_EQ(only(groups[1], "action"), "failed");
    EXPECT_EQ(only(groups[1], "status"), "5.1.1");
    EXPECT_EQ(only(groups[1], "remote-mta"), "dns; mx.example.net");
    EXPECT_EQ(only(groups[1], "diagnostic-code"), "smtp; 550 5.1.1 <bob@example.net>: No such user");

    EXPECT_EQ(only(groups[2], "final-recipient"), "rfc822; carol@nowhere.example");
    EXPECT_EQ(only(groups[2], "status"), "5.0.0");
    EXPECT_EQ(groups[2].count("remote-mta"), 0u);
    EXPECT_EQ(only(groups[2], "diagnostic-code"), "X-mailsteps; Host or domain name not found");

    EXPECT_EQ(only(groups[3], "final-recipient"), "rfc822; dan@slow.example");
    EXPECT_EQ(only(groups[3], "action"), "failed");
    EXPECT_EQ(only(groups[3], "status"), "4.4.7");
    EXPECT_EQ(only(groups[3], "diagnostic-code"), "smtp; 451 4.7.1 Try again later");
}

TEST(Bounce, TakesTheStatusFromAPermanentReplyOnly) {
    const std::vector<std::tuple<Failure, std::string, std::string>> rows{
        {Failure::rejected, "550 5.1.1 No such user", "5.1.1"},
        {Failure::rejected, "554-5.7.1 first line of a multi-line reply", "5.7.1"},
        {Failure::rejected, "552 5.3.4", "5.3.4"},
        {Failure::rejected, "550 5.123.456 wide but valid", "5.123.456"},
        {Failure::rejected, "550 No such user", "5.0.0"},
        {Failure::rejected, "550 4.1.1 a temporary code in a permanent reply", "5.0.0"},
        {Failure::rejected, "550 5.1 too short", "5.0.0"},
        {Failure::rejected, "550 5.1.1234 too long", "5.0.0"},
        {Failure::rejected, "550 5.a.1 not digits", "5.0.0"},
        {Failure::rejected, "450 4.2.0 temporary", "5.0.0"},
        {Failure::rejected, "", "5.0.0"},
        {Failure::expired, "550 5.1.1 expired wins", "4.4.7"},
        {Failure::expired, "", "4.4.7"},
    };
    for (const auto& [failure, reply, status] : rows) {
        auto input = sample_input();
        input.recipients = {{{"bob", "example.net"}, failure, "mx.example.net", reply}};
        auto bounce = take_apart(make_bounce(input));
        ASSERT_EQ(bounce.parts.size(), 3u);
        auto groups = groups_of(bounce.parts[1].body);
        ASSERT_EQ(groups.size(), 2u);
        EXPECT_EQ(only(groups[1], "status"), status) << reply;
    }
}

TEST(Bounce, TellsPeopleWhatWentWrong) {
    auto bounce = take_apart(make_bounce(sample_input()));
    ASSERT_EQ(bounce.parts.size(), 3u);
    const auto& text = bounce.parts[0].body;
    for (auto expected : {"<bob@example.net>", "mx.example.net", "550 5.1.1 <bob@example.net>: No such user",
                          "<carol@nowhere.example>", "Host or domain name not found", "<dan@slow.example>",
                          "451 4.7.1 Try again later"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
    }
}

TEST(Bounce, ReturnsTheOriginalHeaderOnly) {
    auto text = make_bounce(sample_input());
    auto bounce = take_apart(text);
    ASSERT_EQ(bounce.parts.size(), 3u);
    EXPECT_EQ(bounce.parts[2].body, original_header);
    EXPECT_EQ(text.find("7c1e9f"), std::string::npos);
    EXPECT_EQ(bounce.parts[2].fields.count("content-transfer-encoding"), 0u);
}

TEST(Bounce, ReturnsAWholeMessageWithoutBodyAsItsHeader) {
    auto input = sample_input();
    input.original = "Subject: only a header\n";
    auto bounce = take_apart(make_bounce(input));
    ASSERT_EQ(bounce.parts.size(), 3u);
    EXPECT_EQ(bounce.parts[2].body, "Subject: only a header\n");
}

TEST(Bounce, LabelsAnEightBitHeader) {
    auto input = sample_input();
    std::string header = "Subject: r\xC3\xA9sum\xC3\xA9\n";
    std::string message = header + "\nbody\n";
    input.original = message;
    auto bounce = take_apart(make_bounce(input));
    ASSERT_EQ(bounce.parts.size(), 3u);
    EXPECT_EQ(bounce.parts[2].body, header);
    EXPECT_EQ(only(bounce.parts[2].fields, "content-transfer-encoding"), "8bit");
    EXPECT_EQ(only(bounce.mail.fields, "content-transfer-encoding"), "8bit");
}

// A remote server chooses its reply; it must not be able to add fields, parts or long lines.
TEST(Bounce, KeepsEveryLineShortAndFreeOfCarriageReturns) {
    std::string words;
    while (words.size() < 5000) {
        words += "word" + std::to_string(words.size()) + " ";
    }
    const std::vector<std::string> diagnostics{
        "550 5.7.1 " + words,
        "550 5.7.1 " + std::string(5000, 'x'),
        "550 5.7.1 injected\r\nX-Injected: yes\r\n\r\n--fake-boundary--\r\n",
        std::string(3000, ' ') + "\t\r\n",
    };
    for (const auto& diagnostic : diagnostics) {
        auto input = sample_input();
        input.hostname = std::string(300, 'h');
        input.recipients[0].diagnostic = diagnostic;
        input.recipients[0].remote_host = std::string(2000, 'r') + "\r\nX-Host: injected";
        std::string message = "Subject: " + std::string(3000, 's') + "\r\nX-Old: crlf\r\n\r\nbody\n";
        input.original = message;
        auto text = make_bounce(input);
        EXPECT_EQ(text.find('\r'), std::string::npos);
        for (const auto& line : lines_of(text)) {
            EXPECT_LE(line.size(), 998u) << line.substr(0, 60);
            EXPECT_FALSE(line.starts_with("X-Injected") || line.starts_with("X-Host")) << line;
        }
        auto bounce = take_apart(text);
        ASSERT_EQ(bounce.parts.size(), 3u);
        auto groups = groups_of(bounce.parts[1].body);
        ASSERT_EQ(groups.size(), 4u);
        const std::set<std::string> recipient_fields{"final-recipient", "action", "status", "remote-mta",
                                                     "diagnostic-code"};
        for (const auto& [name, value] : groups[1]) {
            EXPECT_EQ(recipient_fields.count(name), 1u) << name;  // nothing added
        }
        EXPECT_TRUE(only(groups[1], "remote-mta").starts_with("dns; rrrr")) << only(groups[1], "remote-mta");
    }
}

// Folding a long reply breaks lines but loses no word.
TEST(Bounce, FoldsALongDiagnosticWithoutLosingIt) {
    std::string reply = "550 5.7.1";
    for (int i = 0; reply.size() < 600; ++i) {
        reply += " word" + std::to_string(i);
    }
    auto input = sample_input();
    input.recipients[0].diagnostic = reply;
    auto text = make_bounce(input);
    auto bounce = take_apart(text);
    ASSERT_EQ(bounce.parts.size(), 3u);
    auto groups = groups_of(bounce.parts[1].body);
    ASSERT_EQ(groups.size(), 4u);
    EXPECT_EQ(only(groups[1], "diagnostic-code"), "smtp; " + reply);
    for (const auto& line : lines_of(bounce.parts[1].body)) {
        EXPECT_LE(line.size(), 78u) << line;
    }
}

TEST(Bounce, EachBounceHasItsOwnMessageIdAndBoundary) {
    std::set<std::string> ids, boundaries;
    for (int i = 0; i < 100; ++i) {
        auto bounce = take_apart(make_bounce(sample_input()));
        ids.insert(only(bounce.mail.fields, "message-id"));
        boundaries.insert(boundary_of(only(bounce.mail.fields, "content-type")));
    }
    EXPECT_EQ(ids.size(), 100u);
    EXPECT_EQ(boundaries.size(), 100u);
}

}  // namespace
}  // namespace relay
