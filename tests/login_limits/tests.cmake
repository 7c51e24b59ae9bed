# Login limits: chapter 25 onwards. The per-address throttle on its own, logins taking as long
# for unknown accounts, the delay and the caps end to end, and --demo; the dialog scripts that
# use --demo's account and sample mail.
mailsteps_topic_test(login_limits_unit_tests SOURCES login_limits/login_throttle_test.cpp login_limits/timing_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL pop3)
mailsteps_topic_test(login_limits_e2e_tests SOURCES login_limits/login_limits_e2e_test.cpp SERVER mailserver)
