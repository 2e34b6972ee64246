"""Open the speech recogniser on a thread at start, so the greeting is not held up.

Loading Whisper (checksums, then the model) takes about a second; the
greeting takes several. The first utterance waits for the load if it has to.
Whatever the load decided (a fallback engine, a broken model) is handed to
``notice`` once, to be said and printed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from voice_assistant.errors import AssistantError, RecognizerError
from voice_assistant.events import Transcript, Vocabulary
from voice_assistant.ports import Recognizer
from voice_assistant.speech.engines import Choice

log = logging.getLogger(__name__)


class BackgroundRecognizer:
    """A :class:`Recognizer` whose engine is opened on a background thread."""

    def __init__(
        self,
        open_engine: Callable[[], tuple[Recognizer, Choice]],
        notice: Callable[[str], None] = lambda text: None,
    ) -> None:
        self._open_engine = open_engine
        self._notice = notice
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._engine: Recognizer | None = None
        self._choice: Choice | None = None
        self._error: AssistantError | None = None
        self._to_prepare: list[Vocabulary] = []
        self._thread = threading.Thread(target=self._load, name="recognizer-load", daemon=True)
        self._thread.start()

    @property
    def name(self) -> str:
        return self._engine.name if self._engine is not None else "loading"

    @property
    def choice(self) -> Choice | None:
        """How the engine was chosen (None until loaded)."""
        return self._choice

    def wait(self, timeout: float | None = None) -> Recognizer:
        """The loaded engine; RecognizerError when none could be opened."""
        if not self._ready.wait(timeout):
            raise RecognizerError("The speech recogniser is still loading.")
        if self._engine is None:
            raise self._error or RecognizerError("No speech recogniser could be opened.")
        return self._engine

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        return self.wait().recognize(audio, vocabulary)

    def prepare(self, vocabulary: Vocabulary) -> None:
        """Compile ``vocabulary`` as soon as the engine is there (now, if it is)."""
        with self._lock:
            if not self._ready.is_set():
                self._to_prepare.append(vocabulary)
                return
        if self._engine is not None:
            prepare_vocabulary(self._engine, vocabulary)

    def _load(self) -> None:
        try:
            engine, choice = self._open_engine()
        except AssistantError as exc:
            self._error = exc
            self._notice(str(exc))
            self._ready.set()
            return
        except Exception as exc:  # an engine bug must not leave the listener waiting forever
            log.exception("the speech recogniser failed to load")
            self._error = RecognizerError(f"The speech recogniser failed to load ({exc}).")
            self._notice(str(self._error))
            self._ready.set()
            return
        self._engine, self._choice = engine, choice
        log.info("speech recogniser: %s", choice.probe.label or choice.probe.engine)
        for note in choice.notes:
            self._notice(note)
        with self._lock:
            pending, self._to_prepare = self._to_prepare, []
            self._ready.set()
        for vocabulary in pending:
            prepare_vocabulary(engine, vocabulary)


def prepare_vocabulary(engine: Recognizer, vocabulary: Vocabulary) -> None:
    """Compile ``vocabulary`` now if the engine can (never fatal: the first utterance retries)."""
    prepare = getattr(engine, "prepare", None)
    if prepare is None:
        return
    try:
        prepare(vocabulary)
    except AssistantError as exc:  # it will be tried again on the first utterance
        log.warning("could not prepare the recogniser: %s", exc)
