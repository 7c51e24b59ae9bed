#include "password.hpp"

#include <crypt.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace accounts {
namespace {

static_assert(max_password_size == CRYPT_MAX_PASSPHRASE_SIZE - 1);

// crypt needs C strings: a NUL inside would silently cut the password short.
bool fits_crypt(std::string_view text, std::size_t max_size) {
    return text.size() <= max_size && text.find('\0') == std::string_view::npos;
}

// crypt_rn into a heap-allocated crypt_data (32 KiB, too big for a coroutine's stack), so
// sessions on many threads can hash at once. nullopt when crypt refuses the setting.
std::optional<std::string> run_crypt(const std::string& password, const std::string& setting) {
    auto data = std::make_unique<crypt_data>();
    const char* hash = ::crypt_rn(password.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
    return hash == nullptr ? std::nullopt : std::optional<std::string>(hash);
}

// Every byte is looked at whatever the first difference, so the time taken does not tell an
// attacker how much of a guessed hash was right.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return difference == 0;
}

}  // namespace

std::string hash_password(std::string_view password) {
    if (!fits_crypt(password, max_password_size)) {
        throw std::invalid_argument("hash_password: a password containing NUL or longer than 511 octets");
    }
    // A null prefix picks the system's default method; null random bytes, the OS's entropy.
    std::unique_ptr<char, decltype(&std::free)> setting{::crypt_gensalt_ra(nullptr, 0, nullptr, 0), &std::free};
    if (!setting) {
        throw std::system_error(errno, std::generic_category(), "crypt_gensalt");
    }
    auto hash = run_crypt(std::string(password), setting.get());
    if (!hash) {
        throw std::system_error(errno, std::generic_category(), "crypt");
    }
    return *hash;
}

bool verify_password(std::string_view password, std::string_view hash) {
    if (!fits_crypt(password, max_password_size) || hash.empty() || !fits_crypt(hash, CRYPT_OUTPUT_SIZE - 1)) {
        return false;
    }
    // Hashing with the stored hash as the setting reuses its method, cost and salt.
    auto computed = run_crypt(std::string(password), std::string(hash));
    return computed && equal_in_constant_time(*computed, hash);
}

}  // namespace accounts
