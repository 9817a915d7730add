"""onestop's case engine: a domain-agnostic layer over SpiffWorkflow.

It knows nothing of HTTP (api/) or of household registration (workflows/); those plug in
through the registries in ``engine.registries``.
"""
