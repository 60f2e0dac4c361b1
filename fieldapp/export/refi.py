"""REFI-QDA: the open exchange standard NVivo, ATLAS.ti, MAXQDA and QualCoder read and write
(QDA-XML 1.0, ``urn:QDA-XML:project:1.0``; schema ``Project.xsd`` of March 2019).

Export — a ``.qdpx`` file is a zip holding ``project.qde`` (the project as XML) and
``Sources/<guid>.txt`` (each note's text, UTF-8). What goes in:

- **Users**: everyone who coded (the device that recorded a coding, named by the team roster).
- **CodeBook**: the code tree; a code's name in the export's language, its definitions in both
  languages as the description, its colour.
- **Variables** and **Cases**: one case per participant (named by their pseudonymous code),
  with role, organisation (its pseudonymous code where naming it lacks consent), site and
  sector as attributes, and references to the notes of their interviews; the study's case
  attributes as typed variables, and, once an attribute describes organisations, one case per
  organisation too (:mod:`fieldapp.export.cases`).
- **Sources**: every note (field notes, transcripts, summaries) as a text source, with its
  codings as ``PlainTextSelection``\\s whose positions are Unicode code points, as fieldapp
  counts them, each with its coder, date and coding comment.
- **Notes**: memos (notes of the kind "memo") as project notes, referred to by the sources of
  the same interview.

The same consent rules as every other export apply: withdrawn participants are absent, a note
whose interview lacks verbatim-quote consent is left out with its codings (a QDA project is
made of quotations), and identifiers are masked character for character, so positions still
line up.

Import — :func:`read_codebook` reads the code tree of a codebook file (``.qdc``,
``urn:QDA-XML:codebook:1.0``) or of a project (``.qdpx`` or a bare ``.qde``).
"""

from __future__ import annotations

import contextlib
import io
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from fieldapp.export.atomic import Ticker, publish, scratch_dir
from fieldapp.export.cells import Redactor
from fieldapp.export.consent import Selection, hlc_datetime, with_codings
from fieldapp.export.pseudonyms import Pseudonymiser
from fieldapp.export.vocab import Vocab
from fieldapp.i18n import N_, _
from fieldapp.store.errors import InvalidInput

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "fieldapp"
#: the most a codebook file (or a project's project.qde) may hold when imported
MAX_XML_BYTES = 64 * 1024 * 1024
_GUID_NS = uuid.UUID("6f1c9a52-4b0e-4d6a-9a57-0c1f2e1d7a10")

Record = dict[str, Any]


def guid(kind: str, key: str) -> str:
    """A stable GUID for something that has no UUID of its own (a coder, a variable)."""
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{key}"))


def _when(hlc: str | None) -> str | None:
    moment = hlc_datetime(hlc)
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def _colour(value: Any) -> str | None:
    text = str(value or "")
    if len(text) in (4, 7) and text.startswith("#") and all(
            c in "0123456789abcdefABCDEF" for c in text[1:]):
        return text
    return None


def _q(tag: str) -> str:
    return f"{{{PROJECT_NS}}}{tag}"


def _sub(parent: Any, tag: str, **attrs: str | None) -> Any:
    return etree.SubElement(parent, _q(tag), {k: v for k, v in attrs.items() if v is not None})


def _element(tag: str, **attrs: str | None) -> Any:
    return etree.Element(_q(tag), {k: v for k, v in attrs.items() if v is not None},
                         nsmap={None: PROJECT_NS})


def _description(parent: Any, text: str) -> None:
    if text:
        _sub(parent, "Description").text = text


def _definition(code: Record) -> str:
    parts = [str(code.get("definition_zh") or ""), str(code.get("definition_en") or "")]
    return "\n\n".join(p for p in parts if p.strip())


@dataclass
class QdpxReport:
    sources: int = 0
    memos: int = 0
    codings: int = 0
    cases: int = 0
    codes: int = 0
    #: notes left out for lack of verbatim-quote consent
    withheld: int = 0
    files: list[str] = field(default_factory=list)


class ProjectBuilder:
    """Writes project.qde as a stream (``lxml.etree.xmlfile``): each element is written and
    dropped, so memory holds one note and its codings at a time, whatever the project's size.
    What the XML needs before the sources (coders, cases and the notes of each participant,
    memos of each interview) comes from a first pass over the notes' and codings' small
    columns."""

    def __init__(self, sel: Selection, vocab: Vocab, redactor: Redactor | None,
                 coders: dict[str, str], title: str,
                 pseudonymiser: Pseudonymiser | None = None) -> None:
        self.sel, self.v, self.redactor, self.coders = sel, vocab, redactor, coders
        self.title = title
        self.pseudonymiser = pseudonymiser
        self.report = QdpxReport()
        #: memo records (fieldapp.export.memos adds the ones consent allows as notes)
        self.memos: list[Record] = []
        #: case attributes and organisation cases (fieldapp.export.cases.RefiCases)
        self.case_attributes: Any = None
        self._memos: Any = None  # fieldapp.export.memos.RefiMemos, made by write()

    def _text(self, value: str) -> str:
        if value and self.pseudonymiser is not None:
            value = self.pseudonymiser(value)
        return self.redactor(value) if self.redactor is not None and value else value

    def _code_tree(self, xf: Any) -> None:
        codes = self.v.codes
        children: dict[str | None, list[Record]] = {}
        for code in codes.values():
            up = code.get("parent_id")
            children.setdefault(up if up in codes else None, []).append(code)

        def build(code: Record, seen: set[str]) -> Any:
            el = _element("Code", guid=code["id"], name=self.v.code_name(code["id"]) or "?",
                          isCodable="true", color=_colour(code.get("colour")))
            _description(el, _definition(code))
            for memo_id in self._memos.by_code.get(code["id"], []) if self._memos else []:
                _sub(el, "NoteRef", targetGUID=memo_id)
            self.report.codes += 1
            for child in children.get(code["id"], []):
                if child["id"] not in seen:
                    el.append(build(child, seen | {child["id"]}))
            return el

        roots = children.get(None, [])
        if roots:
            with xf.element(_q("CodeBook")), xf.element(_q("Codes")):
                for code in roots:
                    xf.write(build(code, {code["id"]}))

    def write(self, xml_path: Path, archive: zipfile.ZipFile, ticker: Ticker) -> None:
        """project.qde to ``xml_path``; each source's text straight into ``archive``."""
        from fieldapp.export.memos import RefiMemos

        sel, v = self.sel, self.v
        self._memos = memos = RefiMemos(self)
        extra = self.case_attributes
        org_cases = extra.organisation_cases() if extra is not None else []
        notes = sel.notes.where(lambda n: n["interview_id"] in sel.quotable)
        codings = sel.codings.where(lambda c: c["_interview_id"] in sel.quotable)
        # first pass, small columns only
        coder_ids: set[str] = set()
        by_person: dict[str, list[str]] = {}
        by_interview: dict[str, list[str]] = {}
        memos_of: dict[str, list[str]] = {}
        people_of = {i["id"]: i.get("participant_ids") or [] for i in sel.interviews}
        kept = 0
        for n in notes.light():
            kept += 1
            coder_ids.add(str(n.get("owner") or ""))
            if n.get("kind") == "memo":
                memos_of.setdefault(n["interview_id"], []).append(n["id"])
            else:
                by_interview.setdefault(n["interview_id"], []).append(n["id"])
                for pid in people_of.get(n["interview_id"], []):
                    by_person.setdefault(pid, []).append(n["id"])
        self.report.withheld = sel.notes.count() - kept
        coder_ids.update(str(x.get("owner") or "") for x in codings.light())
        coder_ids.update(memos.owners())
        code_of = {i["id"]: str(i.get("code") or "") for i in sel.interviews}
        attributes = [("role", N_("Role")), ("organisation", N_("Organisation")),
                      ("site", N_("Site")), ("sector", N_("Sector"))]
        people = sorted(sel.participants, key=lambda p: str(p.get("code") or ""))
        created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        with etree.xmlfile(str(xml_path), encoding="utf-8") as xf:
            xf.write_declaration()
            with xf.element(_q("Project"), nsmap={None: PROJECT_NS},
                            name=self.title or "fieldapp", origin=ORIGIN,
                            creationDateTime=created):
                xf.write("\n")
                if coder_ids:
                    users = _element("Users")
                    for device in sorted(coder_ids):
                        _sub(users, "User", guid=guid("coder", device),
                             name=self.coders.get(device) or device[:8] or "?",
                             id=device or None)
                    xf.write(users, pretty_print=True)
                self._code_tree(xf)
                if people or org_cases:
                    variables = _element("Variables")
                    if people:
                        for key, label in attributes:
                            _sub(variables, "Variable", guid=guid("variable", key),
                                 name=v.tr(label), typeOfVariable="Text")
                    for key, name, kind in (extra.variables() if extra is not None else []):
                        _sub(variables, "Variable", guid=guid("variable", key), name=name,
                             typeOfVariable=kind)
                    if len(variables):
                        xf.write(variables, pretty_print=True)
                    with xf.element(_q("Cases")):
                        for p in people:
                            xf.write(self._case(p, attributes, by_person), pretty_print=True)
                        for oid, name, interviews in org_cases:
                            xf.write(self._organisation_case(oid, name, interviews,
                                                             by_interview), pretty_print=True)
                with contextlib.ExitStack() as sources:
                    for n, mine in with_codings(notes, codings):
                        if n.get("kind") == "memo":
                            continue
                        if not self.report.sources:  # only a project with sources has any
                            sources.enter_context(xf.element(_q("Sources")))
                        el = self._source("TextSource", n, code_of, mine, archive)
                        for memo_id in (memos_of.get(n["interview_id"], [])
                                        + memos.by_interview.get(n["interview_id"], [])):
                            _sub(el, "NoteRef", targetGUID=memo_id)
                        xf.write(el, pretty_print=True)
                        self.report.sources += 1
                        ticker.tick()
                if memos_of or memos.chosen:
                    with xf.element(_q("Notes")):  # memos: the project's notes
                        for n, mine in with_codings(notes, codings):
                            if n.get("kind") != "memo":
                                continue
                            xf.write(self._source("Note", n, code_of, mine, archive),
                                     pretty_print=True)
                            self.report.memos += 1
                            ticker.tick()
                        for el in memos.notes():  # memo records (fieldapp.export.memos)
                            xf.write(el, pretty_print=True)
                            self.report.memos += 1
                description = _element("Description")
                description.text = _("Exported from fieldapp")
                xf.write(description, pretty_print=True)
                for memo_id in memos.project:  # NoteRef ends a project, after Description
                    xf.write(_element("NoteRef", targetGUID=memo_id), pretty_print=True)

    def _case(self, p: Record, attributes: list[tuple[str, str]],
              by_person: dict[str, list[str]]) -> Any:
        v = self.v
        case = _element("Case", guid=p["id"], name=str(p.get("code") or ""))
        values = {"role": p.get("role") or None,
                  "organisation": v.organisation(p.get("organisation_id")),
                  "site": v.place("sites", p.get("site")),
                  "sector": v.place("sectors", p.get("sector"))}
        for key, _label in attributes:
            if values[key]:
                value = _sub(case, "VariableValue")
                _sub(value, "VariableRef", targetGUID=guid("variable", key))
                _sub(value, "TextValue").text = str(values[key])
        self._attribute_values(case, p["id"], "participant")
        for note_id in by_person.get(p["id"], []):
            _sub(case, "SourceRef", targetGUID=note_id)
        self.report.cases += 1
        return case

    def _attribute_values(self, case: Any, case_id: str, kind: str) -> None:
        if self.case_attributes is None:
            return
        for key, element, text in self.case_attributes.values(case_id, kind):
            value = _sub(case, "VariableValue")
            _sub(value, "VariableRef", targetGUID=guid("variable", key))
            _sub(value, element).text = self._text(text) if element == "TextValue" else text

    def _organisation_case(self, oid: str, name: str, interviews: list[str],
                           notes_of: dict[str, list[str]]) -> Any:
        """An organisation as a case, with its attributes and its interviews' notes."""
        case = _element("Case", guid=oid, name=name)
        self._attribute_values(case, oid, "organisation")
        for iid in interviews:
            for note_id in notes_of.get(iid, []):
                _sub(case, "SourceRef", targetGUID=note_id)
        self.report.cases += 1
        return case

    def _source(self, tag: str, n: Record, code_of: dict[str, str], codings: list[Record],
                archive: zipfile.ZipFile) -> Any:
        v = self.v
        kind = v.enum("note_kind", n.get("kind")) or ""
        name = " ".join(x for x in (code_of.get(n["interview_id"], ""), kind,
                                    self._text(str(n.get("title") or ""))) if x)
        el = _element(tag, guid=n["id"], name=name or n["id"],
                      plainTextPath=f"internal://{n['id']}.txt",
                      creatingUser=guid("coder", str(n.get("owner") or "")),
                      creationDateTime=_when(n.get("created_hlc")),
                      modifiedDateTime=_when(n.get("updated_hlc")))
        original = str(n.get("body") or "")
        body, move = original, None
        if self.pseudonymiser is not None and original:
            # names become pseudonyms: positions move with them
            body, move = self.pseudonymiser.rewrite(original)
        if self.redactor is not None and body:
            body = self.redactor(body)  # character for character: positions stay
        name_of_file = f"{n['id']}.txt"
        archive.writestr(f"Sources/{name_of_file}", body.encode("utf-8"))
        self.report.files.append(name_of_file)
        codes_known = self.v.codes
        for c in sorted(codings, key=lambda c: c.get("start_offset") or 0):
            start, end = int(c.get("start_offset") or 0), int(c.get("end_offset") or 0)
            if c.get("code_id") not in codes_known or not 0 <= start < end <= len(original):
                continue
            if move is not None:
                start, end = move(start, False), move(end, True)
            coder = guid("coder", str(c.get("owner") or ""))
            when = _when(c.get("created_hlc"))
            selection = _sub(el, "PlainTextSelection", guid=c["id"],
                             name=body[start:end][:60], startPosition=str(start),
                             endPosition=str(end), creatingUser=coder, creationDateTime=when)
            _description(selection, self._text(str(c.get("comment") or "")))
            coding = _sub(selection, "Coding", guid=guid("coding", c["id"]),
                          creatingUser=coder, creationDateTime=when)
            _sub(coding, "CodeRef", targetGUID=str(c["code_id"]))
        self.report.codings += len(codings)
        return el


def write_qdpx(builder: ProjectBuilder, target: Path, ticker: Ticker, *,
               overwrite: bool = False) -> QdpxReport:
    with scratch_dir(target) as work:
        built = work / "project.qdpx"
        xml = work / "project.qde"
        with zipfile.ZipFile(built, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            builder.write(xml, archive, ticker)
            archive.write(xml, "project.qde")
        xml.unlink()
        ticker.check()
        publish(built, target, overwrite)
    ticker.finish()
    return builder.report


# -- import ----------------------------------------------------------------------------------

@dataclass
class ImportedCode:
    name: str
    description: str = ""
    colour: str = ""
    children: list[ImportedCode] = field(default_factory=list)


class BadCodebook(InvalidInput):
    pass


def _xml_of(path: Path) -> bytes:
    """The XML of a .qdc/.qde file, or the project.qde inside a .qdpx (size-bounded)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".qde")
                         and "/" not in n.strip("/")]
                if not names:
                    raise BadCodebook(_("{name} is a zip file without a project.qde: not a "
                                        "REFI-QDA project.").format(name=path.name))
                info = archive.getinfo(names[0])
                if info.file_size > MAX_XML_BYTES:
                    raise BadCodebook(_("{name} is too large to import.").format(name=path.name))
                return archive.read(info)
        if path.stat().st_size > MAX_XML_BYTES:
            raise BadCodebook(_("{name} is too large to import.").format(name=path.name))
        return path.read_bytes()
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BadCodebook(_("Cannot read {name}: {reason}").format(
            name=path.name, reason=getattr(exc, "strerror", None) or exc)) from None
    except (RuntimeError, NotImplementedError):
        # zipfile's words for a password-protected member or an unknown compression method
        raise BadCodebook(_("{name} is password-protected or compressed in a way that cannot be "
                            "read: export it again from the QDA program without a password."
                            ).format(name=path.name)) from None


def read_codebook(path: Path) -> list[ImportedCode]:
    """The code tree of a REFI-QDA codebook (.qdc) or project (.qdpx, .qde)."""
    raw = _xml_of(Path(path))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False)
    try:
        root = etree.parse(io.BytesIO(raw), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise BadCodebook(_("{name} is not valid XML: {reason}").format(
            name=Path(path).name, reason=exc.msg)) from None
    ns = etree.QName(root).namespace
    if ns not in (PROJECT_NS, CODEBOOK_NS) or etree.QName(root).localname not in (
            "Project", "CodeBook"):
        raise BadCodebook(_("{name} is not a REFI-QDA codebook or project.").format(
            name=Path(path).name))
    book = root if etree.QName(root).localname == "CodeBook" else root.find(f"{{{ns}}}CodeBook")
    codes = book.find(f"{{{ns}}}Codes") if book is not None else None
    if codes is None:
        return []

    def read(el: Any, depth: int) -> ImportedCode | None:
        name = (el.get("name") or "").strip()
        if not name or depth > 50:
            return None
        desc = el.find(f"{{{ns}}}Description")
        code = ImportedCode(name, (desc.text or "").strip() if desc is not None else "",
                            _colour(el.get("color")) or "")
        for child in el.findall(f"{{{ns}}}Code"):
            sub = read(child, depth + 1)
            if sub is not None:
                code.children.append(sub)
        return code

    out = [read(el, 0) for el in codes.findall(f"{{{ns}}}Code")]
    return [c for c in out if c is not None]
