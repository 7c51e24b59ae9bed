# Forwarding: chapter 32 onwards. SRS checked alone and against python3-srs (unit tests); the
# real server forwarding through aliases to aiosmtpd, found through dnsmasq, and the bounces
# coming back through the SRS address.
mailsteps_topic_test(forwarding_unit_tests SOURCES forwarding/srs_test.cpp)
mailsteps_topic_test(forwarding_e2e_tests SOURCES forwarding/forwarding_e2e_test.cpp dns/dnsmasq.cpp SERVER mailserver)
