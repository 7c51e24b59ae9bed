# DNS names: chapter 10 onwards. The wire format's bounds-checked reads, names from text and on
# the wire, compression (RFC 1035 4.1.4) and hostile names.
mailsteps_topic_test(dns_name_tests SOURCES dns_names/dns_name_test.cpp)
