"""Loaded by pytest for every test path, chapters included: before nbval starts a notebook
kernel, pin numpy's and OpenBLAS's code paths (``vglib.setup.PINNED_KERNELS``), as
``tools/run_notebooks.py`` does when it stores the outputs, so that they compare exactly on any
x86-64 machine."""

from vglib.setup import pin_math_kernels

pin_math_kernels()
