# The DNS client: chapter 13 onwards. dns_client against a scripted name server in the same
# process, and mxlookup's single queries against dnsmasq, compared with dig.
mailsteps_topic_test(dns_client_tests SOURCES dns_client/dns_client_test.cpp)
mailsteps_topic_test(mxlookup_query_tests SOURCES dns_client/mxlookup_query_test.cpp dns/dnsmasq.cpp PROGRAM mxlookup)
