// Mailing lists (chapter 33 onwards): list addresses, the bounces address, and the members file
// edited under a lock.
#include "lists.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

using namespace lists;
using Strings = std::vector<std::string>;

Strings members_of(const std::filesystem::path& dir, const std::string& list) {
    auto members = read_members(dir, list);
    return std::holds_alternative<Strings>(members) ? std::get<Strings>(members) : Strings{std::get<std::string>(members)};
}

} // namespace

TEST(ListAddress, IsLowercasedAndKeptToSafeCharacters) {
    EXPECT_EQ(normalize_list("Family@Example.Test"), "family@example.test");
    EXPECT_EQ(normalize_list("chess-club_2.0@example.test"), "chess-club_2.0@example.test");
    // Each of these would be unsafe in a header, a file name or a command line.
    for (const char* bad : {"family", "@example.test", "family@", "a b@example.test", "a\r\nBcc: x@example.test",
                            "a@b@example.test", "../x@example.test", ".x@example.test", "x@../etc", "x@.example.test",
                            "a+b@example.test", "a\"b@example.test", "a;b@example.test", "a<b>@example.test",
                            "family-bounces@example.test", "x@exa mple.test", "x@example..test"}) {
        EXPECT_EQ(normalize_list(bad), std::nullopt) << bad;
    }
}

TEST(ListAddress, BouncesComeToNameBounces) {
    EXPECT_EQ(bounces_address("family@example.test"), "family-bounces@example.test");
    EXPECT_EQ(list_of_bounces("family-bounces@example.test"), "family@example.test");
    EXPECT_EQ(list_of_bounces("family@example.test"), std::nullopt);
    EXPECT_EQ(list_of_bounces("-bounces@example.test"), std::nullopt);
}

TEST(ListFiles, CreateAddRemoveDelete) {
    mailsteps::testing::TempDir dir;
    auto lists_dir = dir.path() / "lists";
    EXPECT_FALSE(list_exists(lists_dir, "family@example.test"));
    EXPECT_EQ(add_member(lists_dir, "family@example.test", "alice@example.test"),
              "there is no list family@example.test in " + lists_dir.string());
    ASSERT_EQ(create_list(lists_dir, "family@example.test"), std::nullopt);
    EXPECT_TRUE(list_exists(lists_dir, "family@example.test"));
    EXPECT_EQ(create_list(lists_dir, "family@example.test"),
              "family@example.test already exists in " + lists_dir.string());
    EXPECT_EQ(members_of(lists_dir, "family@example.test"), Strings{});
    ASSERT_EQ(add_member(lists_dir, "family@example.test", "alice@example.test"), std::nullopt);
    ASSERT_EQ(add_member(lists_dir, "family@example.test", "bob@elsewhere.test"), std::nullopt);
    EXPECT_EQ(add_member(lists_dir, "family@example.test", "bob@elsewhere.test"),
              "bob@elsewhere.test is already a member of family@example.test");
    EXPECT_EQ(members_of(lists_dir, "family@example.test"), (Strings{"alice@example.test", "bob@elsewhere.test"}));
    ASSERT_EQ(remove_member(lists_dir, "family@example.test", "alice@example.test"), std::nullopt);
    EXPECT_EQ(remove_member(lists_dir, "family@example.test", "alice@example.test"),
              "alice@example.test is not a member of family@example.test");
    EXPECT_EQ(members_of(lists_dir, "family@example.test"), Strings{"bob@elsewhere.test"});
    ASSERT_EQ(delete_list(lists_dir, "family@example.test"), std::nullopt);
    EXPECT_FALSE(list_exists(lists_dir, "family@example.test"));
    EXPECT_FALSE(std::filesystem::exists(lists_dir / "family@example.test"));
    EXPECT_EQ(delete_list(lists_dir, "family@example.test"),
              "there is no list family@example.test in " + lists_dir.string());
}

// Eight editors adding members at once: the lock makes each read-change-write whole, so no
// addition is lost.
TEST(ListFiles, ConcurrentAdditionsAreAllKept) {
    mailsteps::testing::TempDir dir;
    ASSERT_EQ(create_list(dir.path(), "club@example.test"), std::nullopt);
    std::vector<std::thread> editors;
    for (int e = 0; e < 8; ++e) {
        editors.emplace_back([&, e] {
            for (int i = 0; i < 25; ++i) {
                EXPECT_EQ(add_member(dir.path(), "club@example.test",
                                     "m" + std::to_string(e) + "-" + std::to_string(i) + "@example.test"),
                          std::nullopt);
            }
        });
    }
    for (auto& editor : editors) {
        editor.join();
    }
    EXPECT_EQ(members_of(dir.path(), "club@example.test").size(), 200U);
}
