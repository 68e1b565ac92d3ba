"""The study layer: the study object, the runner and the command line."""

