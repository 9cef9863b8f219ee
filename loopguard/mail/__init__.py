"""The message as data: one view of an incoming message, its headers, addresses and parts.

The bottom layer: everything above (classifier, rate tracking, guard, command line) reads
mail through :class:`~loopguard.mail.view.MessageView`, which parses each message at most
once and bounds what the stdlib parser ever sees. Its body is walked once
(:mod:`loopguard.mail.parts`) and each part decoded once, by the one decoder
(:mod:`loopguard.mail.decode`, with :mod:`loopguard.mail.html` for HTML bodies).
"""
