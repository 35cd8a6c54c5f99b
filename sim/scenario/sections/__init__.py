"""Each mechanism's section of the scenario format, one module per mechanism.

A mechanism of :mod:`sim.model.mechanisms` reads its parameters from its
section: :mod:`.users` (internet growth and the platforms' user diffusion),
:mod:`.adoption` (agency levels and their hazard), :mod:`.following` (how a
named account gains followers on a platform), :mod:`.interaction` (messages,
staff and feedback).  Each says which of its parameters a dated event may
change (``DYNAMIC_PARAMETERS``) and checks what involves other parts of the
scenario (``check``); :mod:`sim.scenario.schema` composes them with the
structure every mechanism shares (horizon, provinces, platforms, named
accounts, events, outputs).

The sections live in the format's package, not beside the mechanisms' code,
because the format comes below the model: the model imports the format,
never the reverse (``tests/test_import_graph.py``).
"""
