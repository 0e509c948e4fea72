"""The doors into auditgraph, and what they share.

Doors (each imports the shared modules below, never another door):

- `cli/`: the `auditgraph` command (`python -m auditgraph.service` runs it too).
- `studio.py`: the graph for LangGraph's dev server and Studio (`langgraph.json`).
- `api/`, `console/`, `worker/` (to come): the HTTP API, the reviewer web console and
  the Celery workers.

Shared by every door:

- `settings.py`: `Settings`, read from the environment (prefix AUDITGRAPH_).
- `database.py`: `open_database`, the one place a database URL becomes the SQLAlchemy
  engine and LangGraph's checkpointer.
- `wiring.py`: the composition root, `open_auditor` and `open_store`.

`local_llm.py` serves a small local model for trying the model agent offline.
"""
