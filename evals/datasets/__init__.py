"""The generator of the eval datasets (``generate.py``) and the modules it is built from.

A checkout-only tool: it needs the dev extra (jsonschema) and reads sources/*.yaml. The
installed package carries only the files it writes (core.jsonl, hard.jsonl, general.jsonl,
case.schema.json); auditgraph.evals.dataset loads those without any of this.
"""
