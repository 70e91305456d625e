"""The Train tab's run states, defined once: every button and the form follow from them.

    idle ──Start──> running ──Pause──> pausing ──(trainer wrote its resume file)──> paused
                      │  └──Stop──> stopping ──> finished          paused ──Resume──> running
                      ├──(ran to the end / early stop)──> finished  paused ──Stop──> finished
                      └──(trainer crashed or reported an error)──> failed

``finished`` and ``failed`` behave like ``idle`` for a new run (Start is offered again);
``failed`` also offers Resume when the crashed run left a resume file. While a run is
paused the form is locked: a paused run is only ever resumed or ended by Stop, never
thrown away by a new Start.
"""

from __future__ import annotations

from dataclasses import dataclass

IDLE, RUNNING, PAUSING, PAUSED, STOPPING, FINISHED, FAILED = (
    "idle", "running", "pausing", "paused", "stopping", "finished", "failed")
STATES = (IDLE, RUNNING, PAUSING, PAUSED, STOPPING, FINISHED, FAILED)
# A child process exists in these states.
ACTIVE = (RUNNING, PAUSING, STOPPING)


@dataclass(frozen=True)
class Controls:
    """Which controls a state enables (Start also needs a loaded dataset report;
    Resume also needs the resume file on disk)."""

    start: bool
    pause: bool
    resume: bool
    stop: bool
    form: bool


CONTROLS = {
    IDLE: Controls(start=True, pause=False, resume=False, stop=False, form=True),
    RUNNING: Controls(start=False, pause=True, resume=False, stop=True, form=False),
    PAUSING: Controls(start=False, pause=False, resume=False, stop=False, form=False),
    PAUSED: Controls(start=False, pause=False, resume=True, stop=True, form=False),
    STOPPING: Controls(start=False, pause=False, resume=False, stop=False, form=False),
    FINISHED: Controls(start=True, pause=False, resume=False, stop=False, form=True),
    FAILED: Controls(start=True, pause=False, resume=True, stop=False, form=True),
}

# What the status line says in each state ({step}, {total} filled in by the tab).
DESCRIPTIONS = {
    IDLE: "Ready: pick a corpus, then Start.",
    RUNNING: "Training…",
    PAUSING: "Pausing: the trainer finishes its step and writes a resume file…",
    PAUSED: "Paused at step {step} of {total}. Resume continues from there; Stop ends the run.",
    STOPPING: "Stopping: the trainer finishes its step and saves…",
    FINISHED: "Finished at step {step} of {total}.",
    FAILED: "The run failed at step {step} (details in the log).",
}
# finished by Stop before its last step (the run said ``stopped``)
STOPPED_EARLY = "Stopped at step {step} of {total}: the best model so far is in the library."


def after_exit(state: str, stopped: bool, completed: bool, failed: bool,
               resume_file: bool) -> str:
    """The state once the trainer process has exited.

    ``state``: the state when it exited; ``stopped``: it said ``stopped`` (it wrote a
    resume file before the end); ``completed``: it said ``done``; ``failed``: an error
    event, a crash or a non-zero exit; ``resume_file``: the resume file exists.
    """
    if failed and not completed:
        return FAILED
    if state == PAUSING and stopped and resume_file:
        return PAUSED
    return FINISHED
