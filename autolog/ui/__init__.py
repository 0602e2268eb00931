"""``autolog ui``: a read-only web UI over any store autolog can read (extra ``autolog[ui]``:
Starlette and uvicorn). Start it with ``autolog ui [--tracking-uri URI] [--host 127.0.0.1]
[--port 5050] [--open]``, or build the ASGI app with
``autolog.ui.app.create_app(tracking_uri)``. Importing this package is cheap (no Starlette).

These URLs and the JSON API are stable (the scale benchmark in ``bench/`` calls them).

Pages (HTML; a wrong id answers 404 with a page that says what was not found)::

    /                                   experiments
    /experiments/<id>                   runs of an experiment
          ?filter=<MLflow filter>&order=<key ASC|DESC>&columns=<k,k>&expanded=<run ids>
    /runs/<run_id>?tab=overview|metrics|system|artifacts|model[&artifact=<path>]
    /compare?runs=<id>,<id>,...         runs side by side
    /models, /models/<name>             the model registry

A page is drawn by its script once loaded; ``<main id="main">`` gets ``data-ready="1"``
when the view is drawn (the runs table's rows are ``.vt-data`` elements; a metric chart
is ``.chart[data-key="<metric>"]``, holding a ``.uplot`` element once drawn). ``autolog
ui`` reads the runs of the five most recent experiments before it starts serving.

JSON API (errors: ``{"error": message, "status": code}``; 400 for bad input, including a
filter's grammar error in the grammar's words; 404 for what does not exist)::

    GET /api/experiments                      {"experiments": [{experiment_id, name, ...}]}
    GET /api/experiments/<id>                 {"experiment", "run_count",
                                               "keys": {"params", "metrics", "tags",
                                                        "common_params", "common_metrics"}}
    GET /api/experiments/<id>/runs            one page of the runs table:
          ?filter=<MLflow filter>   (default: all)
          &order_by=<key ASC|DESC>  (repeatable; MLflow's order_by, e.g. metrics.`rmse` ASC)
          &offset=<n>&limit=<n≤1000> (default 0, 100)
          &columns=<params.k|metrics.k|tags.k> (repeatable: values returned per row)
          &expanded=<run_id,...>    (parents whose child runs follow them)
        -> {"total", "offset", "rows": [{run_id, run_name, status, start_time, end_time,
            parent_run_id, experiment_id, depth, children, values: {column: value}}]}
    GET /api/runs/<run_id>                    {"info", "params", "metrics", "tags", "inputs"}
    GET /api/runs?ids=<id,id,...>             {"runs": [same as above]}   (≤ 1000 runs)
    GET /api/runs/<run_id>/history?key=<metric>&points=<n>     one series (see below)
    GET /api/history?runs=<id,id,...>&key=<metric>[&key=...]&points=<n>
                                              {"series": [one series per run and key]}
        a series: {"run_id", "key", "total", "decimated", "step": [...],
                   "timestamp": [...], "value": [...]}  (NaN/inf as null); at most about
                   ``points`` (default 1000, at most 20000) points, the min and max of every
                   bucket kept (see :mod:`autolog.ui.decimate`)
    GET /api/runs/<run_id>/artifacts?path=<folder>   {"path", "entries": [{path, name,
                                                      is_dir, size}]}
    GET /api/runs/<run_id>/artifact?path=<file>[&preview=1][&download=1]   the file's bytes
    GET /api/runs/<run_id>/models             {"models": [{path, flavors, signature,
                                               input_example, model_uri, load, ...}]}
    GET /api/runs/<run_id>/plots              {"plots": [{path, type, data}]}
                                              (the plot JSON of :mod:`autolog.plots`, the
                                              curves' points as rates: ``plots.points``)
    GET /api/models                           {"registry": bool, "models": [...]}
    GET /api/models/<name>                    {"name", "aliases", "tags", "versions": [...]}

Safety: the server binds 127.0.0.1 by default and answers only loopback Host headers (no
DNS rebinding); it only reads. Artifact paths are relative paths checked part by part and,
for stores on this machine, resolved (symlinks included) inside the run's artifact folder.
Every response carries ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy:
pages load scripts from the server only (no inline script); artifacts are served with
``sandbox`` (no script, unique origin) and shown in an ``<iframe sandbox>``; the front end
inserts every string from the store as text, never as markup.
"""
