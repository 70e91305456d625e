"""Training: the model-agnostic loop (``trainer``: truncated BPTT, clipping, AdamW,
best-by-validation, early stop, pause/resume, clean stop on signals), its resume file
(``resume``), the settings and their ranges (``config``), batches, mixed precision and
torchrun ranks (``distributed``).

May import: torch and ``studio.core``'s base modules. Not ``studio.core.sampling``.
"""
