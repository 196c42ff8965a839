"""Texts of the demo surveys: comments per language, touchpoint kind and sentiment, and the relationship survey.

Comments name the pain points the journeys list (late technicians, unexpected fees, restarting the router), so
text analytics and root-cause work have recurring themes to find.
"""

from __future__ import annotations


def comment_category(touchpoint_name: str) -> str:
    name = touchpoint_name.lower()
    if "booking" in name:
        return "general"
    if any(word in name for word in ("technician", "installation", "repair")):
        return "tech"
    if any(word in name for word in ("invoice", "billing", "payment")):
        return "billing"
    if any(word in name for word in ("fault", "support", "troubleshooting", "chat", "resolution")):
        return "support"
    return "general"


RELATIONSHIP_NPS_TEXT = {
    "sv": "Allt sammantaget: hur troligt är det att du skulle rekommendera {org} till en vän eller kollega?",
    "nb": "Alt i alt: hvor sannsynlig er det at du vil anbefale {org} til en venn eller kollega?",
    "da": "Alt i alt: hvor sandsynligt er det, at du vil anbefale {org} til en ven eller kollega?",
    "en": "All things considered, how likely is it that you would recommend {org} to a friend or colleague?",
}

FOCUS_OPTIONS = {
    "question": {
        "sv": "Vad ska vi förbättra först?",
        "nb": "Hva bør vi forbedre først?",
        "da": "Hvad skal vi forbedre først?",
        "en": "What should we improve first?",
    },
    "options": [
        ("price", {"sv": "Priset", "nb": "Prisen", "da": "Prisen", "en": "Price"}),
        (
            "stability",
            {
                "sv": "Stabil uppkoppling",
                "nb": "Stabil forbindelse",
                "da": "Stabil forbindelse",
                "en": "A stable connection",
            },
        ),
        ("support", {"sv": "Kundservice", "nb": "Kundeservice", "da": "Kundeservice", "en": "Customer service"}),
        (
            "installation",
            {
                "sv": "Installation och teknikerbesök",
                "nb": "Installasjon og teknikerbesøk",
                "da": "Installation og teknikerbesøg",
                "en": "Installation and technician visits",
            },
        ),
        ("invoice", {"sv": "Fakturan", "nb": "Fakturaen", "da": "Fakturaen", "en": "The invoice"}),
    ],
}

# language -> category -> sentiment -> comments
COMMENTS: dict[str, dict[str, dict[str, list[str]]]] = {
    "sv": {
        "general": {
            "detractor": [
                "Krångligt och tog alldeles för lång tid.",
                "Ingen hörde av sig fast jag blev lovad det.",
                "Dyrt för vad man får.",
                "Jag fick olika besked varje gång jag frågade.",
            ],
            "passive": [
                "Det fungerade, men kunde ha gått smidigare.",
                "Helt okej, inget speciellt.",
                "Bra till slut, men jag fick vänta lite.",
            ],
            "promoter": [
                "Enkelt och snabbt, precis som det ska vara.",
                "Allt fungerade på första försöket.",
                "Trevligt bemötande och tydlig information.",
                "Smidigt från början till slut.",
            ],
        },
        "tech": {
            "detractor": [
                "Teknikern kom långt efter den bokade tiden och ingen ringde.",
                "Uttaget sattes där jag inte ville ha det.",
                "Det behövdes ett andra besök för samma jobb.",
                "Tog ledigt en hel dag och teknikern kom aldrig.",
            ],
            "promoter": [
                "Teknikern kom i tid, var trevlig och förklarade allt.",
                "Snabb och noggrann installation, allt fungerade direkt.",
                "Teknikern ringde innan och frågade var routern skulle sitta.",
            ],
        },
        "billing": {
            "detractor": [
                "Fakturan var högre än jag räknat med, installationsavgiften stod ingenstans.",
                "Kreditnotan kom först efter nästa faktura.",
                "Fick en påminnelseavgift fast jag betalade i tid.",
                "Ingen kunde förklara vad tilläggen på fakturan var.",
            ],
            "promoter": [
                "Fick svar direkt och beloppet krediterades på en gång.",
                "Tydlig faktura och snabb hjälp när jag undrade.",
                "Handläggaren förklarade fakturan pedagogiskt.",
            ],
        },
        "support": {
            "detractor": [
                "Över 20 minuter i telefonkö.",
                "Fick starta om routern gång på gång utan att något hände.",
                "Chattboten gick i cirklar innan jag fick prata med en människa.",
                "Ingen uppdatering förrän felet redan var löst.",
            ],
            "promoter": [
                "Felet var löst på några minuter, kunnig person i telefon.",
                "Fick hjälp direkt i chatten.",
                "De såg felet på linjen direkt och fixade det.",
            ],
        },
        "relationship": {
            "detractor": [
                "Installationen var en mardröm och sedan dess har jag inte litat på er.",
                "För dyrt och uppkopplingen går ner för ofta.",
                "Svårt att nå kundservice när något inte fungerar.",
            ],
            "promoter": [
                "Stabilt bredband och bra service när man behöver den.",
                "Har aldrig haft problem, rekommenderar gärna.",
                "Bra pris och det bara fungerar.",
            ],
        },
    },
    "nb": {
        "general": {
            "detractor": [
                "Tungvint og tok altfor lang tid.",
                "Ingen tok kontakt selv om jeg ble lovet det.",
                "Dyrt for det man får.",
                "Jeg fikk ulike svar hver gang jeg spurte.",
            ],
            "passive": [
                "Det fungerte, men kunne vært enklere.",
                "Helt greit, ikke noe spesielt.",
                "Bra til slutt, men jeg måtte vente litt.",
            ],
            "promoter": [
                "Enkelt og raskt, akkurat som det skal være.",
                "Alt fungerte på første forsøk.",
                "Hyggelig service og tydelig informasjon.",
                "Knirkefritt fra start til slutt.",
            ],
        },
        "tech": {
            "detractor": [
                "Teknikeren kom lenge etter avtalt tid, og ingen ringte.",
                "Kontakten ble satt der jeg ikke ville ha den.",
                "Det trengtes et nytt besøk for den samme jobben.",
                "Tok fri en hel dag, og teknikeren kom aldri.",
            ],
            "promoter": [
                "Teknikeren kom presis, var hyggelig og forklarte alt.",
                "Rask og grundig installasjon, alt virket med en gang.",
                "Teknikeren ringte på forhånd og spurte hvor ruteren skulle stå.",
            ],
        },
        "billing": {
            "detractor": [
                "Fakturaen var høyere enn forventet, installasjonsgebyret sto ingen steder.",
                "Kreditnotaen kom først etter neste faktura.",
                "Fikk purregebyr selv om jeg betalte i tide.",
                "Ingen kunne forklare hva tilleggene på fakturaen var.",
            ],
            "promoter": [
                "Fikk svar med en gang, og beløpet ble kreditert med en gang.",
                "Tydelig faktura og rask hjelp da jeg lurte på noe.",
                "Saksbehandleren forklarte fakturaen på en god måte.",
            ],
        },
        "support": {
            "detractor": [
                "Over 20 minutter i telefonkø.",
                "Måtte starte ruteren på nytt gang på gang uten at noe skjedde.",
                "Chatboten gikk i ring før jeg fikk snakke med et menneske.",
                "Ingen oppdatering før feilen allerede var løst.",
            ],
            "promoter": [
                "Feilen var løst på noen minutter, dyktig person på telefonen.",
                "Fikk hjelp med en gang i chatten.",
                "De så feilen på linjen med en gang og fikset den.",
            ],
        },
        "relationship": {
            "detractor": [
                "Installasjonen var et mareritt, og siden har jeg ikke stolt på dere.",
                "For dyrt, og forbindelsen faller ut for ofte.",
                "Vanskelig å nå kundeservice når noe ikke virker.",
            ],
            "promoter": [
                "Stabilt bredbånd og god service når man trenger det.",
                "Har aldri hatt problemer, anbefaler dere gjerne.",
                "God pris, og det bare virker.",
            ],
        },
    },
    "da": {
        "general": {
            "detractor": [
                "Besværligt og tog alt for lang tid.",
                "Ingen vendte tilbage, selvom jeg fik det lovet.",
                "Dyrt for det, man får.",
                "Jeg fik forskellige svar, hver gang jeg spurgte.",
            ],
            "passive": [
                "Det virkede, men kunne have været nemmere.",
                "Helt fint, ikke noget særligt.",
                "Godt til sidst, men jeg måtte vente lidt.",
            ],
            "promoter": [
                "Nemt og hurtigt, præcis som det skal være.",
                "Alt virkede i første forsøg.",
                "Venlig betjening og klar information.",
                "Gnidningsfrit fra start til slut.",
            ],
        },
        "tech": {
            "detractor": [
                "Teknikeren kom længe efter det aftalte tidspunkt, og ingen ringede.",
                "Stikket blev sat, hvor jeg ikke ville have det.",
                "Der skulle et nyt besøg til for det samme arbejde.",
                "Tog en hel fridag, og teknikeren kom aldrig.",
            ],
            "promoter": [
                "Teknikeren kom til tiden, var venlig og forklarede det hele.",
                "Hurtig og grundig installation, alt virkede med det samme.",
                "Teknikeren ringede i forvejen og spurgte, hvor routeren skulle stå.",
            ],
        },
        "billing": {
            "detractor": [
                "Regningen var højere end forventet, installationsgebyret stod ingen steder.",
                "Kreditnotaen kom først efter næste regning.",
                "Fik rykkergebyr, selvom jeg betalte til tiden.",
                "Ingen kunne forklare, hvad tillæggene på regningen var.",
            ],
            "promoter": [
                "Fik svar med det samme, og beløbet blev krediteret med det samme.",
                "Tydelig regning og hurtig hjælp, da jeg var i tvivl.",
                "Medarbejderen forklarede regningen rigtig godt.",
            ],
        },
        "support": {
            "detractor": [
                "Over 20 minutter i telefonkø.",
                "Skulle genstarte routeren igen og igen, uden at noget skete.",
                "Chatbotten kørte i ring, før jeg fik en rigtig person.",
                "Ingen opdatering, før fejlen allerede var løst.",
            ],
            "promoter": [
                "Fejlen var løst på få minutter, dygtig person i telefonen.",
                "Fik hjælp med det samme i chatten.",
                "De så fejlen på linjen med det samme og ordnede den.",
            ],
        },
        "relationship": {
            "detractor": [
                "Installationen var et mareridt, og siden har jeg ikke stolet på jer.",
                "For dyrt, og forbindelsen falder ud for tit.",
                "Svært at komme igennem til kundeservice, når noget ikke virker.",
            ],
            "promoter": [
                "Stabilt bredbånd og god service, når man har brug for det.",
                "Har aldrig haft problemer, anbefaler jer gerne.",
                "God pris, og det virker bare.",
            ],
        },
    },
    "en": {
        "general": {
            "detractor": [
                "Complicated and took far too long.",
                "Nobody got back to me although they promised to.",
                "Expensive for what you get.",
                "I got a different answer every time I asked.",
            ],
            "passive": [
                "It worked, but it could have been smoother.",
                "Fine, nothing special.",
                "Good in the end, but I had to wait a bit.",
            ],
            "promoter": [
                "Easy and quick, just as it should be.",
                "Everything worked the first time.",
                "Friendly people and clear information.",
                "Smooth from start to finish.",
            ],
        },
        "tech": {
            "detractor": [
                "The technician came long after the booked window and nobody called.",
                "The socket was put where I did not want it.",
                "A second visit was needed for the same job.",
                "Took a whole day off and the technician never showed up.",
            ],
            "promoter": [
                "The technician was on time, friendly and explained everything.",
                "Quick and careful installation, everything worked straight away.",
                "The technician called ahead and asked where I wanted the router.",
            ],
        },
        "billing": {
            "detractor": [
                "The invoice was higher than expected; the installation fee was never mentioned.",
                "The credit note only came after the next invoice.",
                "I was charged a reminder fee although I paid on time.",
                "Nobody could explain the add-ons on my invoice.",
            ],
            "promoter": [
                "Got an answer right away and the amount was credited at once.",
                "Clear invoice and quick help when I had a question.",
                "The agent explained the invoice really well.",
            ],
        },
        "support": {
            "detractor": [
                "More than 20 minutes in the phone queue.",
                "Had to restart the router again and again and nothing changed.",
                "The chat bot went round in circles before I reached a person.",
                "No update until the fault had already been fixed.",
            ],
            "promoter": [
                "Fixed in a few minutes by a competent person on the phone.",
                "Got help straight away in the chat.",
                "They saw the fault on the line at once and fixed it.",
            ],
        },
        "relationship": {
            "detractor": [
                "The installation was a nightmare and I have not trusted you since.",
                "Too expensive and the connection drops too often.",
                "Hard to reach customer service when something does not work.",
            ],
            "promoter": [
                "Stable broadband and good service when you need it.",
                "Never had a problem, happy to recommend you.",
                "Good price and it just works.",
            ],
        },
    },
}
