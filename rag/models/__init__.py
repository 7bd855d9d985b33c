"""Models on this machine: where their weights come from (`weights`), what this CPU can run
(`cpu`), what the `auto` settings pick here (`choices`, measured by `smoke` in a child process).

Importing this package imports nothing: `python -m rag.models.cpu` serves the set-up script
before the project is installed.
"""
