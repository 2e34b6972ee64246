"""``heat-or-ice doctor``: check every part the assistant needs and say what to do about each.

Layout: ``check`` (the ``Check`` value and the guard against tracebacks), ``deps`` (the
injected hardware and environment), the checks by what they touch (``checks_devices``:
speech out and microphone; ``checks_engine``: recognition; ``checks_storage``: settings,
dialogs, journal, disk) and ``report`` (run them in order, print, summarise, speak).
Only ``run_doctor`` is needed from outside, so it is the one name exported here.
"""

from voice_assistant.doctor.report import run_doctor

__all__ = ["run_doctor"]
