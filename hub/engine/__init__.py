"""The recipe engine, pure where it can be.

``recipes`` loads and validates recipe files, ``expressions`` evaluates their values in a
sandbox, ``program`` turns steps into a flat list of instructions, ``runner`` executes them
(no I/O: it returns planned actions and waits), ``instances`` installs recipes with the
owner's parameters. ``hub/processing.py`` does the I/O around them.
"""
