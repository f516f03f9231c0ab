"""The version matrix of ``make matrix`` (``scripts/matrix.sh``): the compat plugin and the end-to-end gate."""
