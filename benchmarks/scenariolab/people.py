"""Who writes in and what they write: names, domains and phrases, and ``Chatter``, which
draws varied people and text from a seeded stream."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FREEMAIL = ("gmail.com", "outlook.com", "yahoo.com", "gmx.de", "web.de", "icloud.com")
COMPANY_WORDS = (
    "acme", "blue", "north", "river", "stone", "bright", "nova", "alpine", "harbor", "pixel",
    "green", "oak", "summit", "silver", "delta", "metro", "cedar", "polar", "atlas", "sun",
)  # fmt: skip
COMPANY_DOMAINS = tuple(f"{a}{b}.example" for a in COMPANY_WORDS for b in COMPANY_WORDS if a != b)
FIRST_NAMES = (
    "Ann", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kim",
    "Lena", "Marco", "Nora", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umar",
    "Vera", "Wen", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dmitri", "Elif",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Uddin", "Varga", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
AGENTS = ("Maria", "Tom", "Aylin", "Jakob", "Sofia")
# People here write plainly: the text classifier's accuracy is measured on the labelled
# corpus (benchmarks/accuracy.py); these rows measure the limits and policies.
GREETINGS = ("Hello,", "Hi,", "Good morning,", "Dear support team,", "Hi there,", "Hello support,")
PRODUCTS = (
    "invoice", "order", "account", "subscription", "printer", "laptop", "router", "delivery",
    "password reset", "app", "licence", "refund", "contract", "phone", "parcel", "booking",
    "voucher", "dashboard", "monthly report", "VPN access", "mailbox", "badge", "monitor",
)  # fmt: skip
TROUBLES = (
    "does not arrive", "shows an error", "was charged twice", "stopped working",
    "cannot be found", "is missing an item", "keeps logging me out", "looks wrong",
    "is delayed", "was cancelled without notice", "will not sync", "is very slow",
    "has the wrong address", "cannot be downloaded",
)  # fmt: skip
WHENS = (
    "since yesterday", "since this morning", "after the last update", "since Monday",
    "for a week now", "since I moved", "after I changed my plan", "every time I try",
    "since the new version came out", "today",
)  # fmt: skip
DETAILS = (
    "I already restarted everything twice.", "My colleague has the same problem.",
    "I attached a screenshot of the message.", "I tried another browser as well.",
    "Nothing changed after the reset.", "It worked fine until last week.",
    "I need this fixed before Friday.", "Please call me if that is easier.",
    "My customer number should be in your system.", "Email is best to reach me.",
    "The error mentions a timeout.", "Your website says everything is fine.",
)  # fmt: skip
ASKS = (
    "Can you help?", "What should I do now?", "Could you look into it?", "Please advise.",
    "How long will this take?", "Is there a workaround?", "Can you send a replacement?",
    "Please let me know what you need from me.",
)  # fmt: skip
CLOSINGS = ("Thanks,", "Best regards,", "Kind regards,", "Cheers,", "Thank you,", "Regards,")
THANKS = (
    "Thank you {agent}, that solved it!", "Great, it works now. Thanks a lot, {agent}.",
    "Perfect, thank you for your help.", "That did the trick, thanks {agent}!",
    "Works again. Many thanks for the quick help.", "Thanks {agent}, all sorted on my side.",
    "Brilliant, the {product} is fine now. Thank you!",
)  # fmt: skip
FIXES = (
    "I have reset the {product} on our side; please try again in ten minutes.",
    "a colleague is looking into the {product} and will call you tomorrow.",
    "the {product} was stuck in our system. It is fixed now.",
    "could you send us the exact error message you see with the {product}?",
    "we issued a correction for the {product}; you will get an email confirmation.",
    "this is a known problem with the {product}; the fix goes out tonight.",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    name: str
    address: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def header(self) -> str:
        return f"{self.name} <{self.address}>"


@dataclass
class Chatter:
    """Who writes in and what they write: varied people and text from a seeded stream."""

    rng: random.Random
    _taken: set[str] = field(default_factory=set)

    def person(self, domain: str) -> Person:
        """Somebody new at ``domain`` (never the same address twice)."""
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            address = f"{first}.{last}{self.rng.randrange(100)}@{domain}".lower()
            if address not in self._taken:
                self._taken.add(address)
                return Person(f"{first} {last}", address)

    def customer(self) -> Person:
        """A customer: about half write from free-mail, the rest from their company."""
        if self.rng.random() < 0.5:
            return self.person(self.rng.choice(FREEMAIL))
        return self.person(self.rng.choice(COMPANY_DOMAINS))

    def stranger(self) -> Person:
        """A throwaway address at a random domain."""
        local = "".join(self.rng.choices("abcdefghijkmnpqrstuvwxyz", k=8))
        return Person(local.title(), f"{local}@{self.rng.choice(COMPANY_DOMAINS)}")

    def subject(self) -> str:
        return f"{self.rng.choice(PRODUCTS).capitalize()} {self.rng.choice(TROUBLES)}"

    def problem(self, author: Person) -> str:
        pick = self.rng.choice
        return (
            f"{pick(GREETINGS)}\n\nmy {pick(PRODUCTS)} {pick(TROUBLES)} {pick(WHENS)}. "
            f"{pick(DETAILS)} {pick(ASKS)}\n\n{pick(CLOSINGS)}\n{author.first_name}\n"
        )

    def follow_up(self, author: Person) -> str:
        pick = self.rng.choice
        return (
            f"{pick(GREETINGS)}\n\nthe {pick(PRODUCTS)} still {pick(TROUBLES)}. "
            f"{pick(DETAILS)} {pick(ASKS)}\n\n{author.first_name}\n"
        )

    def thanks(self, author: Person, agent: str) -> str:
        text = self.rng.choice(THANKS).format(agent=agent, product=self.rng.choice(PRODUCTS))
        return f"{text}\n\n{author.first_name}\n"

    def agent_answer(self, customer: Person, agent: str) -> str:
        fix = self.rng.choice(FIXES).format(product=self.rng.choice(PRODUCTS))
        return f"Hello {customer.first_name},\n\n{fix}\n\nBest regards,\n{agent}, Help Desk\n"
