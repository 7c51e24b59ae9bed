#pragma once

// What the tests of the command parsers share: inputs shown readably, and the reply a refused
// argument must get.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

namespace smtp::tests {

// Test names show the input; control bytes are shown as \xNN so the output stays readable.
inline std::string printable(std::string_view text) {
    std::string shown;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte >= 32 && byte < 127) {
            shown += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned>(byte));
            shown += hex;
        }
    }
    return shown;
}

// The reply a refused argument gets: its code, enhanced status code (RFC 3463) and text.
struct ErrorRow {
    std::string argument;
    int code;
    std::string status;
    std::string text;
};

// `result` is a parser's (parse_mail_from, parse_rcpt_to): the refusal `row` says.
template <typename Parsed, typename Error>
void expect_error(const std::variant<Parsed, Error>& result, const ErrorRow& row) {
    ASSERT_TRUE(std::holds_alternative<Error>(result)) << "accepted";
    const auto& error = std::get<Error>(result);
    EXPECT_EQ(error.code, row.code);
    EXPECT_EQ(error.status, row.status);
    EXPECT_EQ(error.text, row.text);
}

} // namespace smtp::tests
