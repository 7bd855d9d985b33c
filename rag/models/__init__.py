"""Models on this machine: where their weights come from (`weights`), what this CPU can run
(`cpu`), and what the `auto` settings pick here (`choices`, which tries each path in a child
process running rag.smoke).

Importing this package imports nothing: `python -m rag.models.cpu` serves the set-up script
before the project is installed.
"""
