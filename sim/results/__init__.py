"""Results read back and the statistics on them, below both the figures and the reports.

:mod:`.loading` reads run and sweep-point directories (:class:`Result`);
:mod:`.series` gives the curves and bands of one run; :mod:`.effects` the
differences between runs and the effect of a counterfactual; :mod:`.frames`
turns replications into pandas frames for notebooks.
"""

from .loading import Result, load_result, load_results, resolve_run_dir

__all__ = ["Result", "load_result", "load_results", "resolve_run_dir"]
