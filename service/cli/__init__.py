"""The command-line door: the `auditgraph` command.

`app` holds the typer app and `main`; `audit` (run, review, recover, erase), `reading`
(runs, trace, trace verify, queue, schema, build-bank) and `evals` (the `eval` group)
hold the commands; `common` holds what they share. Importing this package registers
nothing: `app` does, when it is imported.

Exit codes: 0 done (decided or escalated), 1 the run failed or could not be recorded,
2 the input was refused (bad case file, unknown run, invalid review).
"""
