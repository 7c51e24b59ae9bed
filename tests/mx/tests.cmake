# The MX delivery plan: chapter 14 onwards. mx_resolver against a scripted name server in the
# same process, and mxlookup's plan against dnsmasq.
mailsteps_topic_test(mx_resolver_tests SOURCES mx/mx_resolver_test.cpp)
mailsteps_topic_test(mxlookup_plan_tests SOURCES mx/mxlookup_plan_test.cpp dns/dnsmasq.cpp PROGRAM mxlookup)
