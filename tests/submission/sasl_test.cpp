// What SMTP AUTH carries (chapter 28 onwards): base64 (RFC 4648 4) and the PLAIN message
// (RFC 4616), decoded strictly, and the lines --trace must not show.
#include "sasl.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace std::string_literals;
using smtp::decode_base64;
using smtp::parse_plain;

TEST(Base64, DecodesWithAndWithoutPadding) {
    EXPECT_EQ(decode_base64(""), "");
    EXPECT_EQ(decode_base64("Zg=="), "f");
    EXPECT_EQ(decode_base64("Zm8="), "fo");
    EXPECT_EQ(decode_base64("Zm9v"), "foo");
    EXPECT_EQ(decode_base64("Zm9vYmFy"), "foobar");                     // RFC 4648 10's vectors
    EXPECT_EQ(decode_base64("AGFsaWNlAHNlY3JldA=="), "\0alice\0secret"s); // what `swaks --auth PLAIN` sends
    EXPECT_EQ(decode_base64("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64, RefusesAnythingElse) {
    for (std::string text : {"Zg"s, "Zg="s, "Zm9"s, "Z==="s, "===="s, "Zg==Zg=="s, "Zm=v"s, "Zm9v\r\n"s, " Zm9v"s,
                             "Zm9v "s, "Zm9-"s, "Zm9_"s, "Zm\0v"s, "Zm9\x80"s}) {
        EXPECT_EQ(decode_base64(text), std::nullopt) << text;
    }
}

TEST(Plain, SplitsAuthorizationUserAndPassword) {
    auto plain = parse_plain("\0alice@localhost\0secret"s);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->authorization, "");
    EXPECT_EQ(plain->user, "alice@localhost");
    EXPECT_EQ(plain->password, "secret");
    plain = parse_plain("alice\0alice\0pass word with spaces"s);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->authorization, "alice");
    EXPECT_EQ(plain->password, "pass word with spaces");
}

TEST(Plain, RefusesMalformedMessages) {
    for (std::string message : {""s, "alice"s, "\0alice"s, "\0alice\0"s, "\0\0secret"s, "\0alice\0secret\0"s,
                                "a\0b\0c\0d"s, "\0"s + std::string(256, 'u') + "\0secret"s,
                                "\0alice\0"s + std::string(256, 'p')}) {
        EXPECT_EQ(parse_plain(message), std::nullopt) << message.size();
    }
    EXPECT_TRUE(parse_plain("\0"s + std::string(255, 'u') + "\0"s + std::string(255, 'p')));
}

TEST(Trace, HidesWhatCarriesPasswords) {
    EXPECT_EQ(smtp::hide_auth("AUTH PLAIN AGFsaWNlAHNlY3JldA=="), "AUTH PLAIN ****");
    EXPECT_EQ(smtp::hide_auth("auth login YWxpY2U="), "auth login ****");
    EXPECT_EQ(smtp::hide_auth("AUTH PLAIN"), "AUTH PLAIN");
    EXPECT_EQ(smtp::hide_auth("MAIL FROM:<alice@localhost>"), "MAIL FROM:<alice@localhost>");
    EXPECT_EQ(smtp::hide_all("c2VjcmV0"), "****");
}

} // namespace
