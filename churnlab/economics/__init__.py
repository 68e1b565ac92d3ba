"""Stage 4, cost of churn and retention economics: customer value (:mod:`.value`),
cost of churn and campaigns (:mod:`.cost`)."""

