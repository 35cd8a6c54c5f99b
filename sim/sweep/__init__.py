"""Parameter sweeps: many runs of the model over a design of parameter values.

One module per stage, in the order a sweep goes through them:

``spec``        the sweep spec file (YAML): parameters, design, outcomes
``resolve``     the spec checked against its base scenario: a :class:`Sweep`
``design``      grid, one_at_a_time, Latin hypercube and Saltelli/Sobol' points
``plan``        each point's scenario and each run's content-hash key
``worker``      one run: simulate, measure outcomes, return a small record
``executors``   where runs execute: sim.execution (in-process, local pool, Dask) under its old name
``store``       the sweep directory: one atomically written file per run, resumable
``engine``      running what is missing, storing each run as it finishes
``outcomes``    what is measured from each run (values, dates, curve features)
``results``     runs.csv, points.csv and the per-point summaries, in a fixed order
``sensitivity`` Sobol' indices or standardised regression coefficients, with intervals
``figures``     sensitivity.png, curves.png, heatmap.png
``pipeline``    all of it in order: plan, check the directory, run, write the results

The model knows nothing of sweeps: a run is ``simulate(scenario, replication)``.
"""
