#pragma once

// What the fault tests share: the reply a message the server cannot store gets, and a message
// too big for the small disks they make.
#include "smtp/smtp_testing.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace smtp::tests {

// RFC 5321 4.2.2 and 4.2.5: 451 (local error) or 452 (insufficient storage), with an RFC 3463
// status code of class 4, "persistent transient failure".
inline void expect_temporary_failure(const Reply& reply) {
    static const std::regex temporary(R"(45[12] 4\.[0-9]{1,3}\.[0-9]{1,3} .+)");
    EXPECT_TRUE(reply.code == 451 || reply.code == 452) << reply;
    EXPECT_TRUE(std::regex_match(reply.last(), temporary)) << reply;
}

// Well over the file size limit the tests set, in lines of 78 characters.
inline std::string big_text(const std::string& subject) {
    std::string text = "Subject: " + subject + "\n\n";
    for (int line = 0; text.size() < 256 * 1024; ++line) {
        text += std::string(77, static_cast<char>('a' + line % 26)) + "\n";
    }
    return text;
}

} // namespace smtp::tests
