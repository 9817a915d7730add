"""The case commands (internal to the engine; the outside sends commands through
``CaseEngine.handle``): handlers and their shared write path, transactions, projections
(inbox, service jobs), notices, the SLA clock, moving cases between versions, the workflow cache."""
