# The relay's SMTP client (chapter 15 onwards): dialog scripts played against a scripted fake MX.
mailsteps_mx_dialogs()
