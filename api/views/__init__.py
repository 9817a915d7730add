"""The API's blueprints, one module per audience."""
