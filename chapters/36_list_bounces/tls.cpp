#include "tls.hpp"

#include "durable_file.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace mailsteps {
namespace {

// OpenSSL's objects are C structures, each freed by a function of its own.
template <auto free_function> struct Free {
    template <class T> void operator()(T* object) const { free_function(object); }
};
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Free<X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION_free>>;
using Memory = std::unique_ptr<BIO, Free<BIO_free>>;

constexpr long ten_years = 10L * 365 * 24 * 60 * 60; // in seconds

void check(bool ok, const char* step) {
    if (!ok) {
        throw std::runtime_error(std::string("cannot make a TLS certificate: ") + step + " failed");
    }
}

// RFC 5280: an X.509 v3 certificate for `hostname`, signed by `key` itself, valid for ten years.
Certificate self_signed(EVP_PKEY* key, const std::string& hostname) {
    Certificate certificate(X509_new());
    check(certificate != nullptr, "X509_new");
    X509* x509 = certificate.get();
    std::uint64_t serial = 0;
    check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) == 1, "RAND_bytes");
    // RFC 5280 4.1.2.2: a positive serial number, unique for its issuer; a random one is
    check(X509_set_version(x509, X509_VERSION_3) && ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial >> 1) &&
              X509_gmtime_adj(X509_getm_notBefore(x509), 0) && X509_gmtime_adj(X509_getm_notAfter(x509), ten_years) &&
              X509_set_pubkey(x509, key),
          "setting the certificate's fields");
    X509_NAME* name = X509_get_subject_name(x509);
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0),
          "naming the certificate");
    check(X509_set_issuer_name(x509, name), "naming the issuer"); // self-signed: its own issuer
    // RFC 6125 6.4.4: clients match the name they connected to against subjectAltName, not CN.
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, x509, x509, nullptr, nullptr, 0);
    std::string alt_name = "DNS:" + hostname;
    Extension extension(X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, alt_name.c_str()));
    check(extension && X509_add_ext(x509, extension.get(), -1), "adding subjectAltName");
    check(X509_sign(x509, key, EVP_sha256()) > 0, "signing");
    return certificate;
}

// What a PEM writer writes, as text.
template <class Write> std::string pem(Write write) {
    Memory memory(BIO_new(BIO_s_mem()));
    check(memory && write(memory.get()), "writing PEM");
    char* data = nullptr;
    long size = BIO_get_mem_data(memory.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// Written whole or not at all, mode 0600, and kept across a crash.
void write_private_file(const std::filesystem::path& path, std::string_view text) {
    std::array parts{text};
    auto temporary = path;
    temporary += ".new." + std::to_string(getpid());
    auto error = make_private_directory(path.parent_path().empty() ? "." : path.parent_path());
    if (!error) {
        error = write_durably(temporary, path, parts, Existing::replace);
    }
    if (error) {
        throw std::runtime_error("cannot write " + path.string() + ": " + error.message());
    }
}

std::string sha256_fingerprint(X509* certificate) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    check(X509_digest(certificate, EVP_sha256(), digest.data(), &size) == 1, "X509_digest");
    std::string text;
    for (unsigned i = 0; i < size; ++i) {
        std::array<char, 4> hex{};
        std::snprintf(hex.data(), hex.size(), i == 0 ? "%02X" : ":%02X", digest[i]);
        text += hex.data();
    }
    return text;
}

// RFC 8996: TLS 1.0 and 1.1 are retired, and SSL was broken long before them.
void refuse_old_versions(asio::ssl::context& context) {
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
}

} // namespace

std::string make_self_signed_certificate(const TlsFiles& files, const std::string& hostname) {
    // An elliptic-curve key (P-256, as Let's Encrypt issues them): every TLS 1.2 client knows it,
    // and it is made and used in a fraction of an RSA key's time.
    Key key(EVP_EC_gen("P-256"));
    check(key != nullptr, "making a P-256 key");
    Certificate certificate = self_signed(key.get(), hostname);
    write_private_file(files.key, pem([&](BIO* out) {
                           return PEM_write_bio_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
                       }));
    write_private_file(files.certificate, pem([&](BIO* out) { return PEM_write_bio_X509(out, certificate.get()); }));
    return sha256_fingerprint(certificate.get());
}

asio::ssl::context make_server_tls(const TlsFiles& files) {
    asio::ssl::context context(asio::ssl::context::tls_server);
    refuse_old_versions(context);
    try {
        context.use_certificate_chain_file(files.certificate.string());
    } catch (const std::system_error& error) {
        throw std::runtime_error("cannot use the certificate " + files.certificate.string() + ": " + error.what());
    }
    try {
        context.use_private_key_file(files.key.string(), asio::ssl::context::pem); // and it must match the certificate
    } catch (const std::system_error& error) {
        throw std::runtime_error("cannot use the private key " + files.key.string() + ": " + error.what());
    }
    return context;
}

asio::ssl::context make_client_tls() {
    asio::ssl::context context(asio::ssl::context::tls_client);
    refuse_old_versions(context);
    // Opportunistic TLS (RFC 7435), as Postfix's smtp_tls_security_level = may: encrypt whatever
    // server offers it, checking nothing. MX hosts' certificates are often self-signed or for
    // another name, and SMTP has no way to ask for a better one; a check that failed would only
    // send the message in the clear instead. Encryption still stops those who only listen.
    context.set_verify_mode(asio::ssl::verify_none);
    return context;
}

} // namespace mailsteps
