// SRS (chapter 32 onwards): the rewritten sender's form, its reversal, what is refused (a wrong
// hash, an old day, a malformed address), and agreement with another implementation, python3-srs.
#include "srs.hpp"

#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace {

using smtp::Mailbox;
using namespace mailsteps::testing;

const std::string pysrs = MAILSTEPS_SOURCE_DIR "/tests/forwarding/pysrs.py";
constexpr std::time_t day = 24 * 60 * 60;
constexpr std::time_t now = 1796526225; // 2026-12-06: day 20793, 313 in the 1024-day cycle, "JZ"

const srs::Rewriter rewriter("s3cret", "example.test");
const Mailbox carol{"carol", "sender.test"};

std::string local_part_of(const std::optional<Mailbox>& mailbox) { return mailbox ? mailbox->local_part : "(none)"; }

std::string pysrs_run(const std::vector<std::string>& args) {
    std::vector<std::string> all{pysrs, "s3cret"};
    all.insert(all.end(), args.begin(), args.end());
    auto result = run("/usr/bin/python3", all);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out.substr(0, result.out.find('\n'));
}

} // namespace

TEST(Srs, TheForwardedSenderIsAnSrs0AddressOfOurs) {
    auto forwarded = rewriter.forward(carol, now);
    ASSERT_TRUE(forwarded);
    EXPECT_EQ(forwarded->domain, "example.test");
    // The same as python3-srs made with this secret on this day (pysrs.py s3cret forward ...).
    EXPECT_EQ(forwarded->local_part, "SRS0=siCq=JZ=sender.test=carol");
}

TEST(Srs, ReverseGivesBackTheOriginalSender) {
    EXPECT_EQ(rewriter.reverse("SRS0=siCq=JZ=sender.test=carol", now), carol);
    // A receiver that changed the case of the whole address still gets its bounce through.
    EXPECT_EQ(rewriter.reverse("srs0=sicq=jz=sender.test=carol", now), (Mailbox{"carol", "sender.test"}));
    EXPECT_EQ(rewriter.reverse("SRS0=SICQ=JZ=SENDER.TEST=CAROL", now), (Mailbox{"CAROL", "SENDER.TEST"}));
    // An original local part may hold '=' itself.
    Mailbox odd{"a=b==c", "sender.test"};
    auto forwarded = rewriter.forward(odd, now);
    ASSERT_TRUE(forwarded);
    EXPECT_EQ(rewriter.reverse(forwarded->local_part, now), odd);
}

TEST(Srs, OnlyOurOwnRecentAddressesAreReversed) {
    auto ours = local_part_of(rewriter.forward(carol, now));
    EXPECT_EQ(rewriter.reverse(ours, now + 21 * day), carol);
    EXPECT_FALSE(rewriter.reverse(ours, now + 22 * day)); // too old: Mail::SRS's 21 days
    EXPECT_FALSE(rewriter.reverse(ours, now - day));      // from the future
    EXPECT_FALSE(srs::Rewriter("other", "example.test").reverse(ours, now));
    EXPECT_FALSE(rewriter.reverse("SRS0=siCq=JZ=sender.test=mallory", now));
    EXPECT_FALSE(rewriter.reverse("SRS0=siCq=JZ=evil.test=carol", now));
    EXPECT_FALSE(rewriter.reverse("SRS0=siCq=JY=sender.test=carol", now));
    EXPECT_FALSE(rewriter.reverse("SRS0=siC=JZ=sender.test=carol", now));
    for (const char* malformed : {"carol", "SRS0", "SRS0=", "SRS0=siCq", "SRS0=siCq=JZ", "SRS0=siCq=JZ=sender.test",
                                  "SRS0=siCq=J=sender.test=carol", "SRS0=siCq=J1=sender.test=carol",
                                  "SRS0=siCq=JZ==carol", "SRS0=siCq=JZ=sender.test=", "SRS1=siCq=JZ=sender.test=carol"}) {
        EXPECT_FALSE(rewriter.reverse(malformed, now)) << malformed;
    }
}

// Day numbers go round every 1024 days: a bounce 5 days after the cycle restarts is 5 days old.
TEST(Srs, TheDayCycleWrapsAround) {
    std::time_t end_of_cycle = (20479 - 2) * day; // day 1021 of the cycle before 2026's
    auto forwarded = rewriter.forward(carol, end_of_cycle);
    ASSERT_TRUE(forwarded);
    EXPECT_EQ(rewriter.reverse(forwarded->local_part, end_of_cycle + 5 * day), carol);
    EXPECT_FALSE(rewriter.reverse(forwarded->local_part, end_of_cycle + 22 * day));
}

// RFC 5321 4.5.3.1.1: a local part of at most 64 octets is all a server must take; ours takes
// no more, so a longer SRS address would make its bounces undeliverable here.
TEST(Srs, NoAddressLongerThanALocalPartMayBe) {
    Mailbox fits{std::string(64 - 14 - 11, 'a'), "sender.test"};
    ASSERT_EQ(local_part_of(rewriter.forward(fits, now)).size(), 64U);
    EXPECT_FALSE(rewriter.forward(Mailbox{fits.local_part + "a", "sender.test"}, now));
}

// python3-srs, from Mail::SRS, checks our addresses and makes addresses we accept.
TEST(Srs, AnotherImplementationAgrees) {
    std::time_t today = std::time(nullptr);
    auto ours = rewriter.forward(carol, today);
    ASSERT_TRUE(ours);
    EXPECT_EQ(pysrs_run({"reverse", ours->local_part + "@example.test"}), "carol@sender.test");
    auto theirs = pysrs_run({"forward", "dave@far.test", "alias@example.test"});
    auto at = theirs.rfind('@');
    EXPECT_EQ(theirs.substr(at), "@example.test");
    EXPECT_EQ(rewriter.reverse(theirs.substr(0, at), today), (Mailbox{"dave", "far.test"}));
}

TEST(SrsSecret, IsMadeOnceWithMode0600AndThenRead) {
    TempDir dir;
    auto file = dir.path() / "var" / "srs-secret";
    auto secret = srs::read_or_make_secret(file);
    EXPECT_GE(secret.size(), 32U);
    struct stat status {};
    ASSERT_EQ(::stat(file.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 0777, 0600U);
    EXPECT_EQ(srs::read_or_make_secret(file), secret);
    EXPECT_NE(srs::read_or_make_secret(dir.path() / "another"), secret);
    std::ofstream(dir.path() / "empty") << "\n";
    EXPECT_THROW(srs::read_or_make_secret(dir.path() / "empty"), std::runtime_error);
}
