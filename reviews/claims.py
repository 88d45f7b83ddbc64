"""
What a sentence claims, for the content checks: the words a reviewing physician must look at.

`sentence_claims(sentence)` returns the claims one sentence makes, each with its kind and the
words that make it:

- `absolute`: an absolute efficacy or safety claim ("is completely harmless", "works every
  time", "permanently eliminates", "more effective than any other", "no side effects",
  "guaranteed", "all patients ... stop their painkillers");
- `unnamed_evidence`: an appeal to evidence or authority that names no source ("studies show",
  "experts agree", "the evidence is clear", "a major review concluded", "it is widely known");
- `promotional`: advertising language ("game-changing", "state-of-the-art", "miracle",
  "amazing results", "unmatched");
- `statistic`: a figure a reader takes as fact: percentages, ratios and fractions in digits or
  words ("two in three", "half of all patients", "one-third"), multiples ("three times more
  likely", "doubled"), population counts ("millions of people"), averages;
- `dosing`: a dose, a dosing interval or an infusion rate ("0.5 mg/kg over 40 minutes",
  "10 mL twice daily", "every 12 hours").

Negation and caution count. A claim word inside a negated or cautionary clause is not a claim:
"this is not a cure", "no treatment can promise that", "be wary of clinics that promise
guaranteed results", "do not believe adverts claiming ...". Hedging ("may", "might", "some
people") takes the absoluteness out of an efficacy claim, but not the need to source a figure.
Questions claim nothing. A phrase that is itself negative ("no side effects", "not addictive")
is a claim, not a negation.

The rules are word lists and short patterns over the sentence's words, written to generalise
(synonyms, inflections, word order) rather than to match example sentences; the labelled corpus
in tests/data/claims/ measures how well (README, "Content checks"). Every pattern is linear:
no nested or adjacent unbounded repetition.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

ABSOLUTE = "absolute"
UNNAMED_EVIDENCE = "unnamed_evidence"
PROMOTIONAL = "promotional"
STATISTIC = "statistic"
DOSING = "dosing"

KINDS = (ABSOLUTE, UNNAMED_EVIDENCE, PROMOTIONAL, STATISTIC, DOSING)


@dataclass(frozen=True)
class Claim:
    """One claim in a sentence: its kind and the words that make it."""

    kind: str
    phrase: str


def _words(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


# At most `n` words in between, bounded so the patterns stay linear.
def _gap(n: int) -> str:
    return rf"(?:[\w'’-]+\s+){{0,{n}}}"


NUMBER_WORDS = _words(
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
    "ninety", "a hundred", "hundred", "a dozen", "a thousand",
)
NUMBER = rf"(?:\d+(?:[.,]\d+)*|{NUMBER_WORDS})"
POPULATION = _words(
    r"people", r"person", r"patients?", r"adults?", r"children", r"kids", r"teenagers",
    r"women", r"men", r"users?", r"sufferers?", r"cases", r"americans", r"britons", r"individuals",
    r"participants", r"smokers", r"workers", r"athletes", r"veterans", r"those",
    r"(?:the\s+)?population", r"people's", r"lives", r"visits", r"prescriptions",
    r"deaths", r"admissions", r"consultations",
)
BENEFIT = _words(
    r"work(?:s|ed)?", r"help(?:s|ed)?", r"benefit(?:s|ed)?", r"respond(?:s|ed)?",
    r"improve(?:s|d)?", r"relieve(?:s|d)?", r"recover(?:s|ed)?", r"heal(?:s|ed)?",
    r"succeed(?:s|ed)?", r"effective", r"get(?:s)?\s+better", r"feel(?:s)?\s+better",
    r"stop(?:s)?\s+(?:their|your|taking)", r"come(?:s)?\s+off", r"pain[- ]free",
    r"fix(?:es|ed)?", r"cure(?:s|d)?", r"resolve(?:s|d)?", r"end(?:s|ed)?",
)

ABSOLUTE_PATTERNS = [
    _compile(p)
    for p in (
        # Safety absolutes.
        r"\b(?:completely|totally|perfectly|entirely|absolutely|fully|100\s?%|100\s+per\s?cent)"
        r"\s+(?:safe|harmless|risk[- ]free|painless|non[- ]?addictive|natural\s+and\s+safe)\b",
        r"\bharmless\b",
        r"\brisk[- ]free\b",
        r"\b(?:zero|no|without(?:\s+any)?|free\s+(?:of|from)(?:\s+any)?)\s+"
        + _gap(2)
        + r"(?:risks?|dangers?|side[- ]effects?|complications?|downsides?|adverse\s+effects?)\b",
        r"\bside[- ]effect[- ]free\b",
        r"\b(?:not|non-?|never)\s*(?:habit[- ]forming|addictive)\b",
        r"\b(?:no|zero)\s+" + _gap(2) + r"(?:addiction|dependence|dependency|withdrawal)\b",
        r"\bcan(?:not|'t|’t)\s+(?:become|get)\s+(?:addicted|hooked)\b",
        r"\bsafe\s+for\s+(?:everyone|everybody|all|anyone|any)\b",
        r"\b(?:the\s+)?safest\b",
        # Cure, elimination, permanence.
        r"\bcur(?:e|es|ed|ing)\b",
        r"\b(?:eliminat|eradicat|banish|erase|abolish)\w*\s+" + _gap(3)
        + r"(?:pain|symptoms?|migraines?|headaches?|aches?|arthritis|inflammation|attacks?)\b",
        r"\bpermanent(?:ly)?\s+" + _gap(2)
        + r"(?:relie\w*|cur\w*|fix\w*|solution|results?|eliminat\w*|end\w*|remov\w*|resolv\w*"
        r"|heal\w*|gone|free|repair\w*|restor\w*)",
        r"\b(?:eliminat|remov|resolv|end|fix|cur|heal|stop|gone|go\s+away|disappear|vanish"
        r"|clear)\w*\s+" + _gap(4)
        + r"(?:permanently|for\s+good|forever|for\s+ever|once\s+and\s+for\s+all)\b",
        r"\b(?:for\s+good|forever|once\s+and\s+for\s+all|lasts?\s+a\s+lifetime"
        r"|for\s+the\s+rest\s+of\s+your\s+life|never\s+(?:come|comes|return|returns)\s+back"
        r"|never\s+returns?)\b",
        r"\bnever\s+(?:have|get|feel|suffer|experience)\s+" + _gap(2)
        + r"(?:another|pain|again|an?\s+attack|a\s+migraine)",
        r"\bpain[- ]free\b",
        r"\brevers\w*\s+" + _gap(2)
        + r"(?:damage|disease|condition|arthritis|degeneration|ageing|aging|nerve)",
        r"\b(?:completely|totally|fully|entirely)\s+" + _gap(1)
        + r"(?:relie\w*|resolv\w*|eliminat\w*|cur\w*|heal\w*|restor\w*|revers\w*|recover\w*"
        r"|gone|disappear\w*|vanish\w*|repair\w*|regenerat\w*)",
        # Guarantees and proof.
        r"\bguarant\w*",
        r"\bensures?\s+(?:that\s+)?(?:you|your|patients|every|all|complete|total|lasting)\b",
        r"\b(?:clinically|scientifically|medically)?\s*proven\s+(?:to|safe|effective|results?"
        r"|treatment|method|way|solution|technique)\b",
        r"\b100\s?%\s+(?:effective|success\w*|safe|reliable|natural)\b",
        # Always, never fails, everyone.
        r"\b(?:always|invariably|reliably|unfailingly)\s+" + _gap(1) + BENEFIT,
        r"\bnever\s+fails?\b",
        r"\bworks?\s+(?:every\s+(?:single\s+)?time|for\s+(?:everyone|everybody|all|anyone|every))",
        r"\b(?:every|each)\s+(?:single\s+)?(?:patient|person|sufferer|case|time)\s+" + _gap(2)
        + BENEFIT,
        r"\b(?:all|every)\s+(?:of\s+(?:our|the)\s+)?(?:patients|sufferers|users|clients)\s+"
        + _gap(2) + r"(?:can|will|are\s+able|benefit|improve|recover|get|feel|respond|become"
        r"|stop|leave|go|walk|return)\b",
        r"\b(?:everyone|everybody|anyone)\s+" + _gap(2) + r"(?:can|will)\s+" + _gap(1) + BENEFIT,
        r"\beffective\s+for\s+(?:everyone|everybody|all|anyone|every)\b",
        # Superlatives and comparisons with everything else.
        r"\b(?:the\s+)?(?:best|most\s+effective|most\s+powerful|strongest|fastest|only|most"
        r"\s+advanced|most\s+successful|safest|most\s+reliable)\s+" + _gap(2)
        + r"(?:treatments?|therapy|therapies|options?|way|solution|approach|cure|remedy|choice"
        r"|method|medicine|drug|painkiller|procedure|answer|fix)\b",
        r"\b(?:more|better|safer|stronger|faster)\s+" + _gap(1)
        + r"than\s+(?:any|all|every|anything|other\s+(?:treatments?|therapies|options))",
        r"\bnothing\s+(?:else\s+)?(?:works|is|comes\s+close|compares)\s+" + _gap(1)
        + r"(?:better|as\s+well|as\s+effective|as\s+good|close)",
        r"\boutperforms?\s+(?:all|every|any|other)",
        r"\bno\s+other\s+(?:treatment|therapy|option|clinic|method|drug)\b",
        r"\bunlike\s+(?:any\s+)?other\s+(?:treatments?|therapies|options)",
        r"\b(?:instant|immediate|instantaneous)\s+" + _gap(1)
        + r"(?:relief|results?|cure|improvement|effect)",
        r"\binstantly\s+" + _gap(1) + r"(?:relie\w*|eas\w*|stop\w*|remov\w*|fix\w*)",
        r"\bno\s+(?:need|longer\s+need)\s+(?:for|to)\s+" + _gap(1)
        + r"(?:surgery|medication|medicines|painkillers|pills|opioids)",
        r"\b(?:is|are|has\s+been|have\s+been)\s+(?:clinically\s+|scientifically\s+)?proven\b",
        r"\b(?:will|'ll|’ll)\s+(?:feel|experience|have|suffer)\s+no\s+(?:pain|discomfort)\b",
        r"\b(?:lasting|long-lasting|long-term)\s+relief\b",
        r"\bsafe\s+and\s+effective\b|\beffective\s+and\s+safe\b",
        r"\b(?:very|extremely|highly|exceptionally|remarkably|incredibly|hugely|totally)\s+"
        r"(?:safe|effective|successful)\b",
        r"\b(?:everyone|everybody)\s+" + _gap(1) + BENEFIT,
        r"\b(?:will|'ll|’ll)\s+no\s+longer\s+(?:suffer|have|feel|experience|be\s+in\s+pain|need)\b",
        r"\bsay\s+goodbye\s+to\b|\bkiss\s+" + _gap(2) + r"goodbye\b",
        r"\bgold[- ]standard\b",
        r"\bnothing\s+" + _gap(4) + r"(?:better|faster|quicker|more\s+effectively|as\s+well"
        r"|as\s+fast|as\s+quickly)\s+than\b",
        r"\b(?:will\s+not|won't|won’t|never|will\s+never)\s+(?:come\s+back|return|recur)\b",
        r"\b(?:throw\s+away|ditch|bin|give\s+up|put\s+away)\s+" + _gap(1)
        + r"(?:painkillers|pills|medication|medicines|crutches|opioids|tablets)\b",
        r"\bwithout\s+(?:the\s+slightest|any|a\s+single|a)\s+" + _gap(1)
        + r"(?:concerns?|worry|worries|fears?|dangers?|problems?|issues?|harm)\b",
        r"\bwithout\s+(?:any\s+)?(?:pain|discomfort)\b(?!\s*(?:relief|killers?|medic))",
        r"\b(?:beats|outdoes|surpasses|trumps|tops|outshines)\s+(?:all|any|every|anything|other)",
        r"\b(?:need\s+not|needn't|needn’t|don't\s+need\s+to|do\s+not\s+need\s+to|no\s+need\s+to"
        r"|never\s+need\s+to)\s+worry\b",
        r"\b(?:cannot|can't|can’t|will\s+not|won't|won’t|never|does\s+not|doesn't|doesn’t)\s+"
        r"(?:cause|lead\s+to|result\s+in|produce)\s+" + _gap(1)
        + r"(?:addiction|dependence|dependency|harm|damage|side[- ]effects|complications"
        r"|problems)\b",
        r"\bwithout\s+exception\b|\bin\s+every\s+(?:single\s+)?(?:case|patient)\b"
        r"|\bno\s+exceptions\b",
        r"\b(?:stop|end|relie|eas|work|fix|eliminat|remov|cur|clear|vanish|disappear)\w*\s+"
        + _gap(3)
        + r"(?:instantly|immediately|at\s+once|in\s+seconds|within\s+seconds|overnight)\b",
        r"\b(?:definitely|certainly|surely|undoubtedly|unquestionably)\s+" + _gap(1) + BENEFIT,
        r"\bwill\s+(?:definitely\s+|certainly\s+)?(?:feel|be|get)\s+"
        r"(?:better|pain[- ]free|cured|well)\b",
        BENEFIT + r"\s+" + _gap(2) + r"(?:every|each|all)\s+(?:single\s+)?(?:person|patient"
        r"|sufferer|user|case|one|adult|child|client)\b",
    )
]

UNNAMED_EVIDENCE_PATTERNS = [
    _compile(p)
    for p in (
        r"\b(?:studies|research|researchers|science|scientists|evidence|data|trials|the\s+literature"
        r"|literature|experts?|doctors|professionals|reports|surveys|findings|statistics"
        r"|consensus|authorities|papers|articles|publications|journals|investigations"
        r"|\w*(?:ologists|icians|ists|surgeons|consultants)|GPs)\s+" + _gap(4)
        + r"(?:show|shows|showed|shown|prove|proves|proved|proven|confirm|confirms|confirmed"
        r"|demonstrate|demonstrates|demonstrated|agree|agrees|agreed|recommend|recommends"
        r"|recommended|found|indicate|indicates|indicated|suggest|suggests|suggested"
        r"|support|supports|supported|reveal|reveals|revealed|establish\w*|back|backs|believe"
        r"|believes|say|says|concluded|conclude|concludes|report|reported|reports|advise"
        r"|advises|endorse|endorses|link|links|linked|tell|tells|accept|accepts|accepted|hold|holds"
        r"|maintain|maintains|acknowledge|acknowledges|acknowledged|know|known|knew|consider"
        r"|considers|regard|regards|swear|swears|favour|favours|favor|favors|prefer|prefers"
        r"|trust|trusts|choose|chooses)\b",
        r"\b(?:an?|one|the|some|several|many|numerous|countless|multiple|recent|new|large|landmark"
        r"|major|published|independent|latest|groundbreaking|famous|well-known|big)\s+" + _gap(2)
        + r"(?:study|studies|trial|trials|review|reviews|report|survey|analysis|meta-analysis"
        r"|research|experiment|paper)\s+" + _gap(3)
        + r"(?:show\w*|found|finds|prove\w*|confirm\w*|demonstrat\w*|suggest\w*|indicat\w*"
        r"|reveal\w*|report\w*|conclud\w*|establish\w*)",
        r"\baccording\s+to\s+" + _gap(2)
        + r"(?:research|studies|experts|scientists|science|doctors|data|the\s+evidence|evidence"
        r"|specialists|surveys|reports)\b",
        r"\bit\s+(?:is|has\s+been)\s+(?:well|widely|generally|now|universally|commonly|long)\s+"
        + _gap(1)
        + r"(?:established|known|accepted|recognised|recognized|documented|proven|understood"
        r"|agreed|shown)\b",
        r"\b(?:the\s+)?(?:evidence|science|research|data|verdict)\s+(?:is|are)\s+"
        r"(?:clear|overwhelming|conclusive|settled|unequivocal|strong|in|undeniable|compelling)\b",
        r"\b(?:scientifically|clinically|medically)\s+(?:shown|tested|validated|backed|"
        r"demonstrated|confirmed)\b",
        r"\b(?:science|research|evidence|doctor|physician|clinically)[- ]backed\b",
        r"\bbacked\s+by\s+(?:science|research|evidence|studies|doctors|decades)",
        r"\b(?:doctors|experts|physicians|specialists)\s+(?:everywhere|worldwide|around\s+the"
        r"\s+world|across\s+the\s+country)\b",
        r"\b(?:doctor|physician|expert)[- ]recommended\b",
        r"\b(?:decades|years)\s+of\s+research\b",
        r"\bit\s+(?:has\s+)?(?:long\s+|widely\s+|generally\s+|now\s+)?(?:been|is)\s+"
        r"(?:well\s+|widely\s+|generally\s+|long\s+|firmly\s+)?(?:established|known|accepted"
        r"|recognised|recognized|documented|proven|understood|agreed|shown|demonstrated)\b",
        r"\b\w*(?:ologists|icians|ists|doctors|experts)\s+(?:everywhere|worldwide|around\s+the"
        r"\s+(?:world|globe|country))\b",
        r"\b(?:medical|scientific|expert|professional|clinical|general)\s+consensus\b"
        r"|\bthe\s+consensus\s+(?:is|holds)\b",
        r"\b(?:growing|mounting|strong|substantial|overwhelming|solid|plenty\s+of|lots\s+of"
        r"|a\s+wealth\s+of|a\s+large\s+body\s+of|considerable|convincing|compelling)\s+"
        r"(?:body\s+of\s+)?(?:evidence|research|data|proof)\b",
        r"\b(?:authorities|guidelines|organisations|organizations|health\s+bodies)\s+" + _gap(2)
        + r"(?:recommend\w*|advise\w*|agree\w*|endorse\w*|say|says|state)\b",
        r"\b(?:it\s+is|it's|it’s)\s+(?:a\s+)?(?:fact|proven|scientific\s+fact|well\s+known)\b",
        r"\b(?:we|doctors|experts|scientists)\s+(?:now\s+|have\s+long\s+|have\s+)?"
        r"(?:know|known|knew)\s+that\b",
    )
]

PROMOTIONAL_RE = _compile(
    r"\b(?:game[- ]?chang\w*|cutting[- ]edge|state[- ]of[- ]the[- ]art|life[- ](?:changing"
    r"|transforming|altering|saving)|transformative|transformational|revolution\w*|breakthrough"
    r"|miracle\w*|miraculous\w*|amazing\w*|incredibl\w*|remarkabl\w*|astonishing\w*"
    r"|astounding\w*|extraordinar\w*|phenomenal\w*|spectacular\w*|stunning\w*|unbelievabl\w*"
    r"|unmatched|unparalleled|unrivall?ed|unsurpassed|second\s+to\s+none|world[- ](?:class"
    r"|leading|renowned|famous)|leading[- ]edge|ground[- ]?breaking|pioneering|innovative"
    r"|next[- ]generation|wonder\s+(?:drug|treatment|cure|therapy|remedy|pill|supplement|product"
    r"|oil|device)|works\s+wonders|magic"
    r"(?:al)?|secret\s+(?:to|weapon)|best[- ]kept|dramatic(?:ally)?|outstanding|exceptional"
    r"|fantastic|brilliant|tremendous|superb|award[- ]winning|premier|elite|exclusive|ultimate"
    r"|jaw[- ]dropping|mind[- ]blowing|little[- ]known|don'?t\s+miss|must[- ]try|wonderful"
    r"|unique|top[- ]rated|five[- ]star|unbeatable|sensational|powerful\s+(?:new\s+)?(?:relief"
    r"|results?|solution|formula)|life\s+back|(?:superb|excellent|great|impressive)\s+results"
    r"|leading\s+(?:clinic|centre|center|provider|experts?|specialists?|team)|best[- ]in[- ]class"
    r"|exciting|patented|proprietary|renowned|acclaimed|celebrit\w*|luxur\w*|boutique|vip"
    r"|concierge|effortless\w*|pain[- ]busting|proven\s+track\s+record|trusted\s+by"
    r"|best\s+(?:care|clinic|doctors|specialists|team|results|in\s+the)"
    r"|(?:hailed|touted|billed|heralded|praised)\s+as|nothing\s+short\s+of"
    r"|(?:chang\w*|transform\w*|revolutioni[sz]\w*)\s+the\s+(?:game|field)|unforgettable"
    r"|rejuvenat\w*|pamper\w*|indulg\w*|blissful|heavenly|dazzling|magnificent|marvell?ous"
    r"|fabulous|awesome|exquisite|premium|must[- ]have|sought[- ]after|one[- ]of[- ]a[- ]kind"
    r"|best[- ]?selling|high[- ]end|supercharg\w*|turbocharg\w*|transform\s+your\s+life"
    r"|unleash\w*|unlock\w*|harness\s+(?:the\s+|your\s+)?(?:power|potential)|healing\s+power"
    r"|signature\s+(?:therapy|treatment|programme|program|technique)|delighted|thrilled"
    r"|ecstatic|rediscover\w*|joy\s+of)"
)

STATISTIC_PATTERNS = [
    _compile(p)
    for p in (
        r"\d+(?:[.,]\d+)?\s?(?:%|per\s?cent\b|percent\b)",
        rf"\b{NUMBER_WORDS}(?:[- ]{NUMBER_WORDS})?\s+(?:per\s?cent|percent)\b",
        rf"\b{NUMBER}\s+(?:{POPULATION}\s+|of\s+(?:every\s+)?)?(?:in|out\s+of)\s+(?:every\s+)?"
        rf"{NUMBER}\b",
        rf"\b{NUMBER}\s+of\s+(?:every\s+)?{NUMBER}\b",
        r"\b(?:half|a\s+third|a\s+quarter|a\s+fifth|a\s+tenth|(?:one|two)[- ]thirds?"
        r"|(?:one|three)[- ]quarters?|(?:one|two)[- ]fifths?|one[- ]tenth|\d+/\d+)\s+"
        r"(?:of\s+)?(?:all\s+|the\s+|those\s+|us\s+)?" + _gap(2) + POPULATION,
        r"\b(?:half|(?:a|one|two|three|four|five)[- ](?:third|quarter|fifth|sixth|seventh|eighth"
        r"|ninth|tenth)s?)\s+of\b",
        r"\b(?:millions|billions|thousands)\s+of\s+(?:pounds|dollars|euros)\b"
        r"|[£$€]\s?\d[\d,.]*\s*(?:million|billion|bn|m)\b",
        rf"\b(?:{NUMBER}|twice|thrice)\s+(?:times\s+)?(?:as\s+(?:likely|many|much|common|often"
        r"|effective|high|fast)|more\s+(?:likely|common|often|effective)|less\s+(?:likely|common"
        r"|often)|higher|lower|greater|the\s+(?:risk|rate|chance))",
        r"\b\d+(?:\.\d+)?[- ]?fold\b|\b(?:two|three|four|five|ten)fold\b",
        r"\b(?:doubl|tripl|quadrupl|halv)(?:es|ed|ing)\b"
        r"|\b(?:double|triple|halve)\s+(?:the|your|their|its)\b",
        r"\b(?:millions|thousands|hundreds|billions|tens\s+of\s+thousands|dozens)\s+of\s+"
        + _gap(1) + POPULATION,
        rf"\b{NUMBER}\s*(?:million|billion|thousand|m|bn)\s+" + _gap(1) + POPULATION,
        rf"\b(?:about|around|nearly|almost|over|more\s+than|up\s+to|roughly|approximately"
        rf"|an\s+estimated|as\s+many\s+as|some|fewer\s+than|less\s+than)\s+{NUMBER}\s+"
        + _gap(1) + POPULATION,
        rf"\b{NUMBER}\s+(?:per|for\s+every)\s+(?:\d[\d,]*|hundred|thousand|million)\b",
        r"\b(?:the\s+)?(?:vast|overwhelming|great)\s+majority\b|\bmajority\s+of\s+" + POPULATION,
        r"\b(?:an?\s+)?average\s+(?:of\s+)?" + _gap(1) + r"\d",
        r"\bsuccess\s+rate\s+of\b|\bodds\s+ratio\b|\brelative\s+risk\b|\bmedian\b"
        r"|\bratio\s+of\b",
        r"\bby\s+(?:half|a\s+third|a\s+quarter|two[- ]thirds)\b|\bin\s+half\b",
        r"\b(?:the\s+)?(?:leading|most\s+common|second\s+most\s+common|biggest|number\s+one"
        r"|top|main|single\s+biggest)\s+cause\b",
        rf"\b(?:by|of)\s+{NUMBER}\s+(?:points|percentage\s+points)\b",
    )
]

DOSE_UNIT = _words(
    r"mg/kg(?:/h(?:ou)?r?|/min|/day)?", r"mcg/kg(?:/h(?:ou)?r?|/min)?", r"µg/kg", r"ml/kg",
    r"mg/h(?:ou)?r?", r"mcg/h(?:ou)?r?", r"mg/day", r"mg", r"mcg", r"µg", r"μg", r"ug",
    r"g", r"grams?", r"milligrams?", r"micrograms?", r"ml", r"millilitres?", r"milliliters?",
    r"iu", r"units?", r"mmol", r"puffs?", r"drops?", r"tablets?", r"capsules?", r"pills?",
    r"sprays?", r"patch(?:es)?", r"doses?", r"injections?", r"sachets?", r"teaspoons?",
)
DOSING_PATTERNS = [
    _compile(p)
    for p in (
        rf"\b\d+(?:[.,]\d+)?(?:\s*(?:-|–|to)\s*\d+(?:[.,]\d+)?)?\s*{DOSE_UNIT}(?![\w/])",
        rf"\b{NUMBER_WORDS}\s+(?:\w+\s+)?(?:tablets?|capsules?|pills?|puffs?|drops?|sprays?"
        r"|patch(?:es)?|doses?|sachets?|injections?)\b",
        r"\b(?:once|twice|three\s+times|four\s+times|\d+\s+times)\s+(?:a|per|each|every)\s+"
        r"(?:day|week|night|month)\b",
        r"\b(?:once|twice)[- ]daily\b|\bdaily\s+dose\b|\bmaximum\s+(?:daily\s+)?dose\b",
        rf"\b(?:once|twice|thrice|{NUMBER}\s+times)\s+(?:daily|nightly|weekly)\b",
        r"\b(?:taken|take|used|use|applied|apply|given|inhaled|swallowed)\s+" + _gap(2)
        + r"(?:morning\s+and\s+(?:evening|night)|at\s+bedtime|with\s+(?:each\s+)?meals?"
        r"|after\s+meals|before\s+meals|on\s+an\s+empty\s+stomach|once|twice)\b",
        r"\bpea[- ]sized\s+amount\b|\bfingertip\s+units?\b",
        rf"\bevery\s+{NUMBER}(?:\s*(?:-|–|to)\s*{NUMBER})?\s+(?:hours|hrs?|h)\b",
        r"\b(?:infused|infusion|given|administered|delivered|injected)\s+" + _gap(3)
        + r"over\s+(?:\d+|a\s+few|several)\s+(?:minutes|mins?|hours|hrs?)\b",
        r"\bat\s+a\s+rate\s+of\b",
        r"\bper\s+(?:kilogram|kg)\b",
    )
]

# Words that put a claim word in a negated, cautionary or reported frame: "not a cure",
# "be wary of clinics that promise guaranteed results", "adverts claiming ...".
NEGATION_RE = _compile(
    r"\b(?:not|no|never|none|nothing|nobody|neither|nor|cannot|without|unlikely|rarely"
    r"|hardly|little|lack|lacks|lacking|doubt|doubtful|unproven|untested|isn'?t|aren'?t|wasn'?t"
    r"|weren'?t|doesn'?t|don'?t|didn'?t|won'?t|can'?t|couldn'?t|shouldn'?t|wouldn'?t|hasn'?t"
    r"|haven'?t|isn’t|aren’t|doesn’t|don’t|won’t|can’t|no\s+one)\b"
)
CAUTION_RE = _compile(
    r"\b(?:wary|beware|careful|caution\w*|sceptic\w*|skeptic\w*|suspicious|avoid|claim\w*"
    r"|promis\w*|advert\w*|advertis\w*|market\w*|so-called|myths?|false|misleading|exaggerat\w*"
    r"|hype|overstat\w*|mislead\w*|too\s+good\s+to\s+be\s+true|sell\w*|selling|sold"
    r"|rather\s+than|instead\s+of|tells?|told)\b"
)
HEDGE_RE = _compile(
    r"\b(?:may|might|could|possibly|perhaps|some|sometimes|occasionally|for\s+some|in\s+some"
    r"|likely|tends?\s+to|appears?\s+to|seems?\s+to|potentially|probably|not\s+everyone)\b"
)
# A conditional or interrogative frame: "when evidence supports it", "what the studies show".
CONDITIONAL_RE = _compile(r"\b(?:when|if|where|whether|unless|what|how)\b")
# Text in quotation marks is quoted, not claimed: "Beware of slogans like 'Cure your pain'".
QUOTED_RE = re.compile(r'"[^"]{1,500}"|“[^”]{1,500}”|‘[^’]{1,500}’')
# Where a contrast starts: a caution before it does not reach a claim after it.
CONTRAST_RE = re.compile(r"\b(?:but|although|though|however|yet|whereas)\b", re.IGNORECASE)
# Where a clause ends: a negation before this point does not reach the claim after it.
CLAUSE_BREAK_RE = re.compile(r"[,;:–—()]|\b(?:but|although|though|while|whereas|however|yet)\b",
                             re.IGNORECASE)
MARKER_RE = re.compile(r"\[(?:PMID|DOI|REF)\s*:[^\]]{1,300}\]", re.IGNORECASE)


def _clause_before(sentence: str, start: int) -> str:
    """The part of the sentence's clause that comes before `start`."""
    before = sentence[:start]
    last_break = None
    for last_break in CLAUSE_BREAK_RE.finditer(before):  # noqa: B007 - keep the last one
        pass
    return before[last_break.end() :] if last_break else before


def quoted(sentence: str, match: re.Match[str]) -> bool:
    """Whether the match lies inside quotation marks (an example quoted, not a claim made)."""
    return any(
        quote.start() <= match.start() and match.end() <= quote.end()
        for quote in QUOTED_RE.finditer(sentence)
    )


def _framed(
    sentence: str,
    match: re.Match[str],
    *,
    hedges: bool,
    inner_negation: bool = False,
    conditional: bool = False,
) -> bool:
    """
    Whether the claim matched is quoted, negated or cautioned (or, with `hedges`, hedged; with
    `conditional`, in a when/if/what clause). With `inner_negation`, a negation inside the
    matched words counts too ("studies have not shown"); not for absolute claims, whose phrase
    may be negative itself ("no side effects").
    """
    if quoted(sentence, match):
        return True
    if inner_negation and NEGATION_RE.search(match.group()):
        return True
    clause = _clause_before(sentence, match.start())
    if NEGATION_RE.search(clause) or CAUTION_RE.search(clause):
        return True
    if conditional and CONDITIONAL_RE.search(clause):
        return True
    # A caution frames a whole list after it ("Be wary of X, Y or a treatment with Z"), up to a
    # contrast ("..., but Z").
    before = sentence[: match.start()]
    contrast = None
    for contrast in CONTRAST_RE.finditer(before):  # noqa: B007 - keep the last one
        pass
    if CAUTION_RE.search(before[contrast.end() :] if contrast else before):
        return True
    # A caution anywhere in the sentence frames the whole of it ("... is a myth").
    if CAUTION_RE.search(sentence[match.end() :]) and not NEGATION_RE.search(match.group()):
        return True
    return hedges and bool(HEDGE_RE.search(clause))


def _first(patterns: list[re.Pattern[str]], sentence: str, **frames: bool) -> str | None:
    for pattern in patterns:
        for match in pattern.finditer(sentence):
            if not _framed(sentence, match, **frames):
                return match.group().strip()
    return None


def is_question(sentence: str) -> bool:
    return sentence.rstrip().rstrip("\"'”’)").endswith("?")


@lru_cache(maxsize=4096)
def sentence_claims(sentence: str) -> tuple[Claim, ...]:
    """The claims `sentence` makes, at most one of each kind (see the module docstring)."""
    text = " ".join(MARKER_RE.sub(" ", sentence).split())
    if not text or is_question(text):
        return ()
    claims = []
    phrase = _first(ABSOLUTE_PATTERNS, text, hedges=True)
    if phrase:
        claims.append(Claim(ABSOLUTE, phrase))
    phrase = _first(
        UNNAMED_EVIDENCE_PATTERNS, text, hedges=False, inner_negation=True, conditional=True
    )
    if phrase:
        claims.append(Claim(UNNAMED_EVIDENCE, phrase))
    phrase = _first([PROMOTIONAL_RE], text, hedges=False)
    if phrase:
        claims.append(Claim(PROMOTIONAL, phrase))
    # Figures and doses are what they are, whatever frames them, unless only quoted.
    for kind, patterns in ((STATISTIC, STATISTIC_PATTERNS), (DOSING, DOSING_PATTERNS)):
        match = next(
            (m for p in patterns for m in p.finditer(text) if not quoted(text, m)), None
        )
        if match:
            claims.append(Claim(kind, match.group().strip()))
    return tuple(claims)


# --- Sentences ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def sentences(paragraph: str) -> Iterator[str]:
    """The sentences of a paragraph's text, as pysbd splits them (abbreviations, decimals)."""
    for sentence in _segmenter().segment(paragraph):
        sentence = sentence.strip()
        if sentence:
            yield sentence
