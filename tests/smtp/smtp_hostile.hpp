#pragma once

// Helpers for tests that play a hostile client against the SMTP server: what it sends after a
// CR, LF, NUL or other control character must be refused and never come back in a reply or
// reach a header the server writes.
#include "smtp_testing.hpp"

#include "shared/testing/hostile.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace smtp::tests {

using mailsteps::testing::escaped;
using mailsteps::testing::has_control;

// Sends `line` and a NOOP, and returns the replies before NOOP's. A bare LF ends a command line
// (only DATA refuses it), so one hostile line may get two replies; NOOP's marks where they end.
inline std::vector<Reply> replies_to(LineClient& client, const std::string& line) {
    client.send(line + "\r\nNOOP\r\n");
    std::vector<Reply> replies;
    for (auto reply = read_reply(client); reply.code != 0; reply = read_reply(client)) {
        if (reply.last() == "250 2.0.0 Ok") {
            return replies;
        }
        replies.push_back(reply);
    }
    ADD_FAILURE() << "no reply to the NOOP sent after " << escaped(line);
    return replies;
}

// RFC 5321 4.1.1 and 4.2: a line with a control character in its argument is a syntax error,
// 501 with a text saying so, and the reply carries none of the client's bytes back. When a
// bare LF cut the line in two, what followed the LF is no command: refused too.
inline void expect_refused(const std::string& line, const std::vector<Reply>& replies) {
    ASSERT_FALSE(replies.empty()) << escaped(line);
    if (line.find('\n') == std::string::npos) {
        ASSERT_EQ(replies.size(), 1U) << escaped(line);
        EXPECT_EQ(replies[0].code, 501) << escaped(line) << ": " << replies[0];
        EXPECT_TRUE(replies[0].last().starts_with("501 5.")) << escaped(line) << ": " << replies[0];
    } else {
        EXPECT_GE(replies.back().code, 500) << escaped(line) << ": " << replies.back();
    }
    for (const auto& reply : replies) {
        for (const auto& text : reply.lines) {
            EXPECT_FALSE(has_control(text)) << escaped(line) << ": " << escaped(text);
        }
    }
}

// The trace headers the server wrote (RFC 5321 4.4): each line starts a Return-Path: or a
// Received: header or continues one with a tab, and holds no other control character. Returns
// how many Return-Path: and Received: headers there are.
inline std::pair<int, int> count_trace_headers(const std::string& headers) {
    std::pair<int, int> counts;
    std::istringstream lines(headers);
    for (std::string line; std::getline(lines, line);) {
        counts.first += line.starts_with("Return-Path: <") ? 1 : 0;
        counts.second += line.starts_with("Received: from ") ? 1 : 0;
        bool continued = line.starts_with('\t');
        EXPECT_TRUE(line.starts_with("Return-Path: <") || line.starts_with("Received: from ") || continued)
            << "a header line the server did not mean to write: " << escaped(line);
        EXPECT_FALSE(has_control(continued ? line.substr(1) : line)) << escaped(line);
    }
    return counts;
}

} // namespace smtp::tests
