#include "srs.hpp"

#include "durable_file.hpp"

#include "shared/ascii.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <unistd.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace srs {
namespace {

constexpr std::string_view base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::time_t seconds_a_day = 24 * 60 * 60;
constexpr long days_in_cycle = 32 * 32; // what two base32 digits can count
constexpr long max_age_days = 21;       // Mail::SRS's default: bounces come back sooner than that
constexpr std::size_t hash_size = 4;
constexpr std::size_t max_local_part = 64;

// Today, as two base32 digits: the day number, modulo 1024.
std::string day_of(std::time_t now) {
    long day = static_cast<long>(now / seconds_a_day) % days_in_cycle;
    return {base32[static_cast<std::size_t>(day / 32)], base32[static_cast<std::size_t>(day % 32)]};
}

// How many days ago `day` was (taking the cycle round), or nullopt if it is no day.
std::optional<long> age_of(std::string_view day, std::time_t now) {
    if (day.size() != 2) {
        return std::nullopt;
    }
    long number = 0;
    for (char digit : day) {
        auto value = base32.find(static_cast<char>(std::toupper(static_cast<unsigned char>(digit))));
        if (value == std::string_view::npos) {
            return std::nullopt;
        }
        number = number * 32 + static_cast<long>(value);
    }
    long today = static_cast<long>(now / seconds_a_day) % days_in_cycle;
    return (today - number + days_in_cycle) % days_in_cycle;
}

}  // namespace

Rewriter::Rewriter(std::string secret, std::string domain) : secret_(std::move(secret)), domain_(std::move(domain)) {}

std::optional<smtp::Mailbox> Rewriter::forward(const smtp::Mailbox& sender, std::time_t now) const {
    auto day = day_of(now);
    auto local_part = "SRS0=" + hash(day, sender.domain, sender.local_part) + "=" + day + "=" + sender.domain + "=" +
                      sender.local_part;
    if (local_part.size() > max_local_part) {
        return std::nullopt;
    }
    return smtp::Mailbox{local_part, domain_};
}

std::optional<smtp::Mailbox> Rewriter::reverse(std::string_view local_part, std::time_t now) const {
    if (!mailsteps::starts_with_ci(local_part, "SRS0=")) {
        return std::nullopt;
    }
    // SRS0=HHHH=TT=domain=local: the original local part may itself hold '='.
    std::array<std::string_view, 4> fields;
    auto rest = local_part.substr(5);
    for (std::size_t i = 0; i < 3; ++i) {
        auto separator = rest.find('=');
        if (separator == std::string_view::npos) {
            return std::nullopt;
        }
        fields[i] = rest.substr(0, separator);
        rest.remove_prefix(separator + 1);
    }
    fields[3] = rest;
    auto [given_hash, day, domain, original] = fields;
    auto age = age_of(day, now);
    // A receiver may have changed the case of the whole address (RFC 5321 2.4 says it must not).
    if (!age || *age > max_age_days || domain.empty() || original.empty() ||
        !mailsteps::equals_ci(given_hash, hash(day, domain, original))) {
        return std::nullopt;
    }
    return smtp::Mailbox{std::string(original), std::string(domain)};
}

// Mail::SRS's hash, so that its implementations can check ours: HMAC-SHA1 over the day, the
// domain and the local part, lowercased; the first four characters of its base64.
std::string Rewriter::hash(std::string_view day, std::string_view domain, std::string_view local_part) const {
    auto data = mailsteps::lowercase(std::string(day) + std::string(domain) + std::string(local_part));
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    HMAC(EVP_sha1(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &size);
    std::array<unsigned char, 4 * EVP_MAX_MD_SIZE> text{};
    EVP_EncodeBlock(text.data(), digest.data(), static_cast<int>(size));
    return std::string(reinterpret_cast<const char*>(text.data()), hash_size);
}

std::string read_or_make_secret(const std::filesystem::path& file) {
    auto content = mailsteps::read_regular_file(file, 4096);
    if (auto* error = std::get_if<std::error_code>(&content); error && *error == std::errc::no_such_file_or_directory) {
        std::array<unsigned char, 24> random{};
        std::array<unsigned char, 64> text{};
        if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
            throw std::runtime_error("cannot make an SRS secret: no random numbers");
        }
        EVP_EncodeBlock(text.data(), random.data(), static_cast<int>(random.size()));
        std::string secret(reinterpret_cast<const char*>(text.data()));
        std::string_view parts[] = {secret, "\n"};
        auto directory = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
        auto temporary = file;
        temporary += ".new." + std::to_string(::getpid());
        auto made = mailsteps::make_private_directory(directory);
        if (!made) {
            made = mailsteps::write_durably(temporary, file, parts, mailsteps::Existing::refuse);
        }
        if (made && made != std::errc::file_exists) { // file_exists: another server made it first
            throw std::runtime_error("cannot write " + file.string() + ": " + made.message());
        }
        content = mailsteps::read_regular_file(file, 4096);
    }
    if (auto* error = std::get_if<std::error_code>(&content)) {
        throw std::runtime_error("cannot read " + file.string() + ": " + error->message());
    }
    auto secret = std::get<std::string>(content);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
        secret.pop_back();
    }
    if (secret.empty()) {
        throw std::runtime_error(file.string() + " is empty: it should hold the SRS secret");
    }
    return secret;
}

}  // namespace srs
