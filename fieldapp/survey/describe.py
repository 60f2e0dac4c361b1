"""A plain-text rendering of an instrument, for ``fieldapp survey show`` and for reviewing forms."""

from __future__ import annotations

from fieldapp.i18n import _
from fieldapp.survey.model import META_TYPES, Instrument, Node, pick_text


def describe(instrument: Instrument, language: str = "en") -> str:
    lang = instrument.resolve_language(language)
    fallback = instrument.default_language
    lines = [
        "{title} ({form_id}, {version_label} {version})".format(
            title=instrument.title(lang), form_id=instrument.form_id,
            version_label=_("version"), version=instrument.version or "-"),
        _("Languages: {languages}; default: {default}").format(
            languages=", ".join(instrument.languages), default=instrument.default_language),
        "",
    ]
    number = 0

    def emit(node: Node, depth: int) -> None:
        nonlocal number
        pad = "  " * depth
        label = pick_text(node.labels, lang, fallback)
        if node.is_container:
            kind = _("repeat") if node.type == "repeat" else _("group")
            if node.field_list:
                kind += ", " + _("one screen")
            lines.append(f"{pad}[{kind}] {node.name}: {label}".rstrip(": "))
        else:
            if node.type not in ("calculate", "note") and node.type not in META_TYPES:
                number += 1
                prefix = f"{number}. "
            else:
                prefix = ""
            kind = node.type + (f" {node.list_name}" if node.list_name else "")
            if node.or_other:
                kind += " " + _("or other")
            lines.append(f"{pad}{prefix}{node.name} ({kind}){': ' + label if label else ''}")
            hint = pick_text(node.hints, lang, fallback)
            if hint:  # _() outside the f-string, where the catalog's extractor finds it
                hint_title = _("hint")
                lines.append(f"{pad}    {hint_title}: {hint}")
            lst = instrument.choice_lists.get(node.list_name)
            if lst is not None and not node.choice_filter:
                shown = ", ".join(f"{c.name}={c.label(lang, fallback)}" for c in lst.choices[:12])
                more = len(lst.choices) - 12
                choices_title = _("choices")
                lines.append(f"{pad}    {choices_title}: {shown}" + (f", … (+{more})" if more > 0
                                                                       else ""))
        for attr, title in (("relevant", _("shown if")), ("required", _("required")),
                            ("constraint", _("must satisfy")), ("calculation", _("calculated as")),
                            ("choice_filter", _("choices where")), ("read_only", _("read-only")),
                            ("default", _("default")), ("repeat_count", _("number of repeats"))):
            value = getattr(node, attr)
            if value and not (attr == "required" and value == "true()"):
                lines.append(f"{pad}    {title}: {value}")
            elif value:
                lines.append(f"{pad}    {title}")
        for child in node.children:
            emit(child, depth + 1)

    for top in instrument.children:
        emit(top, 0)
    return "\n".join(lines)
