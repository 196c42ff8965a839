"""The starter taxonomy of a telecom or broadband company: themes and sub-themes with their names, keywords and
example phrases in Swedish, Norwegian, Danish and English, and the root cause each one suggests.

Keywords are base forms (lemmas), because comments are matched on lemmas: "faktura" meets "fakturan",
"fakturaen" and "fakturaer"; a Nordic compound ending in a keyword of at least five letters matches it too
("mobiltäckning" meets "täckning"), so compounds are listed only when the ending is shorter. A keyword of several
words matches those lemmas in a row; "*" at the end of a keyword matches any ending.

`install_starter_taxonomy(organization)` writes the themes an organization does not have yet (by name), maps each
to the organization's root cause of that name ("Parent > Child" or a top-level name) when there is one, and bumps
the taxonomy version so the comments already analysed are tagged again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db import transaction

from voice.models import LANGUAGES, Taxonomy, Theme

if TYPE_CHECKING:
    from accounts.models import Organization


class StarterTheme(TypedDict):
    name: str
    labels: dict[str, str]
    keywords: dict[str, list[str]]
    examples: dict[str, list[str]]
    root_cause: str  # "Parent > Child", a top-level name, or "" for none (praise needs no root cause)
    children: list[StarterTheme]


def _theme(
    name: str,
    labels: tuple[str, str, str, str],
    keywords: dict[str, list[str]],
    examples: dict[str, list[str]],
    root_cause: str = "",
    children: tuple[StarterTheme, ...] = (),
) -> StarterTheme:
    return {
        "name": name,
        "labels": dict(zip(LANGUAGES, labels, strict=True)),
        "keywords": keywords,
        "examples": examples,
        "root_cause": root_cause,
        "children": list(children),
    }


STARTER_THEMES: list[StarterTheme] = [
    _theme(
        "Installation",
        ("Installation", "Installasjon", "Installation", "Installation"),
        {
            "sv": ["installation", "installera", "inkoppling", "aktivering", "aktivera"],
            "nb": ["installasjon", "installere", "tilkobling", "aktivering", "aktivere"],
            "da": ["installation", "installere", "tilslutning", "aktivering", "aktivere"],
            "en": ["installation", "install", "setup", "set up", "activation", "activate"],
        },
        {
            "sv": ["Installationen gick snabbt och smidigt.", "Det tog tre veckor innan bredbandet var installerat."],
            "nb": ["Installasjonen gikk raskt og greit.", "Det tok tre uker før bredbåndet var installert."],
            "da": ["Installationen gik hurtigt og nemt.", "Der gik tre uger, før bredbåndet var installeret."],
            "en": ["The installation was quick and easy.", "It took three weeks before the broadband was installed."],
        },
        "Technician > Unfinished installation",
        (
            _theme(
                "Booking",
                ("Bokning", "Timebestilling", "Tidsbestilling", "Booking"),
                {
                    "sv": ["bokning", "boka", "avboka", "omboka", "bokningsbekräftelse"],
                    "nb": ["booking", "booke", "bestille time", "avbestille", "timebestilling"],
                    "da": ["booking", "booke", "bestille tid", "aflyse", "tidsbestilling"],
                    "en": ["booking", "book", "appointment", "reschedule", "time slot", "cancel appointment"],
                },
                {
                    "sv": ["Det var lätt att boka en tid för installationen.", "Min bokning försvann ur systemet."],
                    "nb": ["Det var lett å bestille time til installasjonen.", "Bookingen min forsvant fra systemet."],
                    "da": ["Det var nemt at bestille tid til installationen.", "Min booking forsvandt fra systemet."],
                    "en": ["It was easy to book a time for the installation.", "My booking vanished from the system."],
                },
                "Communication > Promise not kept",
            ),
            _theme(
                "Delay",
                ("Försening", "Forsinkelse", "Forsinkelse", "Delay"),
                {
                    "sv": ["försening", "försena", "försenad", "skjuta upp", "uppskjuten"],
                    "nb": ["forsinkelse", "forsinke", "forsinket", "utsette", "utsettelse"],
                    "da": ["forsinkelse", "forsinke", "forsinket", "udsætte", "udskyde"],
                    "en": ["delay", "delayed", "postpone", "postponed", "behind schedule"],
                },
                {
                    "sv": [
                        "Installationen blev försenad två gånger.",
                        "Det dröjde en månad innan fibern var inkopplad.",
                    ],
                    "nb": ["Installasjonen ble forsinket to ganger.", "Installasjonen ble utsatt i en måned."],
                    "da": ["Installationen blev forsinket to gange.", "Installationen blev udskudt en måned."],
                    "en": ["The installation was delayed twice.", "The installation was postponed by a month."],
                },
                "Delivery > Installation delayed",
            ),
        ),
    ),
    _theme(
        "Technician",
        ("Tekniker", "Tekniker", "Tekniker", "Technician"),
        {
            "sv": ["tekniker", "tekniker*", "montör", "installatör", "teknikerbesök"],
            "nb": ["tekniker", "montør", "installatør", "teknikerbesøk"],
            "da": ["tekniker", "montør", "installatør", "teknikerbesøg"],
            "en": ["technician", "engineer", "installer", "technician visit"],
        },
        {
            "sv": ["Teknikern var här i en timme.", "Teknikerbesöket gick bra."],
            "nb": ["Teknikeren var her i en time.", "Teknikerbesøket gikk fint."],
            "da": ["Teknikeren var her i en time.", "Teknikerbesøget gik fint."],
            "en": ["The technician was here for an hour.", "The technician visit went well."],
        },
        "Technician",
        (
            _theme(
                "Late or no-show",
                ("Sen eller uteblev", "Forsinket eller uteble", "Forsinket eller udeblev", "Late or no-show"),
                {
                    "sv": [
                        "utebli",
                        "teknikern kom aldrig",
                        "dök aldrig upp",
                        "timmar för sent",
                        "tog ledigt",
                        "ledig dag",
                    ],
                    "nb": ["utebli", "teknikeren kom aldri", "dukket aldri opp", "timer for sent", "tok fri", "fridag"],
                    "da": [
                        "udeblive",
                        "teknikeren kom aldrig",
                        "dukkede aldrig op",
                        "timer for sent",
                        "fridag",
                        "tog fri",
                    ],
                    "en": [
                        "no-show",
                        "never showed up",
                        "technician never came",
                        "never turned up",
                        "hours late",
                        "day off",
                    ],
                },
                {
                    "sv": ["Teknikern kom aldrig och ingen ringde.", "Teknikern kom tre timmar för sent."],
                    "nb": ["Teknikeren kom aldri, og ingen ringte.", "Teknikeren kom tre timer for sent."],
                    "da": ["Teknikeren kom aldrig, og ingen ringede.", "Teknikeren kom tre timer for sent."],
                    "en": ["The technician never showed up and nobody called.", "The technician was three hours late."],
                },
                "Technician > Late",
            ),
            _theme(
                "Friendly and competent",
                ("Trevlig och kunnig", "Hyggelig og dyktig", "Venlig og dygtig", "Friendly and competent"),
                {
                    "sv": [
                        "noggrann",
                        "proffsig",
                        "kunnig tekniker",
                        "duktig tekniker",
                        "trevlig tekniker",
                        "teknikern var kunnig",
                        "teknikern var trevlig",
                        "teknikern var jättetrevlig",
                        "teknikern kom i tid",
                    ],
                    "nb": [
                        "grundig",
                        "dyktig tekniker",
                        "hyggelig tekniker",
                        "teknikeren var dyktig",
                        "teknikeren var hyggelig",
                        "teknikeren var veldig hyggelig",
                        "teknikeren kom presis",
                    ],
                    "da": [
                        "grundig",
                        "dygtig tekniker",
                        "venlig tekniker",
                        "teknikeren var dygtig",
                        "teknikeren var venlig",
                        "teknikeren var utrolig venlig",
                        "teknikeren kom til tiden",
                    ],
                    "en": [
                        "thorough",
                        "skilled technician",
                        "competent technician",
                        "friendly technician",
                        "technician was competent",
                        "technician was friendly",
                        "technician was on time",
                    ],
                },
                {
                    "sv": ["Teknikern var kunnig och förklarade allt.", "Noggrann och proffsig tekniker."],
                    "nb": ["Teknikeren var dyktig og forklarte alt.", "Grundig og profesjonell tekniker."],
                    "da": ["Teknikeren var dygtig og forklarede det hele.", "Grundig og professionel tekniker."],
                    "en": [
                        "The technician was competent and explained everything.",
                        "A thorough, professional technician.",
                    ],
                },
            ),
        ),
    ),
    _theme(
        "Waiting time",
        ("Väntetid", "Ventetid", "Ventetid", "Waiting time"),
        {
            "sv": ["väntetid", "vänta", "lång tid", "ta tid"],
            "nb": ["ventetid", "vente", "lang tid", "ta tid"],
            "da": ["ventetid", "vente", "lang tid", "tage tid"],
            "en": ["waiting time", "wait", "long time", "too long", "took ages"],
        },
        {
            "sv": ["Jag fick vänta alldeles för länge.", "Lång väntetid för ett enkelt ärende."],
            "nb": ["Jeg måtte vente altfor lenge.", "Lang ventetid for en enkel sak."],
            "da": ["Jeg måtte vente alt for længe.", "Lang ventetid for en enkel sag."],
            "en": ["I had to wait far too long.", "A long waiting time for a simple question."],
        },
        "Customer service > Long queue",
        (
            _theme(
                "Phone queue",
                ("Telefonkö", "Telefonkø", "Telefonkø", "Phone queue"),
                {
                    "sv": ["telefonkö", "kö", "köa", "komma fram på telefon", "telefontid"],
                    "nb": ["telefonkø", "kø", "komme gjennom på telefon"],
                    "da": ["telefonkø*", "minutter i telefonkø", "kø", "komme igennem på telefonen"],
                    "en": ["phone queue", "queue", "on hold", "hold music", "get through"],
                },
                {
                    "sv": ["Över 20 minuter i telefonkö.", "Det var omöjligt att komma fram på telefon."],
                    "nb": ["Over 20 minutter i telefonkø.", "Det var umulig å komme gjennom på telefon."],
                    "da": ["Over 20 minutter i telefonkø.", "Det var umuligt at komme igennem på telefonen."],
                    "en": ["More than 20 minutes in the phone queue.", "I was on hold for half an hour."],
                },
                "Customer service > Long queue",
            ),
            _theme(
                "Delivery",
                ("Leverans", "Levering", "Levering", "Delivery"),
                {
                    "sv": ["leverans", "leverera", "leveranstid", "paket", "frakt*"],
                    "nb": ["levering", "levere", "leveringstid", "pakke", "frakt"],
                    "da": ["levering", "levere*", "leveringstid", "pakke", "fragt"],
                    "en": ["delivery", "deliver", "delivery time", "parcel", "package", "shipping"],
                },
                {
                    "sv": ["Routern levererades en vecka för sent.", "Paketet kom aldrig fram."],
                    "nb": ["Ruteren ble levert en uke for sent.", "Pakken kom aldri frem."],
                    "da": ["Routeren blev leveret en uge for sent.", "Pakken kom aldrig frem."],
                    "en": ["The router was delivered a week late.", "The parcel never arrived."],
                },
                "Delivery > Late delivery",
            ),
        ),
    ),
    _theme(
        "Price",
        ("Pris", "Pris", "Pris", "Price"),
        {
            "sv": ["pris", "pris*", "kostnad", "kosta", "avgift*", "månadskostnad"],
            "nb": ["pris", "kostnad", "koste", "gebyr", "månedspris*"],
            "da": ["pris", "omkostning", "gebyr", "månedspris*"],
            "en": ["price", "cost", "fee", "charge", "monthly fee"],
        },
        {
            "sv": ["Bra pris för bra bredband.", "Avgiften stod ingenstans."],
            "nb": ["God pris for godt bredbånd.", "Gebyret sto ingen steder."],
            "da": ["God pris for godt bredbånd.", "Gebyret stod ingen steder."],
            "en": ["A good price for good broadband.", "The fee was never mentioned."],
        },
        "Billing",
        (
            _theme(
                "Price increase",
                ("Prishöjning", "Prisøkning", "Prisstigning", "Price increase"),
                {
                    "sv": ["prishöjning", "prisökning", "höja priset", "höjt pris", "dyrare"],
                    "nb": ["prisøkning", "prisendring", "økt pris", "øke prisen", "dyrere"],
                    "da": ["prisstigning", "prisforhøjelse", "prisændring", "hæve prisen", "dyrere"],
                    "en": ["price increase", "price rise", "price hike", "raise price", "more expensive"],
                },
                {
                    "sv": ["Prishöjningen kom utan förvarning.", "Ni höjde priset igen utan att fråga."],
                    "nb": ["Prisøkningen kom uten forvarsel.", "Dere økte prisen igjen uten å spørre."],
                    "da": ["Prisstigningen kom uden varsel.", "I hævede prisen igen uden at spørge."],
                    "en": ["The price increase came without warning.", "Another price hike without asking."],
                },
                "Billing > Price increase not announced",
            ),
            _theme(
                "Too expensive",
                ("För dyrt", "For dyrt", "For dyrt", "Too expensive"),
                {
                    "sv": ["dyr", "för dyr", "billigare", "konkurrent", "prisvärd", "ocker"],
                    "nb": ["dyr", "for dyr", "billigere", "konkurrent", "overpriset"],
                    "da": ["dyr*", "billigere", "konkurrent", "overpris"],
                    "en": ["expensive", "too expensive", "overpriced", "cheaper", "competitor", "rip-off"],
                },
                {
                    "sv": ["Dyrt för vad man får.", "Konkurrenterna är mycket billigare."],
                    "nb": ["Dyrt for det man får.", "Konkurrentene er mye billigere."],
                    "da": ["Dyrt for det, man får.", "Konkurrenterne er meget billigere."],
                    "en": ["Expensive for what you get.", "Your competitors are much cheaper."],
                },
                "Billing > Price level",
            ),
        ),
    ),
    _theme(
        "Invoice",
        ("Faktura", "Faktura", "Regning", "Invoice"),
        {
            "sv": ["faktura", "räkning", "fakturering", "e-faktura", "autogiro"],
            "nb": ["faktura", "regning", "fakturering", "efaktura", "avtalegiro"],
            "da": ["faktura", "regning", "fakturering", "betalingsservice"],
            "en": ["invoice", "bill", "billing", "statement"],
        },
        {
            "sv": ["Fakturan kom i tid.", "Räkningen var högre än vanligt."],
            "nb": ["Fakturaen kom i tide.", "Regningen var høyere enn vanlig."],
            "da": ["Regningen kom til tiden.", "Regningen var højere end normalt."],
            "en": ["The invoice arrived on time.", "The bill was higher than usual."],
        },
        "Billing > Unclear invoice",
        (
            _theme(
                "Wrong invoice",
                ("Felaktig faktura", "Feil på fakturaen", "Forkert regning", "Wrong invoice"),
                {
                    "sv": [
                        "felaktig",
                        "fel belopp",
                        "fel faktura",
                        "faktura vara fel",
                        "räkning vara fel",
                        "dubbeldebitering",
                        "betala dubbelt",
                        "kreditnota",
                        "kreditera",
                        "påminnelseavgift",
                    ],
                    "nb": [
                        "feilaktig",
                        "feil beløp",
                        "feil faktura",
                        "feil på fakturaen",
                        "faktura være feil",
                        "regning være feil",
                        "betale dobbelt",
                        "kreditnota",
                        "kreditere",
                        "purregebyr",
                    ],
                    "da": [
                        "fejlagtig",
                        "forkert beløb",
                        "forkert regning",
                        "forkert faktura",
                        "regning være forkert",
                        "faktura være forkert",
                        "opkræve dobbelt",
                        "kreditnota",
                        "kreditere",
                        "rykkergebyr",
                    ],
                    "en": [
                        "wrong invoice",
                        "wrong bill",
                        "wrong amount",
                        "invoice be wrong",
                        "bill be wrong",
                        "incorrect",
                        "overcharge",
                        "charge twice",
                        "double charge",
                        "credit note",
                        "refund",
                    ],
                },
                {
                    "sv": ["Fakturan var fel för andra månaden i rad.", "Jag fick betala dubbelt."],
                    "nb": ["Fakturaen var feil for andre måned på rad.", "Jeg måtte betale dobbelt."],
                    "da": ["Regningen var forkert for anden måned i træk.", "Jeg blev opkrævet dobbelt."],
                    "en": ["The invoice was wrong for the second month running.", "I was charged twice."],
                },
                "Billing > Unexpected charge",
            ),
            _theme(
                "Unclear invoice",
                ("Otydlig faktura", "Uklar faktura", "Uklar regning", "Unclear invoice"),
                {
                    "sv": [
                        "obegriplig",
                        "svårbegriplig",
                        "otydlig faktura",
                        "oklar faktura",
                        "tillägg*",
                        "specifikation",
                    ],
                    "nb": ["uforståelig", "uklar faktura", "vanskelig å forstå", "tillegg", "spesifikasjon"],
                    "da": ["uforståelig", "uklar regning", "svær at forstå", "tillæg", "specifikation"],
                    "en": ["confusing invoice", "unclear invoice", "confusing bill", "hard to understand", "add-on"],
                },
                {
                    "sv": ["Fakturan är helt obegriplig.", "Ingen kunde förklara tilläggen på fakturan."],
                    "nb": ["Fakturaen er helt uforståelig.", "Ingen kunne forklare tilleggene på fakturaen."],
                    "da": ["Regningen er helt uforståelig.", "Ingen kunne forklare tillæggene på regningen."],
                    "en": ["The invoice is impossible to understand.", "Nobody could explain the add-ons on my bill."],
                },
                "Billing > Unclear invoice",
            ),
        ),
    ),
    _theme(
        "Speed",
        ("Hastighet", "Hastighet", "Hastighed", "Speed"),
        {
            "sv": ["hastighet", "mbit", "megabit", "bandbredd", "surfhastighet"],
            "nb": ["hastighet", "mbit", "megabit", "båndbredde"],
            "da": ["hastighed", "mbit", "megabit", "båndbredde"],
            "en": ["speed", "mbps", "megabit", "bandwidth"],
        },
        {
            "sv": ["Hastigheten är långt under det jag betalar för.", "Full hastighet hela tiden."],
            "nb": ["Hastigheten er langt under det jeg betaler for.", "Full hastighet hele tiden."],
            "da": ["Hastigheden er langt under det, jeg betaler for.", "Fuld hastighed hele tiden."],
            "en": ["The speed is far below what I pay for.", "Full speed all the time."],
        },
        "Network > Slow speed",
        (
            _theme(
                "Slow internet",
                ("Långsamt internet", "Tregt nett", "Langsomt internet", "Slow internet"),
                {
                    "sv": ["långsam", "seg", "buffra", "lagga", "hacka", "långsamt internet"],
                    "nb": ["treg", "langsom", "buffre", "lagge", "hakke"],
                    "da": ["langsom", "langsomt", "sløv", "buffer", "hakke", "lagge"],
                    "en": ["slow", "slow internet", "slow connection", "buffering", "lag", "laggy"],
                },
                {
                    "sv": ["Internet är långsamt på kvällarna.", "Filmer buffrar hela tiden."],
                    "nb": ["Nettet er tregt om kveldene.", "Filmer hakker hele tiden."],
                    "da": ["Internettet er langsomt om aftenen.", "Film hakker hele tiden."],
                    "en": ["The internet is slow in the evenings.", "Films keep buffering."],
                },
                "Network > Slow speed",
            ),
        ),
    ),
    _theme(
        "Outage",
        ("Avbrott", "Driftsavbrudd", "Nedbrud", "Outage"),
        {
            "sv": ["avbrott", "driftstörning", "störning", "ligga nere", "nere", "ingen uppkoppling", "utan internet"],
            "nb": ["brudd", "avbrudd", "driftsavbrudd", "nettbrudd", "nede", "ligge nede", "ustabil", "uten internett"],
            "da": ["nedbrud", "afbrydelse", "driftsforstyrrelse", "nede", "ligge nede", "ustabil", "uden internet"],
            "en": ["outage", "downtime", "was down", "went down", "disconnect", "no internet", "unstable", "offline"],
        },
        {
            "sv": ["Internet låg nere hela helgen.", "Tre avbrott på en vecka."],
            "nb": ["Nettet var nede hele helgen.", "Tre brudd på en uke."],
            "da": ["Nettet var nede hele weekenden.", "Tre afbrydelser på en uge."],
            "en": ["The internet was down all weekend.", "Three outages in one week."],
        },
        "Network > Outage",
        (
            _theme(
                "Downtime",
                ("Nertid", "Nedetid", "Nedetid", "Downtime"),
                {
                    "sv": ["nertid", "driftstopp", "dagar utan", "timmar utan", "dygn utan"],
                    "nb": ["nedetid", "driftsstans", "dager uten", "timer uten", "døgn uten"],
                    "da": ["nedetid", "driftsstop", "dage uden", "timer uden", "døgn uden"],
                    "en": ["downtime", "days without", "hours without", "down for hours", "down for days"],
                },
                {
                    "sv": ["Tre dagar utan internet och ingen information.", "Lång nertid mitt i arbetsveckan."],
                    "nb": ["Tre dager uten internett og ingen informasjon.", "Lang nedetid midt i arbeidsuken."],
                    "da": ["Tre dage uden internet og ingen information.", "Lang nedetid midt i arbejdsugen."],
                    "en": [
                        "Three days without internet and no information.",
                        "Long downtime in the middle of the week.",
                    ],
                },
                "Network > Outage",
            ),
        ),
    ),
    _theme(
        "Coverage",
        ("Täckning", "Dekning", "Dækning", "Coverage"),
        {
            "sv": ["täckning", "signal", "mottagning", "5g", "4g"],
            "nb": ["dekning", "signal", "mottak", "5g", "4g"],
            "da": ["dækning", "signal", "modtagelse", "5g", "4g"],
            "en": ["coverage", "signal", "reception", "5g", "4g", "dead zone"],
        },
        {
            "sv": ["Bra täckning även på landet.", "Ingen signal i källaren."],
            "nb": ["God dekning også på landet.", "Ingen signal i kjelleren."],
            "da": ["God dækning også på landet.", "Intet signal i kælderen."],
            "en": ["Good coverage even in the countryside.", "No signal in the basement."],
        },
        "Network > Mobile coverage",
        (
            _theme(
                "Mobile coverage",
                ("Mobiltäckning", "Mobildekning", "Mobildækning", "Mobile coverage"),
                {
                    "sv": ["mobiltäckning", "dålig täckning", "ingen täckning", "mobilnät", "samtal bryts"],
                    "nb": ["mobildekning", "dårlig dekning", "ingen dekning", "mobilnett", "brutte samtaler"],
                    "da": ["mobildækning", "dårlig dækning", "ingen dækning", "mobilnet", "afbrudte opkald"],
                    "en": ["mobile coverage", "poor coverage", "no coverage", "mobile network", "dropped call"],
                },
                {
                    "sv": ["Dålig mobiltäckning hemma.", "Samtalen bryts hela tiden i mobilnätet."],
                    "nb": ["Dårlig mobildekning hjemme.", "Samtalene brytes hele tiden i mobilnettet."],
                    "da": ["Dårlig mobildækning derhjemme.", "Opkaldene bliver afbrudt hele tiden."],
                    "en": ["Poor mobile coverage at home.", "Calls keep dropping on the mobile network."],
                },
                "Network > Mobile coverage",
            ),
        ),
    ),
    _theme(
        "Router & equipment",
        ("Router och utrustning", "Ruter og utstyr", "Router og udstyr", "Router & equipment"),
        {
            "sv": [
                "router",
                "router*",
                "utrustning",
                "modem",
                "wifi",
                "wi-fi",
                "trådlös",
                "mesh",
                "starta om",
                "omstart",
            ],
            "nb": ["ruter*", "router", "utstyr", "modem", "wifi", "trådløs", "mesh", "starte på nytt", "omstart"],
            "da": ["router*", "udstyr", "modem", "wifi", "trådløs", "mesh", "genstarte", "genstart"],
            "en": ["router", "equipment", "modem", "wifi", "wi-fi", "wireless", "mesh", "restart", "reboot"],
        },
        {
            "sv": ["Routern måste startas om varje dag.", "Dålig wifi på övervåningen."],
            "nb": ["Ruteren må startes på nytt hver dag.", "Dårlig wifi i andre etasje."],
            "da": ["Routeren skal genstartes hver dag.", "Dårligt wifi på første sal."],
            "en": ["The router has to be restarted every day.", "Weak wifi upstairs."],
        },
        "Network > Weak Wi-Fi",
    ),
    _theme(
        "Staff",
        ("Personal", "Personale", "Personale", "Staff"),
        {
            "sv": ["personal", "bemötande", "handläggare", "medarbetare", "säljare"],
            "nb": ["personal*", "ansatt*", "saksbehandler", "medarbeider", "selger*"],
            "da": ["personale", "medarbejder", "sagsbehandler*", "ansat", "sælger*", "betjening"],
            "en": ["staff", "employee", "agent", "advisor", "representative", "salesperson"],
        },
        {
            "sv": ["Personalen i butiken tog sig tid.", "Handläggaren ringde tillbaka som utlovat."],
            "nb": ["Personalet i butikken tok seg tid.", "Saksbehandleren ringte tilbake som lovet."],
            "da": ["Personalet i butikken tog sig tid.", "Sagsbehandleren ringede tilbage som lovet."],
            "en": ["The staff in the shop took their time.", "The agent called back as promised."],
        },
        "",
        (
            _theme(
                "Friendly",
                ("Trevligt bemötande", "Hyggelig service", "Venlig betjening", "Friendly"),
                {
                    "sv": ["trevlig", "vänlig", "hjälpsam", "tillmötesgående", "gott bemötande", "trevligt bemötande"],
                    "nb": ["hyggelig", "vennlig", "hjelpsom", "imøtekommende", "blid", "god service"],
                    "da": ["venlig", "flink", "hjælpsom", "imødekommende", "sød", "venlig betjening"],
                    "en": ["friendly", "helpful", "polite", "pleasant", "courteous"],
                },
                {
                    "sv": ["Mycket trevligt bemötande.", "Vänlig och hjälpsam personal."],
                    "nb": ["Veldig hyggelig service.", "Vennlig og hjelpsom betjening."],
                    "da": ["Meget venlig betjening.", "Sød og hjælpsom medarbejder."],
                    "en": ["Very friendly service.", "Kind and helpful staff."],
                },
            ),
            _theme(
                "Unhelpful",
                ("Ohjälpsamt bemötande", "Lite hjelpsom", "Uhjælpsom", "Unhelpful"),
                {
                    "sv": ["otrevlig", "oförskämd", "ohjälpsam", "ointresserad", "nonchalant", "olika besked"],
                    "nb": ["uhøflig", "frekk", "lite hjelpsom", "uinteressert", "nonsjalant", "ulike svar"],
                    "da": ["uhøflig", "uvenlig", "uhjælpsom", "uinteresseret", "nonchalant", "forskellige svar"],
                    "en": ["rude", "unhelpful", "unfriendly", "impolite", "uninterested", "different answer"],
                },
                {
                    "sv": ["Otrevlig och ointresserad handläggare.", "Jag fick olika besked varje gång jag frågade."],
                    "nb": ["Uhøflig og uinteressert saksbehandler.", "Jeg fikk ulike svar hver gang jeg spurte."],
                    "da": ["Uhøflig og uinteresseret medarbejder.", "Jeg fik forskellige svar, hver gang jeg spurgte."],
                    "en": ["A rude and uninterested agent.", "I got a different answer every time I asked."],
                },
                "Customer service > Not resolved at first contact",
            ),
        ),
    ),
    _theme(
        "App & self-service",
        ("App och Mina sidor", "App og Min side", "App og selvbetjening", "App & self-service"),
        {
            "sv": ["app", "mina sidor", "självservice", "inloggning", "logga in", "bankid", "webbplats", "hemsida"],
            "nb": ["app", "min side", "selvbetjening", "innlogging", "logge inn", "bankid", "nettside"],
            "da": ["app", "min side", "selvbetjening", "login", "logge ind", "mitid", "hjemmeside"],
            "en": ["app", "self-service", "my account", "log in", "login", "website", "portal"],
        },
        {
            "sv": ["Appen är smidig och jag ser allt direkt.", "Det går inte att logga in på Mina sidor."],
            "nb": ["Appen er enkel, og jeg ser alt med en gang.", "Det går ikke å logge inn på Min side."],
            "da": ["Appen er nem, og jeg kan se det hele med det samme.", "Jeg kan ikke logge ind på Min side."],
            "en": ["The app is easy and shows everything at once.", "I cannot log in to my account."],
        },
        "Digital channels > App and self-service",
    ),
    _theme(
        "Customer service",
        ("Kundservice", "Kundeservice", "Kundeservice", "Customer service"),
        {
            "sv": ["kundservice", "kundtjänst", "support", "ärende", "återkoppling"],
            "nb": ["kundeservice", "kundesenter", "support", "henvendelse", "tilbakemelding"],
            "da": ["kundeservice", "kundecenter", "support", "henvendelse", "tilbagemelding"],
            "en": ["customer service", "customer support", "support", "helpdesk", "ticket"],
        },
        {
            "sv": ["Kundservice löste mitt ärende direkt.", "Svårt att nå kundservice när något inte fungerar."],
            "nb": ["Kundeservice løste saken min med en gang.", "Vanskelig å nå kundeservice når noe ikke virker."],
            "da": ["Kundeservice løste min sag med det samme.", "Svært at nå kundeservice, når noget ikke virker."],
            "en": [
                "Customer service solved my issue at once.",
                "Hard to reach customer service when something breaks.",
            ],
        },
        "Customer service",
        (
            _theme(
                "Phone support",
                ("Telefonsupport", "Telefonsupport", "Telefonsupport", "Phone support"),
                {
                    "sv": ["i telefon", "per telefon", "telefonsupport", "i luren", "ringa kundservice"],
                    "nb": ["på telefon", "per telefon", "telefonsupport", "ringe kundeservice"],
                    "da": ["i telefon", "pr. telefon", "telefonsupport", "ringe til kundeservice"],
                    "en": ["on the phone", "by phone", "phone support", "call centre", "call center"],
                },
                {
                    "sv": ["Kunnig person i telefon som löste felet.", "Samtalet bröts två gånger."],
                    "nb": ["Dyktig person på telefonen som løste feilen.", "Samtalen ble brutt to ganger."],
                    "da": ["Dygtig person i telefonen, der løste fejlen.", "Opkaldet blev afbrudt to gange."],
                    "en": ["A competent person on the phone fixed it.", "The call was cut off twice."],
                },
                "Customer service > Not resolved at first contact",
            ),
            _theme(
                "Chat",
                ("Chatt", "Chat", "Chat", "Chat"),
                {
                    "sv": ["chatt*", "chatbot"],
                    "nb": ["chat*", "nettprat"],
                    "da": ["chat", "chatte", "chatbot"],
                    "en": ["chat", "chatbot", "chat bot", "live chat"],
                },
                {
                    "sv": ["Fick hjälp direkt i chatten.", "Chattboten gick i cirklar."],
                    "nb": ["Fikk hjelp med en gang i chatten.", "Chatboten gikk i ring."],
                    "da": ["Fik hjælp med det samme i chatten.", "Chatbotten kørte i ring."],
                    "en": ["Got help straight away in the chat.", "The chat bot went round in circles."],
                },
                "Customer service > Transferred several times",
            ),
        ),
    ),
    _theme(
        "Contract & cancellation",
        ("Avtal och uppsägning", "Avtale og oppsigelse", "Aftale og opsigelse", "Contract & cancellation"),
        {
            "sv": ["avtal", "abonnemang", "uppsägning", "säga upp", "bindningstid", "avsluta abonnemang", "kontrakt"],
            "nb": ["avtale", "abonnement", "oppsigelse", "si opp", "bindingstid", "avslutte abonnement", "kontrakt"],
            "da": ["aftale", "abonnement", "opsigelse", "opsige", "bindingsperiode", "afslutte abonnement", "kontrakt"],
            "en": ["contract", "subscription", "cancellation", "cancel", "notice period", "terminate", "lock-in"],
        },
        {
            "sv": ["Det var krångligt att säga upp abonnemanget.", "Bindningstiden stod inte i avtalet."],
            "nb": ["Det var tungvint å si opp abonnementet.", "Bindingstiden sto ikke i avtalen."],
            "da": ["Det var besværligt at opsige abonnementet.", "Bindingsperioden stod ikke i aftalen."],
            "en": ["Cancelling the subscription was a hassle.", "The notice period was not in the contract."],
        },
        "Contract > Cancellation",
    ),
    _theme(
        "Moving",
        ("Flytt", "Flytting", "Flytning", "Moving"),
        {
            "sv": ["flytt*", "flyttanmälan", "ny adress", "adressändring"],
            "nb": ["flytting", "flytte", "flyttemelding", "ny adresse", "adresseendring"],
            "da": ["flytning", "flytte", "flyttemeddelelse", "ny adresse", "adresseændring"],
            "en": ["move", "moving", "relocation", "relocate", "new address", "change of address"],
        },
        {
            "sv": ["Flytten av bredbandet gick smidigt.", "Bredbandet fungerade inte på nya adressen."],
            "nb": ["Flyttingen av bredbåndet gikk greit.", "Bredbåndet virket ikke på den nye adressen."],
            "da": ["Flytningen af bredbåndet gik nemt.", "Bredbåndet virkede ikke på den nye adresse."],
            "en": ["Moving my broadband went smoothly.", "The broadband did not work at my new address."],
        },
        "Contract > Moving",
    ),
]


def iter_starter_themes() -> list[tuple[StarterTheme, StarterTheme | None, int]]:
    """Every starter theme with its parent (None for a top-level theme) and position, parents first."""
    return [(top, None, i) for i, top in enumerate(STARTER_THEMES, start=1)] + [
        (child, top, i) for top in STARTER_THEMES for i, child in enumerate(top["children"], start=1)
    ]


def root_cause_paths(organization: Organization) -> dict[str, object]:
    """The organization's root causes by "Parent > Child" and by top-level name."""
    from actions.models import RootCause

    causes = list(RootCause.objects.for_org(organization).select_related("parent"))
    paths: dict[str, object] = {}
    for cause in causes:
        key = f"{cause.parent.name} > {cause.name}" if cause.parent_id else cause.name
        paths.setdefault(key, cause)
    return paths


@transaction.atomic
def install_starter_taxonomy(organization: Organization, *, user=None) -> int:
    """Create the starter themes the organization does not have yet (by name); return how many were created.

    Idempotent. A theme is mapped to the organization's root cause of the same "Parent > Child" (or top-level)
    name when one exists. When anything was created the taxonomy version is bumped, so comments analysed before
    are tagged again.
    """
    from voice.taxonomy import bump_version

    # Two installs at once (a double click) wait for each other instead of colliding on the unique names.
    Taxonomy.objects.get_or_create(organization=organization)
    Taxonomy.objects.select_for_update().get(pk=organization.pk)
    causes = root_cause_paths(organization)
    existing = {
        (theme.parent_id, theme.name): theme for theme in Theme.objects.for_org(organization).select_related("parent")
    }
    created = 0
    parents: dict[str, Theme] = {}
    for spec, parent_spec, position in iter_starter_themes():
        parent = parents[parent_spec["name"]] if parent_spec else None
        key = (parent.pk if parent else None, spec["name"])
        theme = existing.get(key)
        if theme is None:
            theme = Theme.objects.create(
                organization=organization,
                parent=parent,
                name=spec["name"],
                labels=spec["labels"],
                keywords=spec["keywords"],
                examples=spec["examples"],
                root_cause=causes.get(spec["root_cause"]) if spec["root_cause"] else None,
                origin=Theme.Origin.STARTER,
                position=position,
                created_by=user,
            )
            created += 1
        if parent_spec is None:
            parents[spec["name"]] = theme
    if created:
        bump_version(organization.pk, user=user)
    return created
