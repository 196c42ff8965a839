"""The static content of the demo organisation: people, teams, personas, journeys and their touchpoints.

Kept apart from the seeding logic so the story can be read (and edited) in one place. Touchpoint owners and teams
are referred to by username and team name; `base.seed` resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeys.models import Channel


@dataclass(frozen=True)
class TP:
    """A touchpoint: owner is the accountable person (username), team the one that handles its feedback cases."""

    name: str
    channel: str
    owner: str
    team: str
    moment_of_truth: bool = False
    priority: int = 50  # higher wins when several touchpoints may survey the same customer
    pains: tuple[str, ...] = ()


ORG_NAME = "Nordlys Bredband AB"
ORG_SLUG = "nordlys-bredband"
SECOND_ORG_NAME = "Fjord Energi AS"
SECOND_ORG_SLUG = "fjord-energi"

# Every demo user gets an e-mail on this reserved domain (RFC 2606): it marks the users `--reset` may delete.
USER_EMAIL_DOMAIN = "nordlys-demo.example"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 (documented demo credential, printed by seed_demo)

# The four printed logins, one per role, in the order of the credentials table.
ROLE_USERS = [
    # (role, username, first name, last name, job)
    ("admin", "admin", "Karin", "Ek", "IT administrator"),
    ("cx_manager", "cx", "Sofia", "Lindqvist", "Head of Customer Experience"),
    ("frontline", "frontline", "Jonas", "Berg", "Customer service agent, Sweden"),
    ("executive", "exec", "Erik", "Wallin", "CEO"),
]

# (username, first name, last name, role); teams say who leads and who works in them.
EXTRA_USERS = [
    ("maria.holm", "Maria", "Holm", "frontline"),
    ("kari.haugen", "Kari", "Haugen", "frontline"),
    ("mette.jensen", "Mette", "Jensen", "frontline"),
    ("per.sandberg", "Per", "Sandberg", "frontline"),
    ("lena.strom", "Lena", "Ström", "frontline"),
    ("johan.ek", "Johan", "Ek", "frontline"),
    ("nils.dahl", "Nils", "Dahl", "frontline"),
    ("ingrid.bakke", "Ingrid", "Bakke", "frontline"),
    ("soren.madsen", "Søren", "Madsen", "frontline"),
    ("ali.hassan", "Ali", "Hassan", "frontline"),
    ("emma.nilsson", "Emma", "Nilsson", "frontline"),
    ("anders.falk", "Anders", "Falk", "executive"),
]

TEAMS = [
    # (name, description, lead, members)
    (
        "Kundservice SE",
        "Customer service for Swedish customers: phone, chat and app messages, Mon-Sat 08-20.",
        "maria.holm",
        ["frontline", "nils.dahl"],
    ),
    (
        "Kundeservice NO",
        "Customer service for Norwegian customers, run from Oslo.",
        "kari.haugen",
        ["ingrid.bakke"],
    ),
    (
        "Kundeservice DK",
        "Customer service for Danish customers, run from Aarhus.",
        "mette.jensen",
        ["soren.madsen"],
    ),
    (
        "Fälttekniker",
        "Field technicians: installations, repairs on site, fibre connections (partner network in NO and DK).",
        "per.sandberg",
        ["ali.hassan"],
    ),
    ("Fakturering", "Billing: invoices, payments, credit notes and billing questions.", "lena.strom", []),
    (
        "Retention",
        "Saves customers who want to leave; handles cancellations and equipment returns.",
        "johan.ek",
        ["emma.nilsson"],
    ),
]
# Which customer service team serves which country: later steps route feedback cases with it.
SERVICE_TEAM_BY_COUNTRY = {"SE": "Kundservice SE", "NO": "Kundeservice NO", "DK": "Kundeservice DK"}

PERSONAS = [
    # (name, description, goals)
    (
        "Family streamer",
        "Two adults and two teenagers in a house or large flat. Several 4K streams, gaming and school work at the "
        "same time in the evening. Judges us by whether Wi-Fi reaches every room.",
        "Stable evening speed in every room\nNo surprises on the invoice\nHelp that does not need a day off work",
    ),
    (
        "Remote worker",
        "Works from home three to five days a week on video calls. A dropped line costs them a meeting, so they "
        "notice every outage and expect fast, competent troubleshooting.",
        "Upload speed and low latency for video calls\nFault fixed the same day\nStatus updates without calling",
    ),
    (
        "Small business",
        "A shop, salon or consultancy with 1-15 staff. Card terminals and cloud tools depend on the line, and the "
        "owner deals with us in the gaps between serving their own customers.",
        "Uptime during opening hours\nOne invoice with VAT done right\nA named contact who knows the business",
    ),
    (
        "Price-sensitive senior",
        "Retired, uses the internet for news, banking, video calls with grandchildren and TV. Reads the invoice "
        "carefully and prefers the phone to the app.",
        "Fair price without campaigns that expire\nClear letters and invoices\nA patient person on the phone",
    ),
]

# Journeys -> stages (in order) -> touchpoints (in order).
# A table: one touchpoint per entry reads better than the formatter's one argument per line.
# fmt: off
JOURNEYS = [
    {
        "name": "Onboarding",
        "description": (
            "From order to a working connection and the first invoice. The technician visit decides whether the "
            "relationship starts well."
        ),
        "owner": "cx",
        "personas": ["Family streamer", "Remote worker", "Small business", "Price-sensitive senior"],
        "stages": [
            ("Order", [
                TP("Web order", Channel.WEB, "cx", "Kundservice SE", priority=40,
                   pains=("Address lookup does not find new-build addresses", "Speed options hard to compare")),
                TP("Phone sales order", Channel.PHONE, "maria.holm", "Kundservice SE", priority=40,
                   pains=("Campaign price not explained as time-limited", "Long queue in the evening")),
            ]),
            ("Confirmation", [
                TP("Order confirmation", Channel.EMAIL, "cx", "Kundservice SE", priority=30,
                   pains=("Confirmation lands in spam", "Delivery date missing from the e-mail")),
                TP("Technician visit booking", Channel.WEB, "per.sandberg", "Fälttekniker", priority=60,
                   pains=("Only daytime slots on weekdays", "Booking link expires after 48 hours")),
            ]),
            ("Installation", [
                TP("Router pick-up at service point", Channel.STORE, "per.sandberg", "Fälttekniker", priority=30,
                   pains=("Parcel sent to a service point far from home", "Pick-up code arrives late")),
                TP("Technician visit", Channel.FIELD_VISIT, "per.sandberg", "Fälttekniker",
                   moment_of_truth=True, priority=95,
                   pains=("Technician arrives outside the booked window", "No call when the technician is delayed",
                          "Fibre socket placed where the customer did not want it",
                          "Second visit needed for the same job")),
            ]),
            ("Getting started", [
                TP("Activation and Wi-Fi setup", Channel.APP, "cx", "Kundservice SE", priority=50,
                   pains=("Line activated a day after the visit", "Wi-Fi weak upstairs; mesh not offered")),
            ]),
            ("First invoice", [
                TP("First invoice", Channel.INVOICE, "lena.strom", "Fakturering", priority=70,
                   pains=("Installation fee not expected", "Pro-rata period makes the first amount confusing")),
            ]),
        ],
    },
    {
        "name": "Support",
        "description": "Something does not work: from the fault report to a confirmed fix.",
        "owner": "maria.holm",
        "personas": ["Family streamer", "Remote worker", "Small business", "Price-sensitive senior"],
        "stages": [
            ("Report a fault", [
                TP("Fault report in the app", Channel.APP, "cx", "Kundservice SE", priority=50,
                   pains=("App says ‘no known fault’ during an area outage",
                          "Cannot attach a photo of the router lights")),
                TP("Fault report by phone", Channel.PHONE, "maria.holm", "Kundservice SE", priority=60,
                   pains=("Queue over 20 minutes on Monday mornings", "Identity check repeated after transfer")),
                TP("Support chat", Channel.CHAT, "maria.holm", "Kundservice SE", priority=50,
                   pains=("Chat bot loops before handing over", "Chat closes when the customer restarts the router")),
            ]),
            ("Troubleshooting", [
                TP("Remote troubleshooting", Channel.PHONE, "maria.holm", "Kundservice SE",
                   moment_of_truth=True, priority=90,
                   pains=("Customer asked to restart the router again and again", "Agent cannot see the line test",
                          "No first-contact resolution for Wi-Fi problems")),
                TP("Fault status updates", Channel.SMS, "cx", "Kundservice SE", priority=30,
                   pains=("No update between report and fix", "‘Fixed’ SMS sent while the line is still down")),
            ]),
            ("Escalation", [
                TP("Repair visit", Channel.FIELD_VISIT, "per.sandberg", "Fälttekniker", priority=70,
                   pains=("Repair visit booked days later", "Technician lacks the history of the case")),
            ]),
            ("Resolution", [
                TP("Resolution confirmation", Channel.EMAIL, "maria.holm", "Kundservice SE", priority=40,
                   pains=("No compensation offered for long outages", "Case closed without asking the customer")),
            ]),
        ],
    },
    {
        "name": "Billing",
        "description": "The monthly invoice, paying it, and getting answers when it looks wrong.",
        "owner": "lena.strom",
        "personas": ["Small business", "Price-sensitive senior", "Family streamer"],
        "stages": [
            ("Invoice", [
                TP("Monthly invoice", Channel.INVOICE, "lena.strom", "Fakturering", priority=40,
                   pains=("Price increase not announced clearly", "Streaming add-ons listed under unclear names")),
                TP("E-invoice and direct debit setup", Channel.WEB, "lena.strom", "Fakturering", priority=30,
                   pains=("Direct debit takes two invoice cycles to start", "Paper invoice fee charged meanwhile")),
            ]),
            ("Payment", [
                TP("Payment reminder", Channel.LETTER, "lena.strom", "Fakturering", priority=40,
                   pains=("Reminder fee for a payment made on the due date", "Reminder sent after the customer moved")),
                TP("Payment in the app", Channel.APP, "cx", "Fakturering", priority=30,
                   pains=("Swish/Vipps/MobilePay not offered in every country",)),
            ]),
            ("Billing question", [
                TP("Billing question by phone", Channel.PHONE, "lena.strom", "Fakturering",
                   moment_of_truth=True, priority=80,
                   pains=("Agent cannot credit small amounts without approval",
                          "Credit note arrives after next invoice")),
                TP("Billing question by chat", Channel.CHAT, "lena.strom", "Fakturering", priority=50,
                   pains=("Chat cannot see business invoices", "Answer in Swedish to a Danish customer")),
            ]),
        ],
    },
    {
        "name": "Moving",
        "description": "Taking the broadband along to a new address without a gap in service.",
        "owner": "cx",
        "personas": ["Family streamer", "Remote worker", "Small business"],
        "stages": [
            ("Moving notice", [
                TP("Moving notice on the web", Channel.WEB, "cx", "Kundservice SE", priority=50,
                   pains=("Form does not accept a future moving date over 60 days",
                          "No confirmation that it was received")),
                TP("Availability check at new address", Channel.EMAIL, "cx", "Kundservice SE", priority=40,
                   pains=("Answer takes a week", "New address served only by a slower technology")),
            ]),
            ("Transfer", [
                TP("Service transfer confirmation", Channel.EMAIL, "cx", "Kundservice SE", priority=40,
                   pains=("Old address still billed after the move", "New contract period started without asking")),
                TP("Moving-day switch-over", Channel.SMS, "per.sandberg", "Fälttekniker", priority=50,
                   pains=("Days without internet between addresses", "No mobile-broadband bridge offered")),
            ]),
            ("Installation at new address", [
                TP("Installation at new address", Channel.FIELD_VISIT, "per.sandberg", "Fälttekniker",
                   moment_of_truth=True, priority=85,
                   pains=("Technician visit not booked automatically", "Router from the old address not supported")),
            ]),
        ],
    },
    {
        "name": "Cancellation",
        "description": (
            "Leaving us: the request, a fair retention offer, returning the equipment and the last invoice. Done "
            "well, it keeps the door open."
        ),
        "owner": "johan.ek",
        "personas": ["Price-sensitive senior", "Family streamer", "Small business"],
        "stages": [
            ("Cancellation request", [
                TP("Cancellation by phone", Channel.PHONE, "johan.ek", "Retention", priority=60,
                   pains=("Customer transferred twice before reaching Retention", "Notice period not explained")),
                TP("Cancellation form on the web", Channel.WEB, "johan.ek", "Retention", priority=40,
                   pains=("Form hidden deep in My Pages", "No confirmation of the end date")),
            ]),
            ("Retention", [
                TP("Retention offer", Channel.PHONE, "johan.ek", "Retention", moment_of_truth=True, priority=85,
                   pains=("Offer better than what loyal customers pay: feels unfair",
                          "Pushy when the customer is moving abroad")),
            ]),
            ("Closing", [
                TP("Equipment return", Channel.STORE, "johan.ek", "Retention", priority=50,
                   pains=("Return label not sent", "Fee charged for a router that was returned")),
                TP("Final invoice", Channel.INVOICE, "lena.strom", "Fakturering", priority=60,
                   pains=("Final invoice after the notice period is unexpected", "Refund of prepaid amount slow")),
            ]),
        ],
    },
]
# fmt: on

# Segment mix and the personas each segment is drawn from (weights).
SEGMENTS = [("Consumer", 0.68), ("Premium", 0.22), ("Business", 0.10)]
PERSONAS_BY_SEGMENT = {
    "Consumer": [("Family streamer", 0.35), ("Remote worker", 0.25), ("Price-sensitive senior", 0.40)],
    "Premium": [("Family streamer", 0.50), ("Remote worker", 0.45), ("Price-sensitive senior", 0.05)],
    "Business": [("Small business", 1.0)],
}
COUNTRIES = [("SE", 0.55), ("NO", 0.25), ("DK", 0.20)]
# Faker locale and app language per country. Norwegian: Faker calls it no_NO, the app calls the language nb.
LOCALE_BY_COUNTRY = {"SE": ("sv_SE", "sv"), "NO": ("no_NO", "nb"), "DK": ("da_DK", "da")}
