"""The study layer: the study object (:mod:`.study`), the runner (:mod:`.runner`) and the CLI (:mod:`.cli`)."""
