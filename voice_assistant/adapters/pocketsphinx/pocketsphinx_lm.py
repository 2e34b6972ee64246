"""The language model the pocketsphinx recogniser decodes with: listed phrases or any English.

Each vocabulary becomes a small bigram ARPA model whose sentences are the listed phrases
(``phrase_prior`` of the probability together) or any sequence of about 1,500 frequent
English words (the rest): a generic word-level garbage model, so words outside the
vocabulary decode as other English words instead of being forced onto a phrase. Why this
design, and how it was measured: ``asr_pocketsphinx`` and bench/README.md.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voice_assistant.errors import RecognizerError


def background_words() -> list[str]:
    """The generic competitor words, most frequent first."""
    return _BACKGROUND_WORDS.split()


def arpa_text(
    phrases: Sequence[Sequence[str]],
    background: Sequence[str],
    phrase_prior: float,
    end_prob: float = 0.3,
) -> str:
    """A bigram ARPA model: ``phrases`` (with ``phrase_prior`` of the mass) or background words.

    Background words get Zipf probabilities by rank (1/(rank+10)); ``end_prob`` is
    the chance a background sentence ends after each word. Within a phrase each
    word continues its phrase with probability 0.9 (shared words split it).
    """
    if not phrases:
        raise ValueError("no phrases")
    vocab_words = {w for words in phrases for w in words}
    unigram: dict[str, float] = {}
    zipf = [1.0 / (rank + 10) for rank in range(len(background))]
    total = sum(zipf) or 1.0
    for word, weight in zip(background, zipf, strict=True):
        unigram[word] = (1 - end_prob) * weight / total
    for word in vocab_words:
        unigram.setdefault(word, 1e-7)
    unigram["</s>"] = end_prob
    norm = sum(unigram.values())
    unigram = {w: p / norm for w, p in unigram.items()}

    bigram: dict[str, dict[str, float]] = {"<s>": {}}
    share = phrase_prior / len(phrases)
    for words in phrases:
        first = bigram["<s>"]
        first[words[0]] = first.get(words[0], 0.0) + share
        for a, b in zip(words, [*words[1:], "</s>"], strict=True):
            nxt = bigram.setdefault(a, {})
            nxt[b] = nxt.get(b, 0.0) + 1.0
    for context, following in bigram.items():
        if context != "<s>":
            count = sum(following.values())
            for b in following:
                following[b] = 0.9 * following[b] / count
    backoff = {
        context: (1 - sum(following.values()))
        / max(1e-9, 1 - sum(unigram.get(b, 0.0) for b in following))
        for context, following in bigram.items()
    }
    lines = [
        "\\data\\",
        f"ngram 1={len(unigram) + 1}",
        f"ngram 2={sum(len(f) for f in bigram.values())}",
        "",
        "\\1-grams:",
        f"-99.0000 <s> {math.log10(backoff['<s>']):.4f}",
    ]
    for word, prob in unigram.items():
        bow = math.log10(backoff[word]) if word in backoff else 0.0
        lines.append(f"{math.log10(prob):.4f} {word} {bow:.4f}")
    lines += ["", "\\2-grams:"]
    for context, following in bigram.items():
        lines += [f"{math.log10(p):.4f} {context} {b}" for b, p in following.items()]
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def add_language_model(decoder: Any, name: str, text: str) -> None:
    """Give the ARPA model ``text`` to ``decoder`` as search ``name`` (via a temporary file)."""
    handle, filename = tempfile.mkstemp(prefix="heat-or-ice-", suffix=".arpa")
    path = Path(filename)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        decoder.add_lm_file(name, filename)
    except (RuntimeError, ValueError, OSError) as exc:
        raise RecognizerError(
            f"The speech engine could not prepare the expected answers ({exc}). "
            "Check that the temporary folder is writable."
        ) from None
    finally:
        path.unlink(missing_ok=True)


# About 1,500 of the most frequent words of the pocketsphinx en-us language model
# (unigram order), all in its dictionary: the generic "anything else" competitor.
_BACKGROUND_WORDS = """
the to i and a of you that in it is for but know was have they on like be not it's so with
are one this yeah he just my we as what if do at or don't about i'm all think there would
from two me people can your get out no that's said up more when an had right well hundred
really has thousand will oh because how time them she been by some who their his were now
then go good mean than going her see could much other you're five got three even too only
want did him something where very here way which nine lot make say first years back any new
our also over into ah i've they're year thing still four should work things those take us
most didn't why these never twenty there's need after being can't okay little down kind
point actually many day off come same six before last he's look sure eight money doing
pretty around seven always guess life dollars long yes better probably every we're world
does anything maybe school great find doesn't though made big feel through thirty cause game
old put use different stuff ten home may might used am thought while best since man love own
getting another fifty few bad give part percent live family i'll tell ever gonna again went
someone help i'd keep everything try play hard done enough trying next end away its place
far forty talk ninety both real says country kids times least person bit such million high
exactly what's isn't told nothing friends believe let call having able show else watch job
ago nice start once whole house government problem looking change children each without days
found true saying between less week she's seen already wouldn't makes guy course care name
second came sixty pay wasn't talking until making seems eighty thanks either idea seventy
read yet definitely team working city mr wanted left remember huh fact night business months
state number against called half public understand everyone whatever er almost run friend
case took sometimes today must sorry god important wrong started heard haven't couple
minutes hi set reason question system together car games women war hope states hey stop
happened thank guys coming sort small won't fun hear york under let's quite during agree
free wow buy close past food top hours anyone you've saw side news kinda myself cool mind
thinking company deal whether comes happen interesting looks gets later taking young parents
phone ask stay shit matter please we've united especially power health area american rather
move open usually goes line fifteen sense using men wait story means couldn't however
somebody fine leave become playing lost level water living full often t head funny yourself
instead group college zero happy president easy ones others knew post month seem hit
supposed age needs room experience v asked computer support turn outside issue eat given
movie likely hand aren't white possible face market everybody book wants weeks gone tried
certain early police rest you'll future taken countries problems cost situation woman chance
sounds information child twelve third anyway type mother girl fuck party players bring works
check watching win worked basically black hour lives eleven middle worth hello husband added
internet security based cut law son running married control soon body along paid season wife
spend history fucking dog single learn behind example difficult front america themselves
clear huge wanna shows obama order although per played price class death they've plan human
jobs takes father local s south felt amount answer gave within music absolutely across
schools we'll longer economy kill topic knows hold morning pick ok unless late pounds meet
video office difference major town happens word hate companies needed known moment
completely low large general mine enjoy killed national dead building involved wish totally
died you'd walk air north education issues several political study certainly according
places mom service fight community imagine hell billion crazy moved kid c heart short ready
looked figure sit space cold ways lose sound students list baby gotta changed social drive
street alone worse cannot reading light research turned they'll reality perhaps books hot
current break spent amazing words sports energy simply lived boy process shot wonder
california dad add obviously similar stand higher feeling personal iraq questions listen
doctor university seeing risk strong average near decided relationship older die serious
build daughter player online summer expect available awesome inside military media fire test
fast save sex report hands private oil main financial n east minimum term u giving poor
favorite who's expected program finally interest choice red continue movies send industry
brother interested china common weird bought rate speak road attack itself sell door fall
lol entire shouldn't due americans ahead allowed decision opinion west brought special
economic anymore terms met nobody recently form forward worry de court starting view nearly
telling position girls store attention consider football miss perfect site sent bill himself
points waiting normal force easier trust sick damn film tax value series result worst fair
act won vote action mm smoking stupid trade except born smoke anybody eighteen wage miles
step return including changes evidence somewhere hurt members lots extra bank field
beautiful share ground biggest moving asking picture total forget race edit safe fourteen
watched plus ball card uh society became record mostly quality truth seriously super etc
comment expensive create eyes paying simple global write d tough travel kept sign follow
minute cat thirteen blood among fan lead meant data cases europe period increase trouble
growing above sitting international calling putting offer weather british rules drink damage
message size parts access personally technology glad seemed effect land families paper allow
hospital english sixteen key quickly willing population opportunity happening art cancer
date credit gotten sad depends reasons luck realize areas none project recent pass account
beginning weight policy sleep role further sir provide gives weren't lower board compared
particular numbers feet built focus cars piece drop round bush ended drug yep washington
fear talked final calls green center spending sister teams television eating bunch medical
costs doubt event john insurance terrible choose campaign christmas computers loved drugs
dogs clean o earlier career match park straight club character honestly rights science
subject wall original student crisis afraid source eventually clearly ability considered
towards grew it'll version grow link learned catch bed training sold beat began gas
otherwise bet london unfortunately yesterday prices fit currently bigger feels election
earth easily hair anywhere services held regular explain actual walking correct respect lack
eye box results majority england visit driving touch pain church twice liked impact fans
thousands groups stopped threat tend language popular goal caught meeting option younger
pressure hasn't voice exercise gun helped lucky range dude teachers learning b joke decide
pull teacher events weapons chinese track star cover department reddit aware trip writing
surprised quick fighting afford literally plane wonderful plans development speed culture la
peace hopefully m stage ice charge throw tonight op following concerned l potential title
base brain beyond ass honest boys dark wrote raise income natural helps search excuse screen
winter blue positive particularly buying tomorrow non p advice success complete finding
ideas stick foreign response missing leaving article legal reach partner fish specific
september plenty seventeen teach stories press bar raised generally bottom growth cash los
league apparently degree effort carry they'd loss nation table workers restaurant slow
comments nature passed weekend dollar budget rich created conversation politics necessarily
im train ya song contact marriage despite model san wear deep avoid crime page worried
protect century e climate rule showed thinks texas present double scene patients nineteen
prefer gold cheap extremely self missed federal army healthy member challenge florida
practice floor staff fat losing environment ran led disease millions fix google hoping fly
stock he'll possibly harder afghanistan statement keeping necessary accept levels religion
written fourth removed que island animals style holiday speaking shut product sport picked
female knowing comedy pictures baseball argument notice radio freedom professional strange
cards french ridiculous here's performance hang dream dinner begin africa mention spot
benefit standard welcome suppose european britain basic nuclear dangerous central claim cats
india station speech smart handle brown push daily individual related note alive turns kinds
target sales male impossible likes airport physical content former received stuck starts
modern homes neither finish lines rock address indeed design immediately snow rise agreed
he'd website busy knowledge seconds lady successful violence forced released network noticed
mentioned generation somehow we'd fell decent canada killing mark count taxes shop leaders
approach drinking web selling smaller debate machine draw king everywhere union
understanding join benefits ride changing upon administration standing significant release
truly safety thread hundreds property assume treatment previous whose horrible obvious banks
advantage appreciate trial suggest broke lie heavy quit sunday helping failed finished
doctors quarter color foot responsible planning broken overall cook coast signed coffee
sweet whenever capital image world's reported y comfortable grade cell scared closer
production religious people's interview shoot classes scary judge prime region apart
"""
