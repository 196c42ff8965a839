"""The demo's comment bank for the voice of the customer: the same remark in Swedish, Norwegian, Danish and English,
with the starter theme it is mainly about, whether it reads negative, mixed or positive, and the kinds of
touchpoint it fits.

Detractors complain about outages, wrong invoices, waiting and price increases; promoters praise friendly
technicians, quick installations and the app; passives are mostly mixed ("the technician was lovely but the
invoice was wrong"). `EMERGING` is what customers started to write about in the last weeks (the new app version's
login trouble), `OTHER_LANGUAGE` comments are in none of the four analysed languages and `PERSONAL_DATA` sentences
add a phone number or an e-mail address for the masking to find.
"""

from __future__ import annotations

from dataclasses import dataclass

NEGATIVE, MIXED, POSITIVE = "negative", "mixed", "positive"
# Kinds of touchpoint (see `topic_for`); relationship comments may be about anything.
TECH, BILLING, SUPPORT, ORDER, APP, MOVING, CANCELLATION = (
    "tech",
    "billing",
    "support",
    "order",
    "app",
    "moving",
    "cancellation",
)


@dataclass(frozen=True)
class Remark:
    theme: str  # the starter top-level theme it is mainly about
    tone: str
    topics: tuple[str, ...]
    sv: str
    nb: str
    da: str
    en: str

    def text(self, language: str) -> str:
        return getattr(self, language)


def topic_for(touchpoint_name: str | None) -> str:
    """The kind of touchpoint a demo touchpoint is ("relationship" for the relationship survey)."""
    if not touchpoint_name:
        return "relationship"
    name = touchpoint_name.lower()
    rules = [
        (("moving", "address", "transfer", "switch-over"), MOVING),
        (("cancellation", "retention", "equipment return", "final invoice"), CANCELLATION),
        (("invoice", "billing", "payment"), BILLING),
        (("technician", "installation", "repair"), TECH),
        (("fault", "support", "troubleshooting", "resolution", "status"), SUPPORT),
        (("app", "activation", "wi-fi", "router"), APP),
    ]
    for words, topic in rules:
        if any(word in name for word in words):
            return topic
    return ORDER


R = Remark
REMARKS: list[Remark] = [
    # -- negative ------------------------------------------------------------------------------------------------
    R(
        "Outage",
        NEGATIVE,
        (SUPPORT, MOVING),
        "Internet låg nere i tre dagar och ingen information om när det skulle fungera igen.",
        "Nettet var nede i tre dager, og ingen informasjon om når det ville virke igjen.",
        "Nettet var nede i tre dage, og ingen information om, hvornår det ville virke igen.",
        "The internet was down for three days with no information about when it would work again.",
    ),
    R(
        "Outage",
        NEGATIVE,
        (SUPPORT,),
        "Ständiga avbrott på kvällarna, omöjligt att jobba hemifrån.",
        "Stadige brudd om kveldene, umulig å jobbe hjemmefra.",
        "Konstante afbrydelser om aftenen, umuligt at arbejde hjemmefra.",
        "Constant outages in the evenings, impossible to work from home.",
    ),
    R(
        "Outage",
        NEGATIVE,
        (SUPPORT,),
        "Andra driftstörningen den här månaden. Dåligt.",
        "Andre driftsavbrudd denne måneden. Dårlig.",
        "Anden driftsforstyrrelse denne måned. Dårligt.",
        "The second outage this month. Poor.",
    ),
    R(
        "Invoice",
        NEGATIVE,
        (BILLING,),
        "Fakturan var fel igen, jag fick betala dubbelt för november.",
        "Fakturaen var feil igjen, jeg måtte betale dobbelt for november.",
        "Regningen var forkert igen, jeg blev opkrævet dobbelt for november.",
        "The invoice was wrong again and I was charged twice for November.",
    ),
    R(
        "Invoice",
        NEGATIVE,
        (BILLING, CANCELLATION),
        "Felaktig faktura och det tog tre samtal att få den krediterad.",
        "Feil på fakturaen, og det tok tre samtaler å få den kreditert.",
        "Forkert regning, og det tog tre opkald at få den krediteret.",
        "A wrong invoice and it took three calls to get it credited.",
    ),
    R(
        "Invoice",
        NEGATIVE,
        (BILLING,),
        "Obegriplig faktura, ingen kunde förklara tilläggen.",
        "Uforståelig faktura, ingen kunne forklare tilleggene.",
        "Uforståelig regning, ingen kunne forklare tillæggene.",
        "A confusing invoice and nobody could explain the add-ons.",
    ),
    R(
        "Price",
        NEGATIVE,
        (BILLING, CANCELLATION),
        "Ännu en prishöjning utan förvarning. Jag funderar på att byta leverantör.",
        "Enda en prisøkning uten forvarsel. Jeg vurderer å bytte leverandør.",
        "Endnu en prisstigning uden varsel. Jeg overvejer at skifte udbyder.",
        "Another price increase without warning. I am thinking of switching provider.",
    ),
    R(
        "Price",
        NEGATIVE,
        (BILLING, ORDER, CANCELLATION),
        "Alldeles för dyrt jämfört med konkurrenterna.",
        "Altfor dyrt sammenlignet med konkurrentene.",
        "Alt for dyrt i forhold til konkurrenterne.",
        "Far too expensive compared with your competitors.",
    ),
    R(
        "Waiting time",
        NEGATIVE,
        (SUPPORT, BILLING),
        "45 minuter i telefonkö för en enkel fråga. Oacceptabelt.",
        "45 minutter i telefonkø for et enkelt spørsmål. Uakseptabelt.",
        "45 minutter i telefonkø for et enkelt spørgsmål. Uacceptabelt.",
        "45 minutes in the phone queue for a simple question. Unacceptable.",
    ),
    R(
        "Waiting time",
        NEGATIVE,
        (SUPPORT, BILLING, ORDER, CANCELLATION),
        "Fick vänta alldeles för länge på svar från kundservice.",
        "Måtte vente altfor lenge på svar fra kundeservice.",
        "Måtte vente alt for længe på svar fra kundeservice.",
        "I had to wait far too long for an answer from customer service.",
    ),
    R(
        "Waiting time",
        NEGATIVE,
        (ORDER, APP),
        "Routern levererades en vecka för sent, så jag stod utan internet.",
        "Ruteren ble levert en uke for sent, så jeg sto uten internett.",
        "Routeren blev leveret en uge for sent, så jeg stod uden internet.",
        "The router was delivered a week late, so I was left without internet.",
    ),
    R(
        "Technician",
        NEGATIVE,
        (TECH,),
        "Tog ledigt en hel dag och teknikern kom aldrig. Ingen ringde.",
        "Tok fri en hel dag, og teknikeren kom aldri. Ingen ringte.",
        "Tog en hel fridag, og teknikeren kom aldrig. Ingen ringede.",
        "I took a day off and the technician never came. Nobody called.",
    ),
    R(
        "Technician",
        NEGATIVE,
        (TECH,),
        "Teknikern kom tre timmar för sent och hade fel utrustning med sig.",
        "Teknikeren kom tre timer for sent og hadde med feil utstyr.",
        "Teknikeren kom tre timer for sent og havde det forkerte udstyr med.",
        "The technician came three hours late and brought the wrong equipment.",
    ),
    R(
        "Installation",
        NEGATIVE,
        (TECH, ORDER),
        "Installationen blev försenad två gånger. Mycket frustrerande.",
        "Installasjonen ble forsinket to ganger. Veldig frustrerende.",
        "Installationen blev forsinket to gange. Meget frustrerende.",
        "The installation was delayed twice. Very frustrating.",
    ),
    R(
        "Installation",
        NEGATIVE,
        (TECH, ORDER),
        "Min bokning försvann och jag fick boka om installationen tre gånger.",
        "Bookingen min forsvant, og jeg måtte booke installasjonen på nytt tre ganger.",
        "Min booking forsvandt, og jeg måtte booke installationen om tre gange.",
        "My booking disappeared and I had to reschedule the installation three times.",
    ),
    R(
        "Speed",
        NEGATIVE,
        (SUPPORT, APP),
        "Långsamt internet på kvällarna, filmerna buffrar hela tiden.",
        "Tregt nett om kveldene, filmene hakker hele tiden.",
        "Langsomt internet om aftenen, filmene hakker hele tiden.",
        "Slow internet in the evenings, films keep buffering.",
    ),
    R(
        "Speed",
        NEGATIVE,
        (SUPPORT, BILLING),
        "Hastigheten är bara hälften av det jag betalar för.",
        "Hastigheten er bare halvparten av det jeg betaler for.",
        "Hastigheden er kun halvdelen af det, jeg betaler for.",
        "The speed is only half of what I pay for.",
    ),
    R(
        "Coverage",
        NEGATIVE,
        (SUPPORT, MOVING),
        "Dålig mobiltäckning hemma, samtalen bryts hela tiden.",
        "Dårlig mobildekning hjemme, samtalene brytes hele tiden.",
        "Dårlig mobildækning derhjemme, opkaldene bliver hele tiden afbrudt.",
        "Poor mobile coverage at home, calls keep dropping.",
    ),
    R(
        "Coverage",
        NEGATIVE,
        (SUPPORT, CANCELLATION),
        "Ingen täckning alls i vårt sommarhus. Dåligt.",
        "Ingen dekning i det hele tatt på hytta. Dårlig.",
        "Ingen dækning overhovedet i vores sommerhus. Dårligt.",
        "No coverage at all at our summer house. Poor.",
    ),
    R(
        "Router & equipment",
        NEGATIVE,
        (SUPPORT, APP),
        "Routern måste startas om varje dag och wifi når inte övervåningen.",
        "Ruteren må startes på nytt hver dag, og wifi når ikke andre etasje.",
        "Routeren skal genstartes hver dag, og wifi når ikke op på første sal.",
        "The router has to be restarted every day and the wifi does not reach upstairs.",
    ),
    R(
        "Staff",
        NEGATIVE,
        (SUPPORT, BILLING, CANCELLATION, ORDER),
        "Otrevlig handläggare och jag fick olika besked varje gång.",
        "Uhøflig saksbehandler, og jeg fikk ulike svar hver gang.",
        "Uhøflig medarbejder, og jeg fik forskellige svar hver gang.",
        "A rude agent, and I got a different answer every time.",
    ),
    R(
        "Customer service",
        NEGATIVE,
        (SUPPORT,),
        "Chattboten gick i cirklar och jag kom aldrig fram till en människa.",
        "Chatboten gikk i ring, og jeg fikk aldri snakke med et menneske.",
        "Chatbotten kørte i ring, og jeg fik aldrig fat i et menneske.",
        "The chat bot went round in circles and I never reached a human.",
    ),
    R(
        "Customer service",
        NEGATIVE,
        (SUPPORT, BILLING, ORDER),
        "Kundservice lovade att ringa tillbaka men ingen hörde av sig.",
        "Kundeservice lovet å ringe tilbake, men ingen tok kontakt.",
        "Kundeservice lovede at ringe tilbage, men ingen vendte tilbage.",
        "Customer service promised to call back but nobody did.",
    ),
    R(
        "Contract & cancellation",
        NEGATIVE,
        (CANCELLATION,),
        "Krångligt att säga upp abonnemanget, ni gör det onödigt svårt.",
        "Tungvint å si opp abonnementet, dere gjør det unødvendig vanskelig.",
        "Besværligt at opsige abonnementet, I gør det unødvendigt svært.",
        "Cancelling the subscription was a hassle, you make it needlessly hard.",
    ),
    R(
        "Contract & cancellation",
        NEGATIVE,
        (CANCELLATION, ORDER),
        "Bindningstiden stod inte i avtalet jag skrev på.",
        "Bindingstiden sto ikke i avtalen jeg signerte.",
        "Bindingsperioden stod ikke i den aftale, jeg skrev under på.",
        "The lock-in period was not in the contract I signed.",
    ),
    R(
        "Moving",
        NEGATIVE,
        (MOVING,),
        "Flytten av bredbandet tog fem veckor, vi stod utan internet på nya adressen.",
        "Flyttingen av bredbåndet tok fem uker, vi sto uten internett på den nye adressen.",
        "Flytningen af bredbåndet tog fem uger, vi stod uden internet på den nye adresse.",
        "Moving the broadband took five weeks and we had no internet at the new address.",
    ),
    R(
        "Moving",
        NEGATIVE,
        (MOVING,),
        "Flyttanmälan på webben fungerade inte, jag fick ringa in.",
        "Flyttemeldingen på nettsiden virket ikke, jeg måtte ringe.",
        "Flyttemeddelelsen på hjemmesiden virkede ikke, jeg måtte ringe.",
        "The moving notice on the website did not work, I had to call.",
    ),
    R(
        "App & self-service",
        NEGATIVE,
        (APP, BILLING),
        "Appen kraschar när jag försöker betala fakturan.",
        "Appen krasjer når jeg prøver å betale fakturaen.",
        "Appen går ned, når jeg prøver at betale regningen.",
        "The app crashes when I try to pay the bill.",
    ),
    # -- positive ------------------------------------------------------------------------------------------------
    R(
        "Technician",
        POSITIVE,
        (TECH,),
        "Teknikern kom i tid, var jättetrevlig och förklarade allt.",
        "Teknikeren kom presis, var veldig hyggelig og forklarte alt.",
        "Teknikeren kom til tiden, var utrolig venlig og forklarede det hele.",
        "The technician was on time, really friendly and explained everything.",
    ),
    R(
        "Technician",
        POSITIVE,
        (TECH,),
        "Noggrann och kunnig tekniker som tog sig tid att placera routern rätt.",
        "Grundig og dyktig tekniker som tok seg tid til å plassere ruteren riktig.",
        "Grundig og dygtig tekniker, der tog sig tid til at placere routeren rigtigt.",
        "A thorough, skilled technician who took the time to place the router right.",
    ),
    R(
        "Installation",
        POSITIVE,
        (TECH, ORDER),
        "Snabb installation, allt fungerade direkt.",
        "Rask installasjon, alt virket med en gang.",
        "Hurtig installation, alt virkede med det samme.",
        "Quick installation, everything worked straight away.",
    ),
    R(
        "Installation",
        POSITIVE,
        (TECH, ORDER),
        "Lätt att boka tid och installationen gick smidigt.",
        "Lett å bestille time, og installasjonen gikk knirkefritt.",
        "Nemt at bestille tid, og installationen gik gnidningsfrit.",
        "Easy to book a time and the installation went smoothly.",
    ),
    R(
        "App & self-service",
        POSITIVE,
        (APP, BILLING, ORDER),
        "Appen är smidig, jag ser allt och kan betala direkt.",
        "Appen er enkel, jeg ser alt og kan betale med en gang.",
        "Appen er nem, jeg kan se det hele og betale med det samme.",
        "The app is great, I can see everything and pay right away.",
    ),
    R(
        "App & self-service",
        POSITIVE,
        (APP, ORDER, MOVING),
        "Enkelt att göra allt själv på Mina sidor.",
        "Enkelt å gjøre alt selv på Min side.",
        "Nemt at klare det hele selv på Min side.",
        "Easy to do everything myself in my account.",
    ),
    R(
        "Staff",
        POSITIVE,
        (SUPPORT, BILLING, ORDER, CANCELLATION, MOVING),
        "Mycket trevligt bemötande och snabb hjälp.",
        "Veldig hyggelig service og rask hjelp.",
        "Meget venlig betjening og hurtig hjælp.",
        "Very friendly staff and quick help.",
    ),
    R(
        "Customer service",
        POSITIVE,
        (SUPPORT,),
        "Kunnig person i telefon som löste felet på några minuter.",
        "Dyktig person på telefonen som løste feilen på noen minutter.",
        "Dygtig person i telefonen, der løste fejlen på få minutter.",
        "A competent person on the phone fixed the fault in a few minutes.",
    ),
    R(
        "Customer service",
        POSITIVE,
        (SUPPORT, BILLING),
        "Fick hjälp direkt i chatten, toppen!",
        "Fikk hjelp med en gang i chatten, topp!",
        "Fik hjælp med det samme i chatten, super!",
        "Got help straight away in the chat, brilliant!",
    ),
    R(
        "Invoice",
        POSITIVE,
        (BILLING,),
        "Tydlig faktura och snabb hjälp när jag undrade över något.",
        "Tydelig faktura og rask hjelp da jeg lurte på noe.",
        "Tydelig regning og hurtig hjælp, da jeg var i tvivl om noget.",
        "A clear invoice and quick help when I had a question.",
    ),
    R(
        "Speed",
        POSITIVE,
        (SUPPORT, APP),
        "Stabil uppkoppling och full hastighet hela tiden.",
        "Stabil forbindelse og full hastighet hele tiden.",
        "Stabil forbindelse og fuld hastighed hele tiden.",
        "A stable connection and full speed all the time.",
    ),
    R(
        "Price",
        POSITIVE,
        (BILLING, ORDER, CANCELLATION),
        "Bra pris för ett bredband som bara fungerar.",
        "God pris for et bredbånd som bare virker.",
        "God pris for et bredbånd, der bare virker.",
        "A good price for broadband that just works.",
    ),
    R(
        "Moving",
        POSITIVE,
        (MOVING,),
        "Flytten gick smidigt, internet fungerade redan första dagen på nya adressen.",
        "Flyttingen gikk greit, nettet virket allerede første dag på den nye adressen.",
        "Flytningen gik nemt, internettet virkede allerede første dag på den nye adresse.",
        "The move went smoothly, the internet worked on day one at the new address.",
    ),
    R(
        "Contract & cancellation",
        POSITIVE,
        (CANCELLATION,),
        "Smidig uppsägning och trevlig personal, jag kommer gärna tillbaka.",
        "Enkel oppsigelse og hyggelig personale, jeg kommer gjerne tilbake.",
        "Nem opsigelse og venligt personale, jeg kommer gerne tilbage.",
        "An easy cancellation and friendly staff, I would happily come back.",
    ),
    R(
        "Coverage",
        POSITIVE,
        (SUPPORT, MOVING),
        "Bra täckning även ute på landet.",
        "God dekning også ute på landet.",
        "God dækning også ude på landet.",
        "Good coverage even out in the countryside.",
    ),
    R(
        "Router & equipment",
        POSITIVE,
        (APP, TECH),
        "Routern var lätt att installera och wifi når hela huset.",
        "Ruteren var lett å installere, og wifi når hele huset.",
        "Routeren var nem at installere, og wifi når hele huset.",
        "The router was easy to set up and the wifi covers the whole house.",
    ),
    R(
        "Waiting time",
        POSITIVE,
        (ORDER, APP),
        "Snabb leverans, routern kom dagen efter beställningen.",
        "Rask levering, ruteren kom dagen etter bestillingen.",
        "Hurtig levering, routeren kom dagen efter bestillingen.",
        "Fast delivery, the router arrived the day after I ordered.",
    ),
    # -- mixed ---------------------------------------------------------------------------------------------------
    R(
        "Invoice",
        MIXED,
        (TECH, BILLING),
        "Teknikern var jättetrevlig men fakturan var fel.",
        "Teknikeren var veldig hyggelig, men fakturaen var feil.",
        "Teknikeren var utrolig venlig, men regningen var forkert.",
        "The technician was really friendly but the invoice was wrong.",
    ),
    R(
        "Price",
        MIXED,
        (BILLING, CANCELLATION),
        "Bra och stabilt internet, men prishöjningen i år var för mycket.",
        "Godt og stabilt nett, men prisøkningen i år var for mye.",
        "Godt og stabilt internet, men prisstigningen i år var for meget.",
        "Good, stable internet, but this year's price increase was too much.",
    ),
    R(
        "Waiting time",
        MIXED,
        (SUPPORT, BILLING),
        "Trevlig personal i telefon, men 30 minuter i telefonkö först.",
        "Hyggelig personale på telefonen, men 30 minutter i telefonkø først.",
        "Venligt personale i telefonen, men 30 minutter i telefonkø først.",
        "Friendly staff on the phone, but 30 minutes in the phone queue first.",
    ),
    R(
        "App & self-service",
        MIXED,
        (APP, BILLING),
        "Appen är bra men inloggningen krånglar ibland.",
        "Appen er bra, men innloggingen krøller seg av og til.",
        "Appen er god, men login driller nogle gange.",
        "The app is good but logging in is sometimes a pain.",
    ),
    R(
        "Router & equipment",
        MIXED,
        (TECH, SUPPORT, APP),
        "Installationen gick bra, men routern behövde bytas efter en vecka.",
        "Installasjonen gikk fint, men ruteren måtte byttes etter en uke.",
        "Installationen gik fint, men routeren skulle skiftes efter en uge.",
        "The installation went fine, but the router had to be replaced after a week.",
    ),
    R(
        "Waiting time",
        MIXED,
        (SUPPORT, TECH),
        "Felet blev löst till slut, men det tog alldeles för lång tid.",
        "Feilen ble løst til slutt, men det tok altfor lang tid.",
        "Fejlen blev løst til sidst, men det tog alt for lang tid.",
        "The fault was fixed in the end, but it took far too long.",
    ),
    R(
        "Moving",
        MIXED,
        (MOVING,),
        "Flytten fungerade, men ingen berättade att det skulle bli ett avbrott.",
        "Flyttingen fungerte, men ingen fortalte at det ville bli et brudd.",
        "Flytningen virkede, men ingen fortalte, at der ville komme en afbrydelse.",
        "The move worked, but nobody told us there would be an outage.",
    ),
    R(
        "Speed",
        MIXED,
        (SUPPORT, BILLING),
        "Okej hastighet, men dyrt för vad man får.",
        "Grei hastighet, men dyrt for det man får.",
        "Okay hastighed, men dyrt for det, man får.",
        "Decent speed, but expensive for what you get.",
    ),
]

# The new app version's login trouble: written in the last weeks only (the demo's emerging theme).
EMERGING: list[Remark] = [
    R(
        "App & self-service",
        NEGATIVE,
        (),
        "Sedan senaste uppdateringen av appen kan jag inte logga in. Irriterande!",
        "Etter siste oppdatering av appen får jeg ikke logget inn. Irriterende!",
        "Efter den seneste opdatering af appen kan jeg ikke logge ind. Irriterende!",
        "Since the latest app update I cannot log in. Annoying!",
    ),
    R(
        "App & self-service",
        NEGATIVE,
        (),
        "Nya appen är sämre, inloggningen med BankID fungerar inte.",
        "Den nye appen er dårligere, innloggingen med BankID virker ikke.",
        "Den nye app er blevet dårligere, jeg kan slet ikke logge ind med MitID.",
        "The new app is worse, logging in does not work at all.",
    ),
    R(
        "App & self-service",
        NEGATIVE,
        (),
        "Appen hänger sig efter uppdateringen och jag kan inte se min faktura.",
        "Appen henger etter oppdateringen, og jeg får ikke sett fakturaen min.",
        "Appen hænger efter opdateringen, og jeg kan ikke se min regning.",
        "The app freezes since the update and I cannot see my bill.",
    ),
]

# Comments in a language the analysis does not cover (the respondent's survey language is one of the four).
OTHER_LANGUAGE = [
    "Der Techniker kam drei Stunden zu spät und niemand hat angerufen.",
    "Lasku oli väärä ja asiakaspalvelussa oli pitkä jono.",
    "Internet nie działa od trzech dni, bardzo słaba obsługa.",
    "El técnico fue muy amable y todo funcionó enseguida.",
    "Très bon service, merci à toute l'équipe.",
]

# A sentence with personal data, added after a comment now and then ({phone} / {email}).
PERSONAL_DATA = {
    "sv": ["Ring mig gärna på {phone}.", "Mejla mig på {email} så förklarar jag mer."],
    "nb": ["Ring meg gjerne på {phone}.", "Send meg en e-post på {email}, så forklarer jeg mer."],
    "da": ["Ring gerne til mig på {phone}.", "Skriv til mig på {email}, så forklarer jeg mere."],
    "en": ["Please call me on {phone}.", "Email me at {email} and I will explain."],
}


def phone_number(language: str, rng) -> str:
    """A made-up phone number written the way a customer of that country would."""
    if language == "nb":
        return f"+47 {rng.randint(400, 999)} {rng.randint(10, 99)} {rng.randint(100, 999)}"
    if language == "da":
        return f"+45 {rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    if language == "en":
        return f"07700 900{rng.randint(100, 999)}"
    return f"07{rng.randint(0, 9)}-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
