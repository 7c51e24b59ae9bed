# Load: chapter 25's complete server under many sessions at once, driven by Postfix's
# smtp-source and by hundreds of raw idle connections; prints throughput and memory.
mailsteps_topic_test(load_tests SOURCES load/load_test.cpp SERVER mailserver)
