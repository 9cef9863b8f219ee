"""Bounces: failed recipients from RFC 3464 reports, report text and flufl.bounce."""
