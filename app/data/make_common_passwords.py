"""Write ``common_passwords.txt``: passwords that people choose often, to be refused.

No list is downloaded (nothing leaves the machine and no breach corpus is copied): the file
is a hand-written list of the most common passwords and words (English and Dutch), plus
patterns generated from them. The password policy (``app.security``) also strips digits and
symbols around a word and undoes simple letter swaps (``p@ssw0rd``), so ``Wachtwoord2024!``
is caught by the word ``wachtwoord`` alone.

Run ``python app/data/make_common_passwords.py`` after changing the lists; a test checks the
file is current.
"""

from __future__ import annotations

import string
from pathlib import Path

OUTPUT = Path(__file__).with_name("common_passwords.txt")
MIN_LENGTH = 4  # shorter entries would never matter: the policy wants 12 characters

# The most common passwords in published top lists, from memory (English-speaking world).
COMMON = """
password passw0rd password1 password123 passwort motdepasse contraseña qwerty qwertz azerty
qwerty123 qwertyuiop abc123 abcd1234 letmein welcome welcome1 monkey dragon football baseball
basketball iloveyou trustno1 sunshine master shadow superman batman spiderman princess
starwars whatever freedom hello hello123 charlie donald michael jordan jordan23 hunter ranger
buster soccer hockey killer george andrew thomas summer winter spring autumn flower cookie
pepper cheese secret admin administrator root login test tester testing guest user changeme
default access computer internet samsung google apple iphone android microsoft windows linux
zxcvbnm asdfgh asdfghjkl zaq12wsx 1qaz2wsx qazwsx 1q2w3e4r 1q2w3e4r5t aa123456 123qwe
qwe123 q1w2e3r4 q1w2e3r4t5 lovely loveme love123 maggie ginger joshua jessica ashley daniel
matthew nicole tigger purple orange yellow banana chocolate blink182 mustang corvette ferrari
porsche mercedes harley yamaha pokemon minecraft fortnite roblox zelda matrix hacker
security secure private public server database oracle mysql postgres welcome123 hello1
hallo123 letmein1 passpass mypassword newpassword oldpassword yourpassword nopassword
superstar rockstar babygirl angel angels heaven jesus christ blessed liverpool chelsea
arsenal manchester barcelona madrid juventus london paris berlin newyork america
"""

# Dutch: passwords, everyday words, clubs, places, the work context of this application.
DUTCH = """
wachtwoord wachtwoord1 wachtwoord123 welkom welkom01 welkom123 geheim geheim123 hallo
hoihoi doei voetbal ajax feyenoord psv azalkmaar fctwente vitesse utrechtfc ado roda
rodajc amsterdam rotterdam utrecht denhaag eindhoven groningen tilburg almere breda
nijmegen arnhem haarlem enschede apeldoorn zwolle leiden maastricht heerlen hengelo
hoensbroek charlois zoetermeer dordrecht nederland holland oranje koning koningin prinses
schat schatje liefde liefje lieverd mama papa mamapapa oma opa kinderen familie gezin
zomer lente herfst voorjaar najaar januari februari maart april mei juni juli augustus
september oktober november december maandag dinsdag woensdag donderdag vrijdag zaterdag
zondag hond honden kat katten poes poesje paard paarden konijn vogel bloem bloemen
zonnetje snoepje ikhouvanjou ikhouvanje jemoeder kaas fiets vakantie kerstmis kerstfeest
sinterklaas pasen koffie thee bier wijn gezellig lekker mooi dikkie stoer toppie
gemeente wijkteam wijkloket buurtteam zorg jeugdzorg jeugd wmo sociaal welzijn
demodorp wijk buurt werk kantoor collega medewerker beheer beheerder gebruiker inloggen
toegang veilig veiligheid welkomterug startwachtwoord tijdelijk nieuwwachtwoord
geheimpje
"""

# Common first names (Dutch and international), often used with a year or a number.
NAMES = """
jan piet kees henk peter johan willem gerrit hans wim frank ronald rene erik bas jeroen
dennis sander stefan richard robert patrick michel martin mark marco marcel edwin
daan sem lucas levi noah finn bram thomas tim lars ruben jesse luuk milan thijs stijn
emma julia sophie anna eva lotte fleur anouk femke iris laura sarah linda sanne lisa
tess zoe mila nina noor sara saskia ingrid monique petra marieke esther wendy kim
mohammed mohamed ahmed ali fatima yasmina ayoub mehmet ayse maria jose john james david
"""

KEYBOARD_WALKS = [
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertyuiopasdfghjklzxcvbnm", "azertyuiop",
    "qwertzuiop", "1qaz2wsx3edc4rfv", "1qaz2wsx3edc", "zaq12wsxcde3", "!qaz@wsx#edc",
    "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6", "qazwsxedcrfv", "poiuytrewq", "lkjhgfdsa",
    "mnbvcxz", "0987654321", "1234567890", "abcdefghijklmnopqrstuvwxyz", "a1b2c3d4e5f6",
]

# Words people put before another word. Digits and symbols around a word need no entries:
# the policy strips them before it looks a word up.
PREFIXES = ["ilove", "iloveyou", "ikhouvan", "my", "mijn", "welkom", "hallo", "super"]


def words(text: str) -> list[str]:
    return [word for word in text.split() if word]


def sequences() -> set[str]:
    """Runs of digits and letters, forwards and backwards, and keyboard rows.

    (Repeated characters and repeated chunks such as ``abcabcabcabc`` need no entries: the
    policy refuses passwords with few different characters or one repeated part.)
    """
    found: set[str] = set()
    digits = "1234567890" * 3
    letters = string.ascii_lowercase * 2
    for length in range(MIN_LENGTH, 25):
        for run in (digits[:length], letters[:length]):
            found.update({run, run[::-1]})
        for start in range(1, 10):
            found.add(digits[start:start + length])
    for walk in KEYBOARD_WALKS:
        for length in range(MIN_LENGTH, len(walk) + 1):
            found.add(walk[:length])
    return found


def generate() -> list[str]:
    common = words(COMMON) + words(DUTCH)
    names = words(NAMES)
    base = common + names + KEYBOARD_WALKS
    entries: set[str] = set(base) | sequences()
    for word in base:
        entries.add(word + word)
    for word in common + names:
        for prefix in PREFIXES:
            entries.add(prefix + word)
    return sorted(entry.lower() for entry in entries if len(entry) >= MIN_LENGTH)


HEADER = """\
# Common passwords, refused by the password policy. Generated by make_common_passwords.py
# (hand-written lists plus patterns; nothing downloaded). Do not edit by hand.
"""


def render() -> str:
    return HEADER + "\n".join(generate()) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"{OUTPUT}: {len(generate())} entries")
