"""The course kit: learning objectives, exercises checked against the run, editions, glossary.

* :mod:`.text` -- every prompt, feedback line and objective, keyed by id (one catalogue);
* :mod:`.exercises` -- the exercises: the truth from ``metrics.json`` and the typical mistakes;
* :mod:`.editions` -- instructor and student editions of the notebooks;
* :mod:`.glossary` -- every formula the study uses, with its source.
"""

from .exercises import EXERCISES, Feedback, check, check_run, prompt

__all__ = ["EXERCISES", "Feedback", "check", "check_run", "prompt"]
