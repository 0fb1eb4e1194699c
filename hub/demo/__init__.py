"""``hub demo``: the whole product on one machine with no accounts.

``setup`` connects a fresh hub to the local simulators and enables the shipped recipes;
``player`` plays customer journeys against it; ``hub/cli/demo.py`` starts and stops it all.
"""
