"""The improvement loop (服務評價回饋至業務流程改善): findings ranked from a period's cases, a
proposal (a diagram not yet deployed, a staffing change) tried on the arrivals of a real past
period in a scratch database, and the effect of a deployed change measured before and after.

Its modules are imported by name (``workflows.improvement.findings``...): the annual review
(``workflows.review``) reads ``effects``, and ``whatif`` reads the review's figures.
"""
