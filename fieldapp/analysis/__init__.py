"""Qualitative analysis on codings, as plain computation (no I/O, no Qt).

- :mod:`.segments` cuts a note into elementary segments: maximal runs of text over which the set
  of codes applied does not change. Queries and agreement are both computed on them.
- :mod:`.query` parses and evaluates code queries (``A AND B``, ``A NOT B``, ``(A OR B) AND C``).
- :mod:`.cooccurrence` counts codes applied together, in overlapping passages or one interview.
- :mod:`.agreement` compares two coders: percent agreement, Cohen's κ and Krippendorff's α.

The use cases that load codings from a workspace and apply filters live in
:mod:`fieldapp.services.analysis`.
"""
