"""Speech recognition with vosk (Kaldi), restricted to the phrases the dialog expects.

vosk is optional: it is imported only when this recogniser is built, and a
missing package or model becomes a ``RecognizerError`` that says what to do.

Rejection is by construction, not by score: the grammar is the expected
phrases plus ``[unk]`` (vosk's garbage word), and anything that is not exactly
one phrase comes back as "not understood". Word confidences in grammar mode
are ~1.0 even for wrong words (vosk #741, #1191), so they decide nothing.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from voice_assistant.errors import RecognizerError
from voice_assistant.events import Transcript, Vocabulary

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "vosk-model-small-en-us-0.15"
MODELS_PAGE = "https://alphacephei.com/vosk/models"
ENV_MODEL_PATH = "VOSK_MODEL_PATH"
UNKNOWN = "[unk]"
INSTALL_HINT = "pip install vosk   (or: pip install 'heat-or-ice[vosk]')"
GET_MODEL_HINT = (
    "Get one with `heat-or-ice models download`, or download "
    f"{DEFAULT_MODEL_NAME}.zip from {MODELS_PAGE} and unzip it into models/ "
    f"(or point --vosk-model / {ENV_MODEL_PATH} at the unzipped folder)."
)
LAYOUT_HINT = (
    "A vosk model folder holds am/final.mdl, conf/model.conf, conf/mfcc.conf, "
    "graph/ (HCLr.fst + Gr.fst + disambig_tid.int, or HCLG.fst) and usually "
    "ivector/ (final.ie, final.dubm, final.mat, global_cmvn.stats, "
    "online_cmvn.conf, splice.conf)."
)
IVECTOR_FILES = (
    "final.ie",
    "final.dubm",
    "final.mat",
    "global_cmvn.stats",
    "online_cmvn.conf",
    "splice.conf",
)
_CHUNK_BYTES = 8000  # 0.25 s at 16 kHz: vosk decodes as it goes
_MAX_CACHED_GRAMMARS = 32


# -- finding and checking a model ------------------------------------------


def _graph_problems(graph: Path, prefix: str) -> list[str]:
    if (graph / "HCLG.fst").is_file():
        return []
    lookahead = ("HCLr.fst", "Gr.fst", "disambig_tid.int")
    missing = [f"{prefix}{name}" for name in lookahead if not (graph / name).is_file()]
    if len(missing) == len(lookahead):
        return [f"{prefix}HCLr.fst + {prefix}Gr.fst (or {prefix}HCLG.fst)"]
    return missing


def model_problems(path: Path) -> list[str]:
    """The parts a vosk model folder lacks ([] when it looks complete).

    Mirrors what vosk 0.3.45 reads (src/model.cc): the "v2" layout with am/,
    conf/, graph/ and optional ivector/, or the old flat layout.
    """
    if not path.is_dir():
        return ["the folder itself"]
    if not (path / "am" / "final.mdl").is_file() and (path / "final.mdl").is_file():
        problems = [n for n in ("mfcc.conf",) if not (path / n).is_file()]  # old flat layout
        return problems + _graph_problems(path, "")
    problems = [
        name
        for name in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")
        if not (path / name).is_file()
    ]
    problems += _graph_problems(path / "graph", "graph/")
    ivector = path / "ivector"
    if ivector.is_dir() or (ivector / "final.ie").exists():
        problems += [f"ivector/{n}" for n in IVECTOR_FILES if not (ivector / n).is_file()]
    return problems


def supports_grammar(path: Path) -> bool:
    """Only lookahead models (graph/HCLr.fst + Gr.fst) honour a phrase list."""
    return (path / "graph" / "HCLr.fst").is_file() or (path / "HCLr.fst").is_file()


def validate_vosk_model(path: Path) -> None:
    """Raise ``RecognizerError`` naming ``path`` and its missing parts, if any."""
    if path.is_file():
        if path.suffix.lower() == ".zip":
            raise RecognizerError(
                f"The vosk model at {path} is still a zip file. Unzip it into models/ "
                "(or run `heat-or-ice models download`), then point to the folder."
            )
        raise RecognizerError(
            f"The vosk model path {path} is a file, not a folder. {LAYOUT_HINT} {GET_MODEL_HINT}"
        )
    if not path.exists():
        raise RecognizerError(f"There is no vosk model at {path}. {GET_MODEL_HINT}")
    problems = model_problems(path)
    if not problems:
        return
    nested = [p for p in sorted(path.iterdir()) if p.is_dir() and not model_problems(p)]
    if nested:
        raise RecognizerError(
            f"The vosk model folder {path} holds the model one level down, in "
            f"{nested[0]}. Use that folder instead (or move its contents up)."
        )
    raise RecognizerError(
        f"The vosk model folder {path} is incomplete or not a vosk model: missing "
        f"{', '.join(problems)}. {LAYOUT_HINT} {GET_MODEL_HINT}"
    )


def _candidate_rank(path: Path) -> tuple[bool, bool, str]:
    return (path.name != DEFAULT_MODEL_NAME, not path.name.startswith("vosk-model"), path.name)


def find_vosk_model(explicit: Path | None, env: Mapping[str, str], models_dir: Path) -> Path | None:
    """Where the vosk model is, in order: ``--vosk-model``, $VOSK_MODEL_PATH, models/.

    An explicit path or variable is returned even if it is broken, so the
    user hears what is wrong with the one they chose. Under ``models_dir`` a
    complete model folder wins (the default small English model first); else
    an incomplete ``vosk-model*`` folder is returned so validation can say
    what it lacks. None when there is nothing at all.
    """
    if explicit is not None:
        return explicit.expanduser()
    from_env = env.get(ENV_MODEL_PATH, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    if not models_dir.is_dir():
        return None
    if not model_problems(models_dir):  # unzipped straight into models/
        return models_dir
    folders = sorted(
        (p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=_candidate_rank,
    )
    for folder in folders:
        if not model_problems(folder):
            return folder
    for folder in folders:
        if folder.name.startswith("vosk-model"):
            return folder
    return None


# -- grammar and results (pure) -----------------------------------------------


def normalize_phrase(text: str) -> str:
    """Lower case, single spaces: how vosk writes its results."""
    return " ".join(text.lower().split())


def grammar_phrases(phrases: Iterable[str]) -> list[str]:
    """Distinct normalised phrases, in order, plus ``[unk]`` last."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        norm = normalize_phrase(phrase)
        if norm and norm != UNKNOWN:
            seen.setdefault(norm, None)
    return [*seen, UNKNOWN]


def build_grammar(phrases: Iterable[str]) -> str:
    """The grammar vosk wants: a JSON *string* (a Python list raises TypeError)."""
    return json.dumps(grammar_phrases(phrases), ensure_ascii=False)


def _result_text(raw: str) -> tuple[str, list[float]]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RecognizerError(
            f"vosk returned an unreadable result ({exc}). Try reinstalling vosk ({INSTALL_HINT})."
        ) from exc
    if not isinstance(data, dict):
        raise RecognizerError(
            f"vosk returned an unexpected result: {raw[:80]!r}. Try reinstalling vosk."
        )
    text = data.get("text", "")
    words = data.get("result", [])
    confs = [
        float(w["conf"])
        for w in words
        if isinstance(words, list) and isinstance(w, dict) and "conf" in w
    ]
    return (text if isinstance(text, str) else ""), confs


def parse_vosk_results(
    results: Sequence[str], phrases: Iterable[str], low_confidence: float = 0.5
) -> Transcript:
    """Turn vosk's JSON results for one utterance into a Transcript.

    ``results`` are the ``Result()`` strings vosk produced along the way plus
    the ``FinalResult()``; their texts are joined. The answer is accepted
    only when the joined text is exactly one of ``phrases`` and has no
    ``[unk]``; otherwise the transcript is empty (not understood). The
    returned text is the phrase as the vocabulary spells it; it is ``sure``
    when the mean word confidence is at least ``low_confidence``.
    """
    texts: list[str] = []
    confs: list[float] = []
    for raw in results:
        text, word_confs = _result_text(raw)
        texts.append(text)
        confs.extend(word_confs)
    heard = normalize_phrase(" ".join(texts))
    rejected = Transcript(text="", confidence=0.0, source="audio")
    if not heard or UNKNOWN in heard.split():
        return rejected
    by_norm = {normalize_phrase(p): p for p in phrases}
    if heard not in by_norm:
        return rejected
    confidence = min(1.0, max(0.0, sum(confs) / len(confs))) if confs else 1.0
    return Transcript(by_norm[heard], confidence, "audio", confidence >= low_confidence)


# -- the engine ------------------------------------------------------------------


def import_vosk() -> ModuleType:
    """Import vosk now (not at program start) and silence its Kaldi logging."""
    try:
        vosk = importlib.import_module("vosk")
    except ImportError as exc:
        raise RecognizerError(
            f"The vosk speech engine is not installed ({exc}). Install it with: "
            f"{INSTALL_HINT}. Or use the built-in pocketsphinx engine."
        ) from exc
    except OSError as exc:  # libvosk.so present but not loadable
        raise RecognizerError(
            f"The vosk speech engine is installed but cannot load its library ({exc}). "
            f"Reinstall it: pip install --force-reinstall vosk. "
            "Or use the built-in pocketsphinx engine."
        ) from exc
    vosk.SetLogLevel(-1)
    return vosk


class VoskRecognizer:
    """``ports.Recognizer`` on a vosk model folder; one recogniser per grammar.

    Loading the model takes about a second and ~300 MB for the small English
    model, so build this once. ``low_confidence``: answers whose mean word
    confidence is below it are not ``sure`` (read back at danger screens).
    Not tuned on data (no vosk model can be installed here), and vosk's
    grammar-mode confidences are near 1.0 even for wrong words (PITFALLS.md),
    so the ``[unk]`` rejection does most of the work. ``recognize`` is serialised by a lock (vosk
    recognisers must not be shared between threads).
    """

    name = "vosk"

    def __init__(
        self,
        model_path: Path,
        *,
        sample_rate: int = 16000,
        low_confidence: float = 0.5,
        vosk_module: ModuleType | Any | None = None,
    ) -> None:
        validate_vosk_model(model_path)
        self.low_confidence = low_confidence
        self._vosk = vosk_module if vosk_module is not None else import_vosk()
        self.model_path = model_path
        self.sample_rate = sample_rate
        try:
            # Always an explicit path: Model(lang=...) downloads and calls sys.exit.
            self._model = self._vosk.Model(str(model_path))
        except Exception as exc:  # vosk raises a bare Exception('Failed to create a model')
            raise RecognizerError(
                f"vosk could not load the model in {model_path} ({exc}). The folder may be "
                f"damaged or made for another vosk version. {GET_MODEL_HINT}"
            ) from exc
        if not supports_grammar(model_path):
            log.warning(
                "vosk model %s has no lookahead graph: it ignores phrase lists, "
                "so recognition is free-form and only exact phrases are accepted",
                model_path,
            )
        self._recognizers: OrderedDict[str, Any] = OrderedDict()
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def _knows(self, word: str) -> bool:
        if word not in self._known:
            self._known[word] = int(self._model.vosk_model_find_word(word)) >= 0
        return self._known[word]

    def missing_words(self, vocabulary: Vocabulary) -> list[str]:
        """Words of the vocabulary the model cannot recognise (their phrases are skipped)."""
        words = {w for p in vocabulary.phrases for w in normalize_phrase(p).split()}
        return sorted(w for w in words if not self._knows(w))

    def grammar_for(self, vocabulary: Vocabulary) -> str:
        """The JSON grammar used for ``vocabulary``: phrases whose words vosk knows."""
        usable = [
            p
            for p in vocabulary.phrases
            if all(self._knows(w) for w in normalize_phrase(p).split())
        ]
        return build_grammar(usable)

    def _recognizer(self, grammar: str) -> Any:
        rec = self._recognizers.get(grammar)
        if rec is None:
            try:
                rec = self._vosk.KaldiRecognizer(self._model, float(self.sample_rate), grammar)
            except Exception as exc:
                raise RecognizerError(
                    f"vosk could not set up recognition with the model in {self.model_path} "
                    f"({exc}). {GET_MODEL_HINT}"
                ) from exc
            rec.SetWords(True)
            self._recognizers[grammar] = rec
            if len(self._recognizers) > _MAX_CACHED_GRAMMARS:
                self._recognizers.popitem(last=False)
        else:
            self._recognizers.move_to_end(grammar)
        return rec

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        """Decode one utterance (16 kHz mono int16) against ``vocabulary``."""
        if len(audio) < 2 or not vocabulary.phrases:
            return Transcript(text="", confidence=0.0, source="audio")
        with self._lock:
            grammar = self.grammar_for(vocabulary)
            rec = self._recognizer(grammar)
            results: list[str] = []
            try:
                rec.Reset()
                usable = len(audio) - len(audio) % 2
                for start in range(0, usable, _CHUNK_BYTES):
                    if rec.AcceptWaveform(audio[start : min(start + _CHUNK_BYTES, usable)]):
                        results.append(rec.Result())
                results.append(rec.FinalResult())
            except Exception as exc:
                self._recognizers.pop(grammar, None)
                raise RecognizerError(
                    f"vosk failed while decoding audio ({exc}). If this repeats, restart "
                    "the assistant or switch to the pocketsphinx engine."
                ) from exc
        return parse_vosk_results(results, vocabulary.phrases, self.low_confidence)


def open_vosk(
    explicit: Path | None,
    env: Mapping[str, str],
    models_dir: Path,
    *,
    vosk_module: ModuleType | Any | None = None,
) -> VoskRecognizer:
    """Find, check and load the vosk model, or explain how to get one."""
    path = find_vosk_model(explicit, env, models_dir)
    if path is None:
        raise RecognizerError(f"No vosk model found in {models_dir}. {GET_MODEL_HINT}")
    return VoskRecognizer(path, vosk_module=vosk_module)
