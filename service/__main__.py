"""`python -m auditgraph.service`: the `auditgraph` command."""

from auditgraph.service.cli.app import main

if __name__ == "__main__":
    main()
