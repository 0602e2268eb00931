"""The UI scale benchmark of issue #19: ``python -m bench.ui_scale [--runs N ...]``.

A store of 10,000 runs x 50 params x 50 metrics (20 runs with 10,000-step histories, one
with 1,000,000 steps) is written into autolog's embedded store and into an MLflow SQLite
store (:mod:`bench.ui_scale.workload` describes it once for both), served by ``autolog ui``
and by ``mlflow server``, and timed side by side: the JSON requests alone (urllib) and the
pages in Debian's Chromium (Playwright), plus the server's memory. Results: bench/RESULTS.md (the UI at scale).
"""
