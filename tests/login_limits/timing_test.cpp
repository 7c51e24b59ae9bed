// Logins take as long for unknown accounts as for wrong passwords: nothing in the timing tells who exists.
#include "users.hpp"

#include "shared/testing/files.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace accounts {
namespace {

namespace fs = std::filesystem;
using mailsteps::testing::TempDir;

// Without the dummy crypt an unknown account would be refused in microseconds, not milliseconds.
TEST(UsersTest, UnknownAccountsTakeAsLongAsWrongPasswords) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "a"), std::nullopt);
    Users users{file};
    auto time = [&](std::string_view address) {
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 3; ++i) {
            EXPECT_FALSE(users.authenticate(address, "wrong"));
        }
        return std::chrono::steady_clock::now() - start;
    };
    auto wrong_password = time("alice@example.test");
    auto unknown_account = time("nobody@example.test");
    EXPECT_GT(unknown_account, wrong_password / 4);
}

}  // namespace
}  // namespace accounts
