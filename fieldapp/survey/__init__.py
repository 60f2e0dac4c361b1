"""Surveys: XLSForm import, the instrument model, ODK expressions and the form state engine.

Pure Python: no Qt, no database. The store keeps an :class:`Instrument` as ``to_json()`` and a
response's answers as ``FormState.to_dict()``.
"""

from fieldapp.survey.describe import describe
from fieldapp.survey.engine import AnswerError, FormState, Issue
from fieldapp.survey.fill import FormPlan, fill_state
from fieldapp.survey.model import Choice, ChoiceList, Instrument, Node
from fieldapp.survey.problems import Problem, XLSFormError
from fieldapp.survey.program import Program
from fieldapp.survey.xlsform import load_xlsform

__all__ = [
    "AnswerError",
    "Choice",
    "ChoiceList",
    "FormPlan",
    "FormState",
    "Instrument",
    "Issue",
    "Node",
    "Problem",
    "Program",
    "XLSFormError",
    "describe",
    "fill_state",
    "load_xlsform",
]
