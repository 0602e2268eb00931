"""The benchmark harness: ``python -m bench WORKLOAD [--libs none,autolog,mlflow]``."""
