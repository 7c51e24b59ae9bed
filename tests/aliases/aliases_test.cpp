// The aliases file (chapter 31 onwards): reading it, refusing loops with the line named, and
// where an address leads: aliases, catch-alls, subaddresses, mailboxes and addresses elsewhere.
#include "aliases.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace {

using aliases::Alias;
using aliases::Aliases;
using aliases::Mailboxes;
using aliases::parse_aliases;

std::string error_of(std::string_view text) {
    auto parsed = parse_aliases(text);
    auto* error = std::get_if<std::string>(&parsed);
    return error ? *error : "(no error)";
}

// A server whose domains are example.test and other.test, with the accounts `accounts`
// (none: every address of its domains gets mail, as with an empty users file).
struct World {
    std::set<std::string> accounts;

    Mailboxes mailboxes() const {
        return {
            .is_local = [](const std::string& domain) { return domain == "example.test" || domain == "other.test"; },
            .is_account = [this](const std::string& address) { return accounts.count(address) > 0; },
            .gets_mail = [this](const std::string& address) {
                return accounts.empty() || accounts.count(address) > 0 || address.starts_with("postmaster@");
            },
        };
    }
};

class AliasesFile : public ::testing::Test {
protected:
    std::vector<std::string> expand(const std::string& text, const std::string& address, const World& world) {
        write(text);
        Aliases aliases(file_);
        return aliases.expand(address, world.mailboxes());
    }

    void write(const std::string& text) {
        auto temporary = dir_.path() / "aliases.new";
        std::ofstream(temporary) << text;
        std::filesystem::rename(temporary, file_);
    }

    mailsteps::testing::TempDir dir_;
    std::filesystem::path file_ = dir_.path() / "aliases";
};

using Strings = std::vector<std::string>;

} // namespace

TEST(ParseAliases, ReadsAliasesAndCatchAllsLowercased) {
    auto parsed = parse_aliases("# the shop\n\nInfo@Example.Test: alice@example.test,  Bob@Elsewhere.Test\n"
                                "@example.test: alice@example.test\r\n");
    ASSERT_TRUE(std::holds_alternative<std::vector<Alias>>(parsed)) << std::get<std::string>(parsed);
    auto& aliases = std::get<std::vector<Alias>>(parsed);
    ASSERT_EQ(aliases.size(), 2U);
    EXPECT_EQ(aliases[0].address, "info@example.test");
    EXPECT_EQ(aliases[0].targets, (Strings{"alice@example.test", "bob@elsewhere.test"}));
    EXPECT_EQ(aliases[0].line, 3U);
    EXPECT_EQ(aliases[1].address, "@example.test");
    EXPECT_EQ(aliases[1].line, 4U);
}

TEST(ParseAliases, NamesTheLineOfEachMistake) {
    EXPECT_EQ(error_of("a@example.test: b@example.test\nno colon here\n"),
              "line 2: expected 'address: target, target, ...'");
    EXPECT_EQ(error_of("a@example.test:\n"), "line 1: a@example.test has no targets");
    EXPECT_EQ(error_of("a@example.test: b@example.test,,c@example.test\n"), "line 1: the target '' is not an address");
    EXPECT_EQ(error_of("a@example.test: @example.test\n"), "line 1: the target '@example.test' is not an address");
    EXPECT_EQ(error_of("a@example.test: ../x@example.test\n"),
              "line 1: the target '../x@example.test' is not an address");
    EXPECT_NE(error_of("a/b@example.test: b@example.test\n").find("line 1: 'a/b@example.test' is not an address"),
              std::string::npos);
    EXPECT_EQ(error_of("a@example.test: b@example.test\nA@example.test: c@example.test\n"),
              "line 2: a@example.test is already on line 1");
}

// An alias that comes back to itself, however far round, would send a message round for ever.
TEST(ParseAliases, RefusesLoopsNamingTheLineThatClosesThem) {
    EXPECT_EQ(error_of("a@example.test: b@example.test\nb@example.test: a@example.test\n"),
              "line 2: alias loop: a@example.test -> b@example.test -> a@example.test");
    EXPECT_EQ(error_of("a@example.test: x@example.test, b@example.test\nb@example.test: c@example.test\n"
                       "c@example.test: d@elsewhere.test, a@example.test\n"),
              "line 3: alias loop: a@example.test -> b@example.test -> c@example.test -> a@example.test");
    // Through a subaddress of itself: a+x@ leads to a@.
    EXPECT_EQ(error_of("a@example.test: a+copy@example.test\n"),
              "line 1: alias loop: a@example.test -> a@example.test");
}

TEST(ParseAliases, AnAliasNamingItselfKeepsACopyAndIsNoLoop) {
    EXPECT_EQ(error_of("alice@example.test: alice@example.test, alice@elsewhere.test\n"), "(no error)");
    // Two aliases sharing a target is no loop either.
    EXPECT_EQ(error_of("a@example.test: c@example.test\nb@example.test: c@example.test\n"
                       "c@example.test: d@example.test\n"),
              "(no error)");
}

TEST(ParseAliases, RefusesChainsDeeperThanAHundred) {
    std::string text;
    for (int i = 0; i < 101; ++i) {
        text += "a" + std::to_string(i) + "@example.test: a" + std::to_string(i + 1) + "@example.test\n";
    }
    EXPECT_EQ(error_of(text), "line 101: aliases nested more than 100 deep");
    // The same chain written from its end: the search meets it a short piece at a time.
    std::string reversed;
    for (int i = 100; i >= 0; --i) {
        reversed += "a" + std::to_string(i) + "@example.test: a" + std::to_string(i + 1) + "@example.test\n";
    }
    EXPECT_EQ(error_of(reversed), "line 101: aliases nested more than 100 deep");
    text.erase(text.rfind("a100@"));
    EXPECT_EQ(error_of(text), "(no error)");
    EXPECT_EQ(error_of(reversed.substr(reversed.find('\n') + 1)), "(no error)");
}

TEST_F(AliasesFile, AnAliasReachesEachTargetOnce) {
    World world{{"alice@example.test", "bob@example.test"}};
    std::string text = "team@example.test: alice@example.test, info@example.test, carol@elsewhere.test\n"
                       "info@example.test: alice@example.test, bob@example.test\n";
    EXPECT_EQ(expand(text, "team@example.test", world),
              (Strings{"alice@example.test", "bob@example.test", "carol@elsewhere.test"}));
    EXPECT_EQ(expand(text, "alice@example.test", world), (Strings{"alice@example.test"}));
    EXPECT_EQ(expand(text, "nobody@example.test", world), Strings{});
}

// A target that is not an account reaches nobody: the others still get the mail.
TEST_F(AliasesFile, ATargetWithoutAMailboxIsLeftOut) {
    World world{{"alice@example.test"}};
    EXPECT_EQ(expand("team@example.test: ghost@example.test, alice@example.test\n", "team@example.test", world),
              (Strings{"alice@example.test"}));
    EXPECT_EQ(expand("team@example.test: ghost@example.test\n", "team@example.test", world), Strings{});
}

TEST_F(AliasesFile, TheCatchAllTakesWhatReachesNobodyElse) {
    World world{{"alice@example.test", "bob@example.test"}};
    std::string text = "@example.test: alice@example.test\ninfo@example.test: bob@example.test\n";
    EXPECT_EQ(expand(text, "anything@example.test", world), (Strings{"alice@example.test"}));
    EXPECT_EQ(expand(text, "bob@example.test", world), (Strings{"bob@example.test"}));
    EXPECT_EQ(expand(text, "info@example.test", world), (Strings{"bob@example.test"}));
    EXPECT_EQ(expand(text, "bob+news@example.test", world), (Strings{"bob@example.test"}));
    EXPECT_EQ(expand(text, "anything@other.test", world), Strings{}); // another domain's
}

// What an alias names never falls to a catch-all: that is what keeps loops out of them.
TEST_F(AliasesFile, AnAliasTargetDoesNotFallToTheCatchAll) {
    World world{{"alice@example.test"}};
    EXPECT_EQ(expand("@example.test: ghost@example.test\n", "someone@example.test", world), Strings{});
    EXPECT_EQ(expand("@example.test: ghost@example.test\nghost@example.test: alice@example.test\n",
                     "someone@example.test", world),
              (Strings{"alice@example.test"}));
}

TEST_F(AliasesFile, SubaddressesReachTheAddressWithoutTheDetail) {
    World world{{"alice@example.test", "alice+work@example.test"}};
    std::string text = "info@example.test: bob@elsewhere.test\n";
    EXPECT_EQ(expand(text, "alice+news@example.test", world), (Strings{"alice@example.test"}));
    EXPECT_EQ(expand(text, "alice+@example.test", world), (Strings{"alice@example.test"}));
    EXPECT_EQ(expand(text, "alice+a+b@example.test", world), (Strings{"alice@example.test"}));
    EXPECT_EQ(expand(text, "alice+work@example.test", world), (Strings{"alice+work@example.test"})); // its own
    EXPECT_EQ(expand(text, "info+shop@example.test", world), (Strings{"bob@elsewhere.test"}));
    EXPECT_EQ(expand(text, "bob+news@example.test", world), Strings{});
}

// A '+' first is not a detail: "+tag@example.test" has no local part to keep, and must not
// become the catch-all's "@example.test".
TEST_F(AliasesFile, ALeadingPlusIsNoDetail) {
    World world{{"alice@example.test"}};
    EXPECT_EQ(expand("info@example.test: alice@example.test\n", "+info@example.test", world), Strings{});
    EXPECT_EQ(expand("@example.test: alice@example.test\n", "+@example.test", world), (Strings{"alice@example.test"}));
    World open;
    EXPECT_EQ(expand("", "+tag@example.test", open), (Strings{"+tag@example.test"}));
}

TEST_F(AliasesFile, AnAliasNamingItselfKeepsACopyInItsMailbox) {
    World world{{"alice@example.test"}};
    EXPECT_EQ(expand("alice@example.test: alice@example.test, alice@elsewhere.test\n", "alice@example.test", world),
              (Strings{"alice@example.test", "alice@elsewhere.test"}));
    EXPECT_EQ(expand("alice@example.test: alice@elsewhere.test\n", "alice@example.test", world),
              (Strings{"alice@elsewhere.test"}));
}

// Without accounts every local address gets mail: an alias still decides where its own goes.
TEST_F(AliasesFile, WithoutAccountsEveryAddressIsItsOwnMailbox) {
    World open;
    EXPECT_EQ(expand("info@example.test: alice@example.test\n", "info@example.test", open),
              (Strings{"alice@example.test"}));
    EXPECT_EQ(expand("info@example.test: alice@example.test\n", "carol+x@example.test", open),
              (Strings{"carol@example.test"}));
}

TEST_F(AliasesFile, AChangedFileIsReadAgainAndABadOneKeepsTheLastGood) {
    World world{{"alice@example.test", "bob@example.test"}};
    write("info@example.test: alice@example.test\n");
    std::vector<std::string> problems;
    Aliases aliases(file_, [&](const std::string& problem) { problems.push_back(problem); });
    EXPECT_EQ(aliases.expand("info@example.test", world.mailboxes()), (Strings{"alice@example.test"}));
    write("info@example.test: bob@example.test\n");
    EXPECT_EQ(aliases.expand("info@example.test", world.mailboxes()), (Strings{"bob@example.test"}));
    write("info@example.test: x@example.test\nx@example.test: info@example.test\n");
    EXPECT_EQ(aliases.expand("info@example.test", world.mailboxes()), (Strings{"bob@example.test"}));
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_NE(problems[0].find("line 2: alias loop"), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("still using the aliases read before"), std::string::npos) << problems[0];
    std::filesystem::remove(file_);
    EXPECT_EQ(aliases.expand("info@example.test", world.mailboxes()), Strings{});
}

TEST_F(AliasesFile, ABadFileAtStartIsAnError) {
    write("a@example.test: b@example.test\nb@example.test: a@example.test\n");
    try {
        Aliases aliases(file_);
        FAIL() << "no error";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()), file_.string() + ": line 2: alias loop: a@example.test -> "
                                                               "b@example.test -> a@example.test");
    }
}
