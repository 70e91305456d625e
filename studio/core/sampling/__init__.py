"""Sampling: one function for every domain (``sampler.sample_stream``), priming once and
stepping with the recurrent state carried; the CPU step stacks (``stepper``, TorchScript;
``cell_stack``, in place for CUDA graphs), the CUDA-graph block sampler
(``device_sampler``), the logit shaping both share (``shaping``), scoring and the
text/name helpers the CLI and the window call (``generate``).

May import: torch and ``studio.core``'s base modules. Not ``studio.core.training``.
"""
