"""vosk adapter: model discovery/validation, grammar, result parsing, engine wiring.

No vosk model can be downloaded on the build machines, so everything but the
``models``-marked test runs on fake model folders and a fake vosk module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
import wave
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from voice_assistant.adapters.vosk import asr_vosk
from voice_assistant.adapters.vosk.asr_vosk import (
    DEFAULT_MODEL_NAME,
    VoskRecognizer,
    build_grammar,
    find_vosk_model,
    grammar_phrases,
    import_vosk,
    model_problems,
    open_vosk,
    parse_vosk_results,
    validate_vosk_model,
)
from voice_assistant.errors import RecognizerError
from voice_assistant.events import Transcript, Vocabulary

REPO = Path(__file__).resolve().parents[2]

# The layout of vosk-model-small-en-us-0.15 (README and rescore-less small model).
SMALL_MODEL_FILES = [
    "README",
    "am/final.mdl",
    "conf/mfcc.conf",
    "conf/model.conf",
    "graph/disambig_tid.int",
    "graph/Gr.fst",
    "graph/HCLr.fst",
    "graph/phones/word_boundary.int",
    "ivector/final.dubm",
    "ivector/final.ie",
    "ivector/final.mat",
    "ivector/global_cmvn.stats",
    "ivector/online_cmvn.conf",
    "ivector/splice.conf",
]


def make_model(
    folder: Path, files: list[str] = SMALL_MODEL_FILES, skip: tuple[str, ...] = ()
) -> Path:
    for name in files:
        if name in skip:
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"fake")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- model folders -----------------------------------------------------------


def test_complete_small_model_layout_is_valid(tmp_path: Path) -> None:
    model = make_model(tmp_path / DEFAULT_MODEL_NAME)
    assert model_problems(model) == []
    validate_vosk_model(model)


def test_hclg_graph_is_an_alternative_to_the_lookahead_graph(tmp_path: Path) -> None:
    files = [f for f in SMALL_MODEL_FILES if not f.startswith("graph/")] + ["graph/HCLG.fst"]
    model = make_model(tmp_path / "m", files)
    assert model_problems(model) == []
    assert not asr_vosk.supports_grammar(model)
    assert asr_vosk.supports_grammar(make_model(tmp_path / "small"))


def test_old_flat_layout_is_valid(tmp_path: Path) -> None:
    model = make_model(tmp_path / "old", ["final.mdl", "mfcc.conf", "HCLG.fst"])
    assert model_problems(model) == []


@pytest.mark.parametrize(
    ("skip", "named"),
    [
        (("am/final.mdl",), ["am/final.mdl"]),
        (("conf/model.conf", "conf/mfcc.conf"), ["conf/model.conf", "conf/mfcc.conf"]),
        (("graph/HCLr.fst",), ["graph/HCLr.fst"]),
        (
            ("graph/HCLr.fst", "graph/Gr.fst", "graph/disambig_tid.int"),
            ["graph/HCLr.fst + graph/Gr.fst (or graph/HCLG.fst)"],
        ),
        (("ivector/final.ie",), ["ivector/final.ie"]),
        (("ivector/splice.conf",), ["ivector/splice.conf"]),
    ],
)
def test_missing_parts_are_named_with_the_path(
    tmp_path: Path, skip: tuple[str, ...], named: list[str]
) -> None:
    model = make_model(tmp_path / "broken-model", skip=skip)
    assert model_problems(model) == named
    with pytest.raises(RecognizerError) as err:
        validate_vosk_model(model)
    message = str(err.value)
    assert str(model) in message
    for part in named:
        assert part in message
    assert "am/final.mdl, conf/model.conf" in message  # says what a model folder holds
    assert "heat-or-ice models download" in message


def test_model_without_ivector_folder_is_valid(tmp_path: Path) -> None:
    files = [f for f in SMALL_MODEL_FILES if not f.startswith("ivector/")]
    assert model_problems(make_model(tmp_path / "m", files)) == []


def test_missing_folder_zip_file_and_plain_file_each_get_their_message(tmp_path: Path) -> None:
    with pytest.raises(RecognizerError, match=r"There is no vosk model at .*nowhere"):
        validate_vosk_model(tmp_path / "nowhere")
    archive = tmp_path / f"{DEFAULT_MODEL_NAME}.zip"
    archive.write_bytes(b"PK")
    with pytest.raises(RecognizerError, match=r"still a zip file. Unzip it"):
        validate_vosk_model(archive)
    other = tmp_path / "model.bin"
    other.write_bytes(b"x")
    with pytest.raises(RecognizerError, match=r"is a file, not a folder"):
        validate_vosk_model(other)


def test_model_one_level_down_is_pointed_at(tmp_path: Path) -> None:
    outer = tmp_path / DEFAULT_MODEL_NAME
    make_model(outer / DEFAULT_MODEL_NAME)
    with pytest.raises(RecognizerError) as err:
        validate_vosk_model(outer)
    assert f"one level down, in {outer / DEFAULT_MODEL_NAME}" in str(err.value)


def test_empty_folder_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(RecognizerError, match=r"missing am/final.mdl"):
        validate_vosk_model(tmp_path)


# -- find_vosk_model ------------------------------------------------------------


def test_explicit_path_wins_even_when_broken(tmp_path: Path) -> None:
    make_model(tmp_path / "models" / DEFAULT_MODEL_NAME)
    chosen = tmp_path / "mine"
    env = {"VOSK_MODEL_PATH": str(tmp_path / "env-model")}
    assert find_vosk_model(chosen, env, tmp_path / "models") == chosen


def test_environment_variable_comes_next(tmp_path: Path) -> None:
    make_model(tmp_path / "models" / DEFAULT_MODEL_NAME)
    env = {"VOSK_MODEL_PATH": str(tmp_path / "env-model")}
    assert find_vosk_model(None, env, tmp_path / "models") == tmp_path / "env-model"
    # An empty variable counts as unset.
    found = find_vosk_model(None, {"VOSK_MODEL_PATH": " "}, tmp_path / "models")
    assert found == tmp_path / "models" / DEFAULT_MODEL_NAME


def test_models_folder_prefers_a_complete_default_model(tmp_path: Path) -> None:
    models = tmp_path / "models"
    make_model(models / "aaa-other-model")
    make_model(models / "vosk-model-en-us-0.22-lgraph")
    make_model(models / DEFAULT_MODEL_NAME)
    make_model(models / ".download-tmp")
    assert find_vosk_model(None, {}, models) == models / DEFAULT_MODEL_NAME
    shutil.rmtree(models / DEFAULT_MODEL_NAME)
    assert find_vosk_model(None, {}, models) == models / "vosk-model-en-us-0.22-lgraph"


def test_complete_model_beats_an_incomplete_one(tmp_path: Path) -> None:
    models = tmp_path / "models"
    make_model(models / DEFAULT_MODEL_NAME, skip=("am/final.mdl",))
    make_model(models / "vosk-model-small-en-us-0.22")
    assert find_vosk_model(None, {}, models) == models / "vosk-model-small-en-us-0.22"


def test_incomplete_vosk_folder_is_returned_so_validation_can_explain(tmp_path: Path) -> None:
    models = tmp_path / "models"
    make_model(models / DEFAULT_MODEL_NAME, skip=("am/final.mdl",))
    (models / "notes").mkdir()
    found = find_vosk_model(None, {}, models)
    assert found == models / DEFAULT_MODEL_NAME
    with pytest.raises(RecognizerError, match=r"missing am/final.mdl"):
        validate_vosk_model(found)


def test_model_unzipped_straight_into_models_is_found(tmp_path: Path) -> None:
    models = make_model(tmp_path / "models")
    assert find_vosk_model(None, {}, models) == models


def test_nothing_found(tmp_path: Path) -> None:
    assert find_vosk_model(None, {}, tmp_path / "absent") is None
    (tmp_path / "models" / "README-folder").mkdir(parents=True)
    assert find_vosk_model(None, {}, tmp_path / "models") is None
    with pytest.raises(RecognizerError, match=r"No vosk model found in .*heat-or-ice models"):
        open_vosk(None, {}, tmp_path / "models", vosk_module=FakeVosk())


# -- lazy import -------------------------------------------------------------------


def test_missing_vosk_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)  # makes `import vosk` raise ImportError
    with pytest.raises(RecognizerError) as err:
        import_vosk()
    assert "pip install vosk" in str(err.value)
    assert "heat-or-ice[vosk]" in str(err.value)


def test_missing_vosk_package_is_reported_when_building_the_recognizer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)
    with pytest.raises(RecognizerError, match=r"pip install vosk"):
        VoskRecognizer(make_model(tmp_path / DEFAULT_MODEL_NAME))


def test_vosk_import_silences_kaldi_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("vosk")
    levels: list[int] = []
    fake.SetLogLevel = levels.append  # type: ignore[attr-defined]  # a fake vosk module
    monkeypatch.setitem(sys.modules, "vosk", fake)
    assert import_vosk() is fake
    assert levels == [-1]


def test_importing_the_adapter_does_not_import_vosk() -> None:
    code = "import sys; import voice_assistant.adapters.vosk.asr_vosk; print('vosk' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"


# -- grammar -------------------------------------------------------------------------


def test_grammar_is_a_json_string_with_unk_last() -> None:
    grammar = build_grammar(["Yes", "no", "not  sure", "yes", "", "[unk]"])
    assert isinstance(grammar, str)
    assert json.loads(grammar) == ["yes", "no", "not sure", "[unk]"]


def test_empty_vocabulary_grammar_is_only_unk() -> None:
    assert grammar_phrases([]) == ["[unk]"]


def test_grammar_keeps_non_ascii_readable() -> None:
    assert build_grammar(["café"]) == '["café", "[unk]"]'


# -- result parsing -------------------------------------------------------------------

PHRASES = ("yes", "no", "not sure", "two days ago")


def result(text: str, conf: float | None = None) -> str:
    data: dict[str, Any] = {"text": text}
    if conf is not None and text:
        data["result"] = [{"conf": conf, "end": 1.0, "start": 0.5, "word": w} for w in text.split()]
    return json.dumps(data)


def test_exact_phrase_is_accepted_with_vocabulary_spelling() -> None:
    out = parse_vosk_results([result("not sure", 0.9)], ("yes", "Not Sure"))
    assert out == Transcript(text="Not Sure", confidence=pytest.approx(0.9), source="audio")  # type: ignore[arg-type]  # approx stands in for a float in the comparison


def test_vosk_says_it_is_unsure_below_its_own_threshold() -> None:
    assert not parse_vosk_results([result("no", 0.4)], PHRASES).sure
    assert parse_vosk_results([result("no", 0.4)], PHRASES, low_confidence=0.3).sure
    assert parse_vosk_results([result("no", 0.9)], PHRASES).sure


def test_confidence_defaults_to_one_without_word_details() -> None:
    assert parse_vosk_results([result("yes")], PHRASES).confidence == 1.0


@pytest.mark.parametrize(
    "results",
    [
        [result("[unk]", 1.0)],
        [result("yes [unk]", 1.0)],
        [result("[unk] no")],
        [result("")],
        ['{"partial": ""}'],
        [result("two days")],  # a piece of a phrase is not the phrase
        [result("yes no")],  # two answers at once
        [result("maybe")],  # vosk free-form output on a model without grammar support
        [],
    ],
)
def test_unk_empty_partial_or_foreign_results_are_rejected(results: list[str]) -> None:
    assert parse_vosk_results(results, PHRASES) == Transcript("", 0.0, "audio")


def test_results_split_by_vosk_endpointing_are_joined() -> None:
    parts = [result(""), result("two days", 1.0), result("ago", 0.5)]
    out = parse_vosk_results(parts, PHRASES)
    assert out.text == "two days ago"
    assert out.confidence == pytest.approx(2.5 / 3)


def test_unreadable_result_is_a_recognizer_error() -> None:
    with pytest.raises(RecognizerError, match=r"unreadable result"):
        parse_vosk_results(["{not json"], PHRASES)
    with pytest.raises(RecognizerError, match=r"unexpected result"):
        parse_vosk_results(["[1, 2]"], PHRASES)


# -- the recogniser on a fake vosk ------------------------------------------------------


class FakeModel:
    vocabulary: ClassVar[set[str]] = {"yes", "no", "not", "sure", "two", "days", "ago", "stop"}

    def __init__(self, path: str) -> None:
        if not Path(path, "am", "final.mdl").read_bytes().startswith(b"fake"):
            raise Exception("Failed to create a model")  # what vosk 0.3.45 raises
        self.path = path

    def vosk_model_find_word(self, word: str) -> int:
        return 7 if word in self.vocabulary else -1


class FakeKaldiRecognizer:
    """Hears the text scripted in ``FakeVosk.say``; splits it like vosk's endpointer."""

    def __init__(self, model: FakeModel, rate: float, grammar: str) -> None:
        if not isinstance(grammar, str):
            raise TypeError("grammar must be a JSON string")
        self.model, self.rate, self.grammar = model, rate, json.loads(grammar)
        self.fed = 0
        self.resets = 0
        self.words = False
        self.owner: FakeVosk | None = None

    def SetWords(self, enabled: bool) -> None:
        self.words = enabled

    def Reset(self) -> None:
        self.resets += 1
        self.fed = 0

    def AcceptWaveform(self, data: bytes) -> bool:
        assert self.owner is not None
        if self.owner.fail:
            raise Exception("Failed to process waveform")
        self.fed += len(data)
        return self.owner.endpoint_after is not None and self.fed == self.owner.endpoint_after

    def Result(self) -> str:
        assert self.owner is not None
        return result(self.owner.say[0], 1.0)

    def FinalResult(self) -> str:
        assert self.owner is not None
        heard = self.owner.say[-1]
        in_grammar = " ".join(self.owner.say) in self.grammar
        return result(heard if in_grammar or not heard else "[unk]", 1.0)


class FakeVosk:
    def __init__(self) -> None:
        self.say: list[str] = [""]
        self.endpoint_after: int | None = None
        self.fail = False
        self.created: list[FakeKaldiRecognizer] = []
        self.Model = FakeModel

    def KaldiRecognizer(self, model: FakeModel, rate: float, grammar: str) -> FakeKaldiRecognizer:
        rec = FakeKaldiRecognizer(model, rate, grammar)
        rec.owner = self
        self.created.append(rec)
        return rec


@pytest.fixture
def fake() -> FakeVosk:
    return FakeVosk()


@pytest.fixture
def recognizer(tmp_path: Path, fake: FakeVosk) -> VoskRecognizer:
    return VoskRecognizer(make_model(tmp_path / DEFAULT_MODEL_NAME), vosk_module=fake)


AUDIO = bytes(32000)  # one second


def test_recognizes_a_phrase_in_the_grammar(recognizer: VoskRecognizer, fake: FakeVosk) -> None:
    fake.say = ["yes"]
    out = recognizer.recognize(AUDIO, Vocabulary(("yes", "no")))
    assert out == Transcript("yes", 1.0, "audio")
    (rec,) = fake.created
    assert rec.grammar == ["yes", "no", "[unk]"]
    assert rec.rate == 16000.0
    assert rec.words
    assert rec.fed == len(AUDIO)


def test_out_of_grammar_speech_is_not_understood(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    fake.say = ["stop"]
    assert recognizer.recognize(AUDIO, Vocabulary(("yes", "no"))).text == ""


def test_one_recognizer_per_grammar_is_cached_and_reset(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    yes_no = Vocabulary(("yes", "no"))
    for _ in range(3):
        recognizer.recognize(AUDIO, yes_no)
    recognizer.recognize(AUDIO, Vocabulary(("not sure",)))
    recognizer.recognize(AUDIO, Vocabulary(("Yes", "no ")))  # same grammar once normalised
    assert len(fake.created) == 2
    assert fake.created[0].resets == 4


def test_phrases_with_words_the_model_lacks_are_left_out(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    vocab = Vocabulary(("yes", "ibuprofen please", "no"))
    assert recognizer.missing_words(vocab) == ["ibuprofen", "please"]
    assert json.loads(recognizer.grammar_for(vocab)) == ["yes", "no", "[unk]"]
    fake.say = ["no"]
    assert recognizer.recognize(AUDIO, vocab).text == "no"


def test_results_vosk_finalised_mid_utterance_are_kept(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    fake.say = ["two days", "ago"]
    fake.endpoint_after = 16000  # vosk's own endpointer fires after the second chunk
    out = recognizer.recognize(AUDIO, Vocabulary(("two days ago", "yes")))
    assert out.text == "two days ago"


def test_empty_audio_or_vocabulary_skips_decoding(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    assert recognizer.recognize(b"", Vocabulary(("yes",))).text == ""
    assert recognizer.recognize(AUDIO, Vocabulary(())).text == ""
    assert fake.created == []


def test_odd_byte_count_is_trimmed_to_whole_samples(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    recognizer.recognize(AUDIO + b"\x01", Vocabulary(("yes",)))
    assert fake.created[0].fed == len(AUDIO)


def test_decoding_failure_is_a_recognizer_error_and_the_recognizer_is_rebuilt(
    recognizer: VoskRecognizer, fake: FakeVosk
) -> None:
    fake.fail = True
    with pytest.raises(RecognizerError, match=r"vosk failed while decoding"):
        recognizer.recognize(AUDIO, Vocabulary(("yes",)))
    fake.fail = False
    fake.say = ["yes"]
    assert recognizer.recognize(AUDIO, Vocabulary(("yes",))).text == "yes"
    assert len(fake.created) == 2


def test_model_load_failure_becomes_a_recognizer_error(tmp_path: Path, fake: FakeVosk) -> None:
    model = make_model(tmp_path / DEFAULT_MODEL_NAME)
    (model / "am" / "final.mdl").write_bytes(b"garbage")
    with pytest.raises(RecognizerError) as err:
        VoskRecognizer(model, vosk_module=fake)
    assert str(model) in str(err.value)
    assert "Failed to create a model" in str(err.value)


def test_invalid_model_is_refused_before_vosk_is_touched(tmp_path: Path) -> None:
    class Exploding:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError("vosk must not be used for a broken folder")

    model = make_model(tmp_path / "m", skip=("conf/model.conf",))
    with pytest.raises(RecognizerError, match=r"missing conf/model.conf"):
        VoskRecognizer(model, vosk_module=Exploding())


def test_open_vosk_finds_and_loads(tmp_path: Path, fake: FakeVosk) -> None:
    models = tmp_path / "models"
    make_model(models / DEFAULT_MODEL_NAME)
    rec = open_vosk(None, {}, models, vosk_module=fake)
    assert rec.model_path == models / DEFAULT_MODEL_NAME
    assert rec.name == "vosk"


# -- the real engine (needs a model: skipped when none is installed) -----------------------


def _real_model() -> Path | None:
    path = find_vosk_model(None, os.environ, REPO / "models")
    if path is None or model_problems(path):
        return None
    return path


def _espeak(text: str) -> bytes:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed")
    wav = subprocess.run(
        [exe, "-v", "en-us", "-s", "150", "--stdout", text], check=True, capture_output=True
    ).stdout
    import io

    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    n_out = round(len(x) * 16000 / rate)
    spectrum = np.fft.rfft(x)[: n_out // 2 + 1]
    y = np.fft.irfft(spectrum, n_out) * (n_out / len(x))
    pad = np.zeros(4800)
    pcm: bytes = np.clip(np.concatenate([pad, y, pad]), -32768, 32767).astype("<i2").tobytes()
    return pcm


@pytest.mark.models
@pytest.mark.audio
def test_real_vosk_model_recognizes_and_rejects() -> None:
    path = _real_model()
    if path is None:
        pytest.skip(
            "no vosk model installed (run `heat-or-ice models download` or set VOSK_MODEL_PATH)"
        )
    rec = VoskRecognizer(path)
    vocab = Vocabulary(("yes", "no", "not sure", "stop"))
    assert rec.recognize(bytes(32000), vocab).text == ""
    assert rec.recognize(_espeak("yes"), vocab).text == "yes"
    assert rec.recognize(_espeak("not sure"), vocab).text == "not sure"
    assert rec.recognize(_espeak("no"), Vocabulary(("yes", "no"))).text == "no"
