"""Exercise answers, one module per topic (``ANSWERS = {name: spec}``); see :mod:`companion.exercises`."""
