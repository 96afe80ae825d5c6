"""Runtime: executors (serial, process pool, Dask), the results store and progress bars.

Knows nothing about gradient descent.
"""
