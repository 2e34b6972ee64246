"""One root exception so the CLI can turn every expected failure into words.

Each error carries a message meant for the user: what is wrong and what to do.
"""


class AssistantError(Exception):
    """A failure the user can understand and act on (never shown as a traceback)."""


class DialogDataError(AssistantError):
    """A file in dialogs/ is missing, unreadable or inconsistent."""


class AudioDeviceError(AssistantError):
    """The microphone or speaker cannot be opened or stopped delivering audio."""


class RecognizerError(AssistantError):
    """A speech-recognition engine or its model is missing or broken."""


class SpeakerError(AssistantError):
    """The text-to-speech engine failed."""


class JournalError(AssistantError):
    """The session journal cannot be read or written."""


class JournalNotWritable(JournalError):
    """The session journal cannot be written (disk full, read-only), though it may be read."""


class ConfigError(AssistantError):
    """The settings file is unreadable or has a bad value."""


class ModelDownloadError(RecognizerError):
    """A model could not be downloaded or installed; the message says why and what to do."""
