"""The message as data: one view of an incoming message, its headers and addresses.

The bottom layer: everything above (classifier, rate tracking, guard, command line) reads
mail through :class:`~loopguard.mail.view.MessageView`, which parses each message at most
once and bounds what the stdlib parser ever sees.
"""
